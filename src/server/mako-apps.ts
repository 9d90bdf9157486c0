/**
 * The `mako` members that need the app server (server.md §3): `createloader`, and
 * `createapp`/`startapp`/`stopapp`/`reloadapp` (minimal: load, unmount, remount, reload an app
 * directory at run time). Every app also gets a loader for its own `.lua` directory before its
 * `.preload` runs, as Mako does, so `require"x"` finds `<app>/.lua/x.lua`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LuaRaise } from '../vm/lua-error.js';
import { T_TABLE, type LState } from '../vm/lua-vm.js';
import type { Waiter } from '../sched/scheduler.js';
import type { Runtime } from '../app/runtime.js';
import { App, AppError, loadApp } from '../app/app-loader.js';
import type { AppSpec } from '../app/config.js';
import type { Mounts } from './mounts.js';

const LOADER_LUA = `
local searchers, loadmod = package.searchers, ...
local roots = {}
local function addroot(root)
  if roots[root] then return true end
  roots[root] = true
  searchers[#searchers + 1] = function(name) return loadmod(root, name) end
  return true
end
local function createloader(io)
  local root = io and io.realpath and io:realpath(".lua")
  if not root then return nil, "notimplemented" end
  return addroot(root)
end
return createloader, addroot
`;

export class MakoApps {
  /** App specs by name, also of stopped apps (for startapp). */
  private readonly specs = new Map<string, AppSpec>();
  private addRootRef = 0;

  constructor(
    private readonly rt: Runtime,
    private readonly mounts: Mounts,
  ) {}

  install(): void {
    const { vm } = this.rt;
    const L = vm.L;
    const err = vm.load(L, LOADER_LUA, '=mako.loader');
    if (err) throw err;
    vm.pushHost(L, 'loader', (L) => this.loadModule(L));
    const perr = vm.pcall(L, 1, 2);
    if (perr) throw perr;
    this.addRootRef = vm.ref(L);
    // createloader is on top now.
    if (vm.getGlobal(L, 'mako') !== T_TABLE) {
      vm.pop(L, 1);
      vm.newTable(L);
      vm.m._lua_pushvalue(L, -1);
      vm.setGlobal(L, 'mako');
    }
    vm.m._lua_rotate(L, -2, 1);
    vm.setField(L, -2, 'createloader');
    vm.setHost(L, -1, 'createapp', (L) => this.createapp(L));
    vm.setHost(L, -1, 'startapp', (L) => this.startapp(L));
    vm.setHost(L, -1, 'stopapp', (L) => this.stopapp(L));
    vm.setHost(L, -1, 'reloadapp', (L) => this.reloadapp(L));
    vm.pop(L, 1);
    // Each app's own .lua directory, before its .preload runs.
    this.rt.appHooks.push((app) => this.addRoot(join(app.path, '.lua')));
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
  }

  /** Loads and mounts an app (start-up and createapp). */
  async load(spec: AppSpec): Promise<App> {
    const app = await loadApp(this.rt, spec, this.rt.appHooks);
    this.specs.set(spec.name, spec);
    this.mounts.add(app);
    return app;
  }

  private addRoot(root: string): void {
    const { vm } = this.rt;
    const L = vm.L;
    vm.pushRef(L, this.addRootRef);
    vm.pushString(L, root);
    const err = vm.pcall(L, 1, 0);
    if (err) throw err;
  }

  /** package.searchers entry: `<root>/a/b.lua` for require"a.b". */
  private loadModule(L: LState): number {
    const { vm, args } = this.rt.ctx;
    const root = args.checkString(L, 1, 'searcher');
    const name = args.checkString(L, 2, 'searcher');
    const path = join(root, ...name.split('.')) + '.lua';
    let src: Buffer;
    try {
      src = readFileSync(path);
    } catch {
      vm.pushString(L, `no file '${path}'`);
      return 1;
    }
    const err = vm.load(L, src, '@' + path);
    if (err) throw new LuaRaise(`error loading module '${name}' from file '${path}':\n\t${err.message}`);
    vm.pushString(L, path);
    return 2;
  }

  /** Runs `work` while the calling coroutine waits; resumes it with what `done` pushes. */
  private wait(L: LState, what: string, work: () => Promise<(L: LState) => number>): number {
    const { sched } = this.rt;
    const task = sched.current;
    if (!task) throw new LuaRaise(`${what}: no coroutine to suspend`);
    let active = true;
    const w: Waiter = {
      state: what,
      abort() {
        active = false;
      },
    };
    const finish = (push: (L: LState) => number): void => {
      if (!active || task.done || task.waiting !== w) return;
      sched.resume(task, push(task.co));
    };
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

  /** mako.createapp(name, prio, path): loads the directory as an app; returns its environment. */
  private createapp(L: LState): number {
    const { args } = this.rt.ctx;
    const name = args.optString(L, 1, 'createapp', '');
    const prio = args.optInteger(L, 2, 'createapp', 0);
    const path = args.checkString(L, 3, 'createapp');
    if (this.mounts.find(name)) return this.nilErr(L, 'exist');
    return this.wait(L, 'createapp', async () => {
      const app = await this.load({ name, prio, path });
      return (L) => this.pushEnv(L, app);
    });
  }

  /** mako.stopapp(name): calls onunload and unmounts the app; returns true. */
  private stopapp(L: LState): number {
    const name = this.rt.ctx.args.optString(L, 1, 'stopapp', '');
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

  /** mako.startapp(name): mounts a stopped app again (fresh environment, .preload run again). */
  private startapp(L: LState): number {
    const name = this.rt.ctx.args.optString(L, 1, 'startapp', '');
    if (this.mounts.find(name)) return this.nilErr(L, 'running');
    const spec = this.specs.get(name);
    if (!spec) return this.nilErr(L, 'notfound');
    return this.wait(L, 'startapp', async () => {
      const app = await this.load(spec);
      return (L) => this.pushEnv(L, app);
    });
  }

  /** mako.reloadapp(name): stopapp then startapp. */
  private reloadapp(L: LState): number {
    const name = this.rt.ctx.args.optString(L, 1, 'reloadapp', '');
    const app = this.mounts.find(name);
    const spec = this.specs.get(name);
    if (!app || !spec) return this.nilErr(L, 'notfound');
    return this.wait(L, 'reloadapp', async () => {
      await this.stop(app);
      const fresh = await this.load(spec);
      return (L) => this.pushEnv(L, fresh);
    });
  }

  private nilErr(L: LState, err: string): number {
    this.rt.vm.pushNil(L);
    this.rt.vm.pushString(L, err);
    return 2;
  }
}

export { AppError };
