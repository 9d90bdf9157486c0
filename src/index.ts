/** remora as a library: create a Runtime, run Lua chunks and apps in it. */
export { Runtime, type RuntimeOptions } from './app/runtime.js';
export { loadApp, AppError } from './app/app-loader.js';
export { loadConfig, ConfigError, type ServerConfig } from './app/config.js';
export { LuaError } from './vm/lua-error.js';
export { MemoryLog, consoleLog, type TraceLog } from './sched/trace-log.js';
export {
  RemoraServer,
  registerLuaFunction,
  type RemoraServerOptions,
  type RemoraAppOptions,
  type LuaCallable,
  type LuaValue,
} from './server/remora-server.js';
