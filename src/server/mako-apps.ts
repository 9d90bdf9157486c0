/**
 * The `mako` members that need the app server: `createloader`, and
 * `createapp`/`startapp`/`stopapp`/`reloadapp`/`removeapp` (load, unmount, remount, reload, forget
 * an app directory at run time; an app is named by its mount name or, as in Mako, by its
 * environment table). Every app also gets a loader for its own `.lua` directory before its
 * `.preload` runs, so `require"x"` finds `<app>/.lua/x.lua` (in Mako an app calls
 * `mako.createloader(io)` for that).
 */
import { T_STRING, T_TABLE, type LState } from '../vm/lua-vm.js';
import { Wait } from '../sched/waiter.js';
import type { Runtime } from '../app/runtime.js';
import { type App, AppError, loadApp } from '../app/app-loader.js';
import { Dir } from '../ba/dir.js';
import type { AppSpec } from '../app/config.js';
import type { Mounts } from './mounts.js';
import { vmResourceDir } from '../ba/io.js';

// mako.createloader as Mako defines it: a searcher appended to package.searchers that loads
// "<io>/.lua/<a/b>.lua" through the IO (any IO kind); a module that does not compile is traced
// at priority 1 and reported as not found. Returns the searcher.
const LOADER_LUA = `
local fmt, tracep = string.format, tracep
local function loaderfor(io)
  return function(name)
    name = name:gsub("%.", "/")
    local lname = fmt(".lua/%s.lua", name)
    if not io:stat(lname) then return nil end
    local res, err = io:loadfile(lname)
    if not res then tracep(false, 1, err) end
    return res
  end
end
-- The loader each app gets before its .preload runs; an app that calls createloader(io)
-- itself gets Mako's behaviour (its call appends the loader) instead of a second one.
local auto = setmetatable({}, { __mode = "k" })
local function remove(loader)
  local s = package.searchers
  for i = #s, 1, -1 do
    if rawequal(s[i], loader) then table.remove(s, i) return end
  end
end
local function createloader(io)
  if auto[io] then remove(auto[io]) auto[io] = nil end
  local loader = loaderfor(io)
  table.insert(package.searchers, loader)
  return loader
end
local function apploader(io)
  local loader = createloader(io)
  auto[io] = loader
end
return createloader, apploader
`;

/** `mako.createloader` alone, for a one-shot script: there is no app server (Mako's script mode has it too). */
export function installCreateLoader(rt: Runtime): void {
  const { vm } = rt;
  const L = vm.L;
  const err = vm.load(L, LOADER_LUA, '=mako.loader');
  if (err) throw err;
  const perr = vm.pcall(L, 0, 1);
  if (perr) throw perr;
  if (vm.getGlobal(L, 'mako') !== T_TABLE) {
    vm.pop(L, 2);
    return;
  }
  vm.rotate(L, -2, 1);
  vm.setField(L, -2, 'createloader');
  vm.pop(L, 1);
}

export class MakoApps {
  /** App specs by name, also of stopped apps (for startapp). */
  private readonly specs = new Map<string, AppSpec>();
  private appLoaderRef = 0;
  /** Weak-keyed Lua table: every app environment ever made -> its app's mount name. */
  private envNamesRef = 0;

  constructor(
    private readonly rt: Runtime,
    private readonly mounts: Mounts,
  ) {}

  install(): void {
    const { vm } = this.rt;
    const L = vm.L;
    const err = vm.load(L, LOADER_LUA, '=mako.loader');
    if (err) throw err;
    const perr = vm.pcall(L, 0, 2);
    if (perr) throw perr;
    this.appLoaderRef = vm.ref(L);
    // createloader is on top now.
    if (vm.getGlobal(L, 'mako') !== T_TABLE) {
      vm.pop(L, 1);
      vm.newTable(L);
      vm.pushValue(L, -1);
      vm.setGlobal(L, 'mako');
    }
    vm.rotate(L, -2, 1);
    vm.setField(L, -2, 'createloader');
    vm.setHost(L, -1, 'createapp', (L) => this.createapp(L));
    vm.setHost(L, -1, 'startapp', (L) => this.startapp(L));
    vm.setHost(L, -1, 'stopapp', (L) => this.stopapp(L));
    vm.setHost(L, -1, 'reloadapp', (L) => this.reloadapp(L));
    vm.setHost(L, -1, 'removeapp', (L) => this.removeapp(L));
    vm.setHost(L, -1, 'getapps', (L) => {
      // Paths as given (-l, apps, createapp) of the apps whose .preload has finished.
      const list = this.mounts.list;
      vm.newTable(L, list.length);
      list.forEach((app, i) => {
        vm.pushString(L, this.specs.get(app.name)?.path ?? app.path);
        vm.rawSetI(L, -2, i + 1);
      });
      return 1;
    });
    vm.pop(L, 1);
    // Each app's own .lua directory, before its .preload runs (Mako leaves this to the app's
    // own mako.createloader(io) call; the not-found message is the same either way).
    this.rt.appHooks.push((_app, L) => this.addAppLoader(L));
    // mako.rtldir: Mako's /rtl/ directory (tracelogger, built-in pages) over its zip; here a
    // resource reader over the built-in resources, at /rtl/ with priority 127 as in Mako.
    vm.getGlobal(L, 'mako');
    const rtl = new Dir('resrdr', 'rtl', 127);
    rtl.root = vmResourceDir();
    rtl.lsp = true;
    this.mounts.root.insert(rtl);
    this.rt.dirs.push(L, rtl);
    vm.setField(L, -2, 'rtldir');
    vm.pop(L, 1);
    // env.dir: the app's resource reader (src/ba/dir.ts), one Lua object per app.
    this.rt.appHooks.push((app, L) => {
      this.rt.dirs.push(L, app.dir);
      vm.setField(L, -2, 'dir');
    });
    // Mako's app functions take the app's environment: remember each environment's app name
    // (an environment from before a restart still names its app, as Mako reuses the table).
    const e = vm.load(L, 'return setmetatable({}, { __mode = "k" })', '=mako.apps');
    if (e) throw e;
    const pe = vm.pcall(L, 0, 1);
    if (pe) throw pe;
    this.envNamesRef = vm.ref(L);
    this.rt.appHooks.push((app, L) => {
      vm.pushRef(L, this.envNamesRef);
      vm.pushValue(L, -2);
      vm.pushString(L, app.name);
      vm.rawSet(L, -3);
      vm.pop(L, 1);
    });
  }

  /** Updates mako.port / mako.sslport with the ports actually opened. */
  setPorts(port: number, sslport: number | null): void {
    const { vm } = this.rt;
    const L = vm.L;
    if (vm.getGlobal(L, 'mako') === T_TABLE) {
      vm.pushInteger(L, port);
      vm.setField(L, -2, 'port');
      if (sslport === null) vm.pushNil(L);
      else vm.pushInteger(L, sslport);
      vm.setField(L, -2, 'sslport');
    }
    vm.pop(L, 1);
    // ba.serverport / ba.serversslport: numbers in Mako (0 when there is no such listener).
    this.rt.ctx.pushBa(L);
    vm.pushInteger(L, port);
    vm.setField(L, -2, 'serverport');
    vm.pushInteger(L, sslport ?? 0);
    vm.setField(L, -2, 'serversslport');
    vm.pop(L, 1);
  }

  /** Loads and mounts an app (start-up and createapp). */
  async load(spec: AppSpec): Promise<App> {
    const app = await loadApp(this.rt, spec, this.rt.appHooks);
    this.specs.set(spec.name, spec);
    this.mounts.add(app);
    return app;
  }

  /** mako.createloader(env.io) for the app environment on top of L. */
  private addAppLoader(L: LState): void {
    const { vm } = this.rt;
    vm.pushRef(L, this.appLoaderRef);
    vm.getField(L, -2, 'io');
    const err = vm.pcall(L, 1, 0);
    if (err) throw err;
  }

  /** Runs `work` while the calling coroutine waits; resumes it with what `done` pushes. */
  private wait(L: LState, what: string, work: () => Promise<(L: LState) => number>): number {
    const { sched } = this.rt;
    const w = Wait.of(sched, what, what);
    const finish = (push: (L: LState) => number): void => w.complete(push);
    work().then(finish, (e: unknown) =>
      finish((L) => {
        this.rt.vm.pushNil(L);
        this.rt.vm.pushString(L, (e as Error).message);
        return 2;
      }),
    );
    return sched.suspend(L, w, what);
  }

  private pushEnv(L: LState, app: App): number {
    this.rt.vm.pushRef(L, app.envRef);
    return 1;
  }

  /** mako.createapp(name, prio, path): loads the directory as an app; returns its environment and `dir`. */
  private createapp(L: LState): number {
    const { args } = this.rt.ctx;
    const name = args.optString(L, 1, 'createapp', '');
    const prio = args.optInteger(L, 2, 'createapp', 0);
    const path = args.checkString(L, 3, 'createapp');
    if (this.mounts.find(name)) return this.nilErr(L, 'exist');
    return this.wait(L, 'createapp', async () => {
      const app = await this.load({ name, prio, path });
      // As in Mako: the environment and the app's directory object.
      return (L) => {
        this.pushEnv(L, app);
        this.rt.vm.getField(L, -1, 'dir');
        return 2;
      };
    });
  }

  /** mako.stopapp(name | env): calls onunload and unmounts the app; returns true. */
  private stopapp(L: LState): number {
    const name = this.appName(L, 'stopapp');
    if (name === null) return this.nilErr(L, 'notfound');
    const app = this.mounts.find(name);
    if (!app) return this.nilErr(L, 'notfound');
    return this.wait(L, 'stopapp', async () => {
      await this.stop(app);
      return (L) => {
        this.rt.vm.pushBoolean(L, true);
        return 1;
      };
    });
  }

  private async stop(app: App): Promise<void> {
    this.mounts.remove(app);
    const i = this.rt.unloadables.indexOf(app);
    if (i >= 0) this.rt.unloadables.splice(i, 1);
    await app.unload(this.rt);
  }

  /** mako.startapp(name | env): mounts a stopped app again (fresh environment, .preload run again). */
  private startapp(L: LState): number {
    const name = this.appName(L, 'startapp');
    if (name === null) return this.nilErr(L, 'notfound');
    if (this.mounts.find(name)) return this.nilErr(L, 'running');
    const spec = this.specs.get(name);
    if (!spec) return this.nilErr(L, 'notfound');
    return this.wait(L, 'startapp', async () => {
      const app = await this.load(spec);
      return (L) => this.pushEnv(L, app);
    });
  }

  /** mako.reloadapp(name | env): stopapp then startapp. */
  private reloadapp(L: LState): number {
    const name = this.appName(L, 'reloadapp');
    if (name === null) return this.nilErr(L, 'notfound');
    const app = this.mounts.find(name);
    const spec = this.specs.get(name);
    if (!app || !spec) return this.nilErr(L, 'notfound');
    return this.wait(L, 'reloadapp', async () => {
      await this.stop(app);
      const fresh = await this.load(spec);
      return (L) => this.pushEnv(L, fresh);
    });
  }

  /** mako.removeapp(name | env): stopapp if it is running, then forgets it (no startapp). */
  private removeapp(L: LState): number {
    const name = this.appName(L, 'removeapp');
    if (name === null) return this.nilErr(L, 'notfound');
    const app = this.mounts.find(name);
    if (!app && !this.specs.has(name)) return this.nilErr(L, 'notfound');
    this.specs.delete(name);
    if (!app) {
      this.rt.vm.pushBoolean(L, true);
      return 1;
    }
    return this.wait(L, 'removeapp', async () => {
      await this.stop(app);
      return (L) => {
        this.rt.vm.pushBoolean(L, true);
        return 1;
      };
    });
  }

  /** The app named by argument 1: its mount name, or (as in Mako) its environment table; null: no such app. */
  private appName(L: LState, fname: string): string | null {
    const { vm } = this.rt;
    if (vm.type(L, 1) !== T_TABLE) return this.rt.ctx.args.optString(L, 1, fname, '');
    vm.pushRef(L, this.envNamesRef);
    vm.pushValue(L, 1);
    const t = vm.rawGet(L, -2);
    const name = t === T_STRING ? vm.toStr(L, -1) : null;
    vm.pop(L, 2);
    return name;
  }

  private nilErr(L: LState, err: string): number {
    this.rt.vm.pushNil(L);
    this.rt.vm.pushString(L, err);
    return 2;
  }
}

export { AppError };
