/**
 * remora embedded in a Node.js program: one call starts a runtime with apps and the HTTP
 * server, `register` makes TypeScript functions callable from Lua (plain values converted both
 * ways; an async function suspends only the calling coroutine), `stop` shuts it down
 * gracefully without exiting the process. docs/embedding.md shows it in use.
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Runtime } from '../app/runtime.js';
import { defaultServerConfig, loadConfig, type AppSpec, type ServerConfig } from '../app/config.js';
import { installMako } from '../app/mako.js';
import { consoleLog, type TraceLog } from '../sched/trace-log.js';
import { Wait } from '../sched/waiter.js';
import { LuaError, LuaRaise } from '../vm/lua-error.js';
import { luaToJs, pushJs, type LuaValue } from '../vm/lua-values.js';
import { startAppServer, type AppServer } from './app-server.js';

export type { LuaValue } from '../vm/lua-values.js';

/** A function Lua may call: receives the Lua arguments as plain values, returns one value (or a promise of one). */
export type LuaCallable = (...args: LuaValue[]) => LuaValue | void | Promise<LuaValue | void>;

export interface RemoraAppOptions {
  /** The app directory. */
  path: string;
  /** URL prefix `/name/`; '' (default) is the root app. */
  name?: string;
  /** Order among apps at the same URL (default 0). */
  prio?: number;
}

export interface RemoraServerOptions {
  /** Apps to load, in order; each `.preload` runs to completion before the next. */
  apps?: RemoraAppOptions[];
  /** HTTP port (default 0: any free port; no fallback range). */
  port?: number;
  /** Interface to listen on (default: all). */
  host?: string;
  /** HTTPS listener: false (default) for none, true for one on any free port, or its settings. */
  https?: boolean | { port?: number; host?: string; certfile?: string; keyfile?: string };
  /** A configuration file (as for `remora -c`) and/or settings (as its globals); the options above win. */
  configFile?: string;
  settings?: Record<string, string | number | boolean>;
  /** Functions callable from Lua, registered before any app loads (see `register`). */
  functions?: Record<string, LuaCallable>;
  /** Where traces, `print` of scripts and Lua errors go (default: the console). */
  log?: TraceLog;
}

const MODULE_DIR = dirname(fileURLToPath(import.meta.url));
// Lua side of a registered function: the host function returns ok, value; errors are raised
// at the caller's level so that the trace names the Lua line that made the call.
const WRAP = `local raw, name = ...
local function f(...)
  local ok, v = raw(...)
  if ok then return v end
  error(name .. ": " .. tostring(v), 2)
end
local t, parts = _G, {}
for p in name:gmatch("[^.]+") do parts[#parts + 1] = p end
for i = 1, #parts - 1 do
  local nt = rawget(t, parts[i])
  if type(nt) ~= "table" then nt = {} rawset(t, parts[i], nt) end
  t = nt
end
rawset(t, parts[#parts], f)`;

export class RemoraServer {
  private stopped: Promise<void> | null = null;
  private exited!: () => void;
  private readonly exitedP = new Promise<void>((r) => (this.exited = r));

  private constructor(
    /** The Lua runtime (for advanced use: its VM, scheduler and trace log). */
    readonly runtime: Runtime,
    private readonly app: AppServer,
  ) {}

  /** Starts the runtime, opens the listeners and loads the apps; resolves when requests are served. */
  static async start(opts: RemoraServerOptions = {}): Promise<RemoraServer> {
    let config: ServerConfig = opts.configFile ? await loadConfig(opts.configFile) : defaultServerConfig();
    if (opts.settings) {
      const raw = { ...config.raw, ...opts.settings };
      config = { ...config, ...(opts.settings as Partial<ServerConfig>), raw };
    }
    config.port = opts.port ?? (opts.configFile || opts.settings?.port !== undefined ? config.port : 0);
    if (opts.host !== undefined) config.host = config.sslhost = opts.host;
    const https = opts.https ?? false;
    config.https = https !== false;
    if (typeof https === 'object') {
      config.sslport = https.port ?? 0;
      if (https.host !== undefined) config.sslhost = https.host;
      if (https.certfile !== undefined) config.certfile = https.certfile;
      if (https.keyfile !== undefined) config.keyfile = https.keyfile;
    } else if (https === true && opts.configFile === undefined) config.sslport = 0;

    let self: RemoraServer | null = null;
    const rt = await Runtime.create({
      log: opts.log ?? consoleLog,
      config: { threadcnt: config.threadcnt, wsmaxsize: config.wsmaxsize, cpuBudgetMs: config.cpubudget, homeio: config.homeio },
      onExit: () => self?.exited(),
    });
    installMako(rt, { argv: [], execpath: resolve(MODULE_DIR, '../../..'), cfgfname: opts.configFile ? resolve(opts.configFile) : '', port: config.port, sslport: 0 });
    const pending: [string, LuaCallable][] = Object.entries(opts.functions ?? {});
    // Registered before the apps load: a .preload may call them.
    for (const [name, fn] of pending) registerLuaFunction(rt, name, fn);
    const apps: AppSpec[] = (opts.apps ?? []).map((a) => ({ name: a.name ?? '', prio: a.prio ?? 0, path: a.path }));
    let app: AppServer;
    try {
      // An explicit port means that port: no fallback range as the command has.
      app = await startAppServer(rt, config, apps, { fallbackPorts: null, sslFallbackPorts: null }, (line) => rt.log.write(line));
      await app.ready;
    } catch (e) {
      rt.dispose();
      throw e;
    }
    self = new RemoraServer(rt, app);
    return self;
  }

  /** The HTTP port opened. */
  get port(): number {
    return this.app.http.port;
  }

  /** The HTTPS port opened, or null without HTTPS. */
  get sslport(): number | null {
    return this.app.http.sslport;
  }

  /**
   * Makes `fn` callable from Lua as the global `name` (a dotted name such as `"node.add"` puts
   * it in that table, created when missing). Arguments arrive as plain values (see LuaValue);
   * the return value goes back the same way. A thrown error, or a rejected promise, raises a Lua
   * error `name: message` at the calling line. A function that returns a promise suspends the
   * calling coroutine (a page, cosocket, timer, thread job or script) until it settles; other
   * coroutines keep running meanwhile. Called from where Lua cannot wait (a metamethod), such a
   * function raises `... cannot wait here`.
   */
  register(name: string, fn: LuaCallable): void {
    registerLuaFunction(this.runtime, name, fn);
  }

  /**
   * Runs a Lua chunk as a one-shot script (as `remora script.lua` does; it may wait). Resolves
   * when it ends; rejects with a LuaError when it does not compile or raises.
   */
  async run(source: string, chunkname = '=embedded'): Promise<void> {
    const err = await this.runtime.run(source, chunkname);
    if (err) throw err;
  }

  /**
   * Graceful stop: every app's `onunload` runs, waiting cosockets get `nil, "sysshutdown"`, the
   * listeners close. Resolves when done; the Node process keeps running.
   */
  stop(): Promise<void> {
    if (!this.stopped) {
      this.stopped = (async () => {
        await this.runtime.shutdown(0);
        await this.exitedP;
        this.runtime.dispose();
      })();
    }
    return this.stopped;
  }
}

/** See RemoraServer.register. */
export function registerLuaFunction(rt: Runtime, name: string, fn: LuaCallable): void {

  const { vm, sched } = rt;
  const L = vm.L;
  const parts = name.split('.');
  if (parts.some((p) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(p))) throw new Error(`register: '${name}' is not a Lua name or dotted path`);
  const raw = (L: number): number => {
    const n = vm.top(L);
    let args: LuaValue[];
    let result: unknown;
    try {
      args = [];
      for (let i = 1; i <= n; i++) args.push(luaToJs(vm, L, i));
      result = fn(...args);
    } catch (e) {
      vm.pushBoolean(L, false);
      vm.pushString(L, (e as Error)?.message ?? String(e));
      return 2;
    }
    if (!(result instanceof Promise)) {
      try {
        vm.settop(L, 0);
        vm.pushBoolean(L, true);
        pushJs(vm, L, result);
      } catch (e) {
        vm.settop(L, 0);
        vm.pushBoolean(L, false);
        vm.pushString(L, (e as Error).message);
      }
      return 2;
    }
    const task = sched.current;
    if (!task) throw new LuaRaise(`${name} must run in a coroutine of the runtime`);
    const w = new Wait('wait', task);
    const settle = (ok: boolean, v: unknown): void =>
      w.complete((co) => {
        try {
          vm.pushBoolean(co, ok);
          if (ok) pushJs(vm, co, v);
          else vm.pushString(co, (v as Error)?.message ?? String(v));
        } catch (e) {
          vm.settop(co, 0);
          vm.pushBoolean(co, false);
          vm.pushString(co, (e as Error).message);
        }
        return 2;
      });
    result.then(
      (v) => settle(true, v),
      (e) => settle(false, e),
    );
    return sched.suspend(L, w, name);
  };
  const err = vm.load(L, WRAP, '=register');
  if (err) throw err;
  vm.pushHost(L, name, raw);
  vm.pushString(L, name);
  const cerr = vm.pcall(L, 2, 0);
  if (cerr) throw cerr;
}

export { LuaError };
