/**
 * The configuration file: a Lua chunk whose global assignments are the
 * settings. It runs in a throw-away VM with no `ba` library, so a config file cannot start
 * sockets; unknown keys are kept and ignored.
 */
import { readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { LuaVM, T_BOOLEAN, T_NUMBER, T_STRING, T_TABLE, type LState } from '../vm/lua-vm.js';

export interface AppSpec {
  name: string;
  prio: number;
  path: string;
  /** The app's own CPU budget in ms (config `apps = {{..., cpubudget = n}}`); else the global one. */
  cpubudget?: number;
}

export interface ServerConfig {
  port: number;
  sslport: number;
  /** false when the configuration says `sslport = false` or the command line `--no-https`. */
  https: boolean;
  host?: string;
  sslhost?: string;
  apps: AppSpec[];
  commandcnt: number;
  conncnt: number;
  threadcnt: number;
  wsmaxsize: number;
  /** WebSocket servers negotiate permessage-deflate unless req2sock says otherwise; this runtime only. */
  wsdeflate: boolean;
  /** CPU budget of one resume in ms (0 = unlimited); this runtime only [D7]. */
  cpubudget: number;
  /** Server processes sharing the listeners (node:cluster); this runtime only. */
  workers: number;
  /** Most server processes these apps work with (e.g. 1 for apps that keep shared state in Lua); 0 = no limit. */
  maxworkers: number;
  /** Printed with the notice when `maxworkers` lowers the worker count. */
  maxworkersnote?: string;
  /** HTTPS certificate file(s) and their keys: a name or a list (as Mako). */
  certfile?: string | string[];
  keyfile?: string | string[];
  /** PEM files of the CAs trusted for client certificates (a name or a list in the file). */
  certstore?: string[];
  homeio?: string;
  /** `.lua` folders `require` searches before package.path (config key `modules`). */
  modules: string[];
  /** Every key the file set, for `mako` and apps that read their own keys. */
  raw: Record<string, unknown>;
}

export const defaultServerConfig = (): ServerConfig => ({
  port: 80,
  sslport: 443,
  https: true,
  apps: [],
  commandcnt: 3,
  conncnt: 50,
  threadcnt: 3,
  wsmaxsize: 16 * 1024 * 1024,
  wsdeflate: false,
  cpubudget: 1_000,
  workers: 1,
  maxworkers: 0,
  modules: [],
  raw: {},
});

/** A configuration problem, reported as one line and exit code 2. */
export class ConfigError extends Error {}

function readValue(vm: LuaVM, L: LState, idx: number, depth = 0): unknown {
  switch (vm.type(L, idx)) {
    case T_NUMBER:
      return vm.toNumber(L, idx);
    case T_STRING:
      return vm.toStr(L, idx);
    case T_BOOLEAN:
      return vm.toBoolean(L, idx);
    case T_TABLE: {
      if (depth > 8) return null;
      const out: Record<string, unknown> = {};
      vm.pushNil(L);
      while (vm.next(L, idx)) {
        const k = vm.type(L, -2) === T_NUMBER ? String(vm.toNumber(L, -2)) : vm.toStr(L, -2);
        if (k !== null) out[k] = readValue(vm, L, vm.top(L), depth + 1);
        vm.pop(L, 1);
      }
      return out;
    }
    default:
      return undefined;
  }
}

export async function loadConfig(path: string): Promise<ServerConfig> {
  let src: Buffer;
  try {
    src = readFileSync(path);
  } catch (e) {
    throw new ConfigError(`cannot read configuration file ${path}: ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
  const vm = await LuaVM.create();
  const L = vm.L;
  // The chunk runs with a fresh table as _ENV that falls back to _G for functions.
  const err = vm.load(L, src, '@' + path);
  if (err) throw new ConfigError(`configuration error: ${err.message}`);
  const fnIdx = vm.top(L);
  vm.newTable(L); // env
  const envIdx = vm.top(L);
  vm.newTable(L);
  vm.pushGlobals(L); // LUA_RIDX_GLOBALS
  vm.setField(L, -2, '__index');
  vm.setMetatable(L, envIdx);
  vm.pushValue(L, envIdx);
  if (!vm.setUpvalue(L, fnIdx, 1)) vm.pop(L, 1);
  vm.pushValue(L, fnIdx);
  const rerr = vm.pcall(L, 0, 0);
  if (rerr) throw new ConfigError(`configuration error: ${rerr.message}`);
  const raw = readValue(vm, L, envIdx) as Record<string, unknown>;
  return toServerConfig(raw, path);
}

/** A non-empty Lua list of strings from the configuration, or null. */
function strList(v: unknown): string[] | null {
  if (typeof v !== 'object' || v === null) return null;
  const list = Object.keys(v)
    .sort((a, b) => Number(a) - Number(b))
    .map((k) => (v as Record<string, unknown>)[k]);
  return list.length > 0 && list.every((d) => typeof d === 'string') ? (list as string[]) : null;
}

function toServerConfig(raw: Record<string, unknown>, path: string): ServerConfig {
  const c = defaultServerConfig();
  c.raw = raw;
  const num = (k: keyof ServerConfig & string): void => {
    const v = raw[k];
    if (v === undefined) return;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new ConfigError(`configuration error: ${path}: '${k}' must be a number`);
    (c as unknown as Record<string, number>)[k] = v;
  };
  const str = (k: keyof ServerConfig & string): void => {
    const v = raw[k];
    if (v === undefined) return;
    if (typeof v !== 'string') throw new ConfigError(`configuration error: ${path}: '${k}' must be a string`);
    (c as unknown as Record<string, string>)[k] = v;
  };
  // `sslport = false` turns HTTPS off (Mako does that with 0, which here picks a free port).
  if (raw.sslport === false) {
    c.https = false;
    delete raw.sslport;
  }
  for (const k of ['port', 'sslport', 'commandcnt', 'conncnt', 'threadcnt', 'wsmaxsize', 'cpubudget', 'workers', 'maxworkers'] as const) num(k);
  for (const k of ['host', 'sslhost', 'homeio', 'maxworkersnote'] as const) str(k);
  for (const k of ['certfile', 'keyfile'] as const) {
    const v = raw[k];
    if (v === undefined) continue;
    const list = typeof v === 'string' ? v : strList(v);
    if (list === null) throw new ConfigError(`configuration error: ${path}: '${k}' must be a string or a list of strings`);
    c[k] = list;
  }
  if (raw.certstore !== undefined) {
    const v = raw.certstore;
    const list = typeof v === 'string' ? [v] : strList(v);
    if (!list) throw new ConfigError(`configuration error: ${path}: 'certstore' must be a string or a list of strings`);
    c.certstore = list;
  }
  if (raw.wsdeflate !== undefined) {
    if (typeof raw.wsdeflate !== 'boolean') throw new ConfigError(`configuration error: ${path}: 'wsdeflate' must be a boolean`);
    c.wsdeflate = raw.wsdeflate;
  }
  c.modules = moduleDirs(raw.modules, path);
  const apps = raw.apps;
  if (apps !== undefined) {
    if (typeof apps !== 'object' || apps === null) throw new ConfigError(`configuration error: ${path}: 'apps' must be a table`);
    for (const a of Object.values(apps as Record<string, unknown>)) {
      const app = a as Record<string, unknown>;
      if (typeof app !== 'object' || typeof app.path !== 'string') throw new ConfigError(`configuration error: ${path}: each app needs a 'path' string`);
      if (app.cpubudget !== undefined && (typeof app.cpubudget !== 'number' || !(app.cpubudget >= 0) || !Number.isFinite(app.cpubudget)))
        throw new ConfigError(`configuration error: ${path}: an app's 'cpubudget' must be a number >= 0`);
      c.apps.push({
        name: typeof app.name === 'string' ? app.name : '',
        prio: typeof app.prio === 'number' ? app.prio : 0,
        path: app.path,
        ...(app.cpubudget !== undefined ? { cpubudget: app.cpubudget as number } : {}),
      });
    }
  }
  return c;
}

/**
 * `modules = "dir"` or `{ "dir", ... }`: each a folder holding a `.lua` folder (a
 * BAS-Resources checkout's `src/core`, `src/mako`) or that `.lua` folder itself; relative to
 * the working directory. Returns the absolute `.lua` folders.
 */
function moduleDirs(v: unknown, path: string): string[] {
  if (v === undefined) return [];
  const list = typeof v === 'string' ? [v] : typeof v === 'object' && v !== null ? Object.keys(v).sort((a, b) => Number(a) - Number(b)).map((k) => (v as Record<string, unknown>)[k]) : null;
  if (!list || list.some((d) => typeof d !== 'string')) throw new ConfigError(`configuration error: ${path}: 'modules' must be a string or a list of strings`);
  return (list as string[]).map((d) => {
    const abs = resolve(d);
    const dir = basename(abs) === '.lua' ? abs : join(abs, '.lua');
    let ok = false;
    try {
      ok = statSync(dir).isDirectory();
    } catch {
      // reported below
    }
    if (!ok) throw new ConfigError(`configuration error: ${path}: 'modules': no .lua folder in ${d}`);
    return dir;
  });
}
