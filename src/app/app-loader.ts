/**
 * Apps: a directory mounted at a URL name, with a `.preload` script run in the
 * app's own environment (`io`, `dir`, `app`; `__index` to `_G`) and an optional `onunload`
 * function called at shutdown. As in Mako an app may also be a zip file (`-l::app.zip`): its
 * `io` is the zip file's read-only IO, and its `.preload`, pages and files come from there.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { IoDef } from '../ba/io-def.js';
import { ZipArchive } from '../fs/zip-archive.js';
import { join, resolve } from 'node:path';
import { T_FUNCTION } from '../vm/lua-vm.js';
import type { AppEnvHook, Runtime, Unloadable } from './runtime.js';
import type { AppSpec } from './config.js';
import { Dir } from '../ba/dir.js';

/** A problem with an app or script path: reported as one line, non-zero exit. */
export class AppError extends Error {}

/**
 * An app whose `.preload` failed (syntax or run-time error): it is not mounted, its
 * `onunload` never runs, and the server goes on with the next app, as Mako does. Issue 14:
 * a `.preload` typically installs the app's authentication, so serving the app without it
 * would open protected pages.
 */
export class PreloadError extends Error {}

export type { AppEnvHook } from './runtime.js';

/**
 * Header fields Mako's start-up script gives every app directory (`dir:header{...}`); the
 * standard X-Content-Type-Options is added so browsers act on it (Mako's `x-content-type`
 * has no effect in them).
 */
export const DEFAULT_APP_HEADERS: ReadonlyArray<readonly [string, string]> = [
  ['x-content-type', 'nosniff'],
  ['X-Content-Type-Options', 'nosniff'],
  ['x-xss-protection', '1; mode=block'],
];

export class App implements Unloadable {
  /** Registry reference of the app's environment table. */
  envRef = 0;
  /**
   * The app's directory (env.dir): a resource reader over the app's files with LSP on, named
   * as the app, inserted into the server's root directory when the app is mounted.
   */
  readonly dir: Dir;
  constructor(
    readonly name: string,
    readonly prio: number,
    readonly path: string,
    /** The app's CPU budget in ms (config `apps` entry `cpubudget`); undefined = the global one. */
    readonly cpuBudgetMs?: number,
    /** An app run from a zip file: the zip file's IO (its `io`); null for a directory. */
    readonly zipIo: IoDef | null = null,
  ) {
    this.dir = new Dir('resrdr', name === '' ? null : name, prio);
    this.dir.lsp = true;
    this.dir.owner = this;
    this.dir.root = zipIo ? null : path;
    this.dir.io = zipIo;
    for (const [k, v] of DEFAULT_APP_HEADERS) this.dir.setHeader(k, v);
  }

  /** Fields added to every response the app's files produce (`dir:header`). */
  get headers(): Map<string, string> {
    return this.dir.headers;
  }

  /** Calls `onunload` if the app defined one. */
  async unload(rt?: Runtime): Promise<void> {
    const r = rt ?? this.rt;
    if (!r || !this.envRef) return;
    const { vm } = r;
    const L = vm.L;
    vm.pushRef(L, this.envRef);
    const t = vm.getField(L, -1, 'onunload');
    vm.pop(L, 2);
    if (t !== T_FUNCTION) return;
    await r.run('local env = ... return env.onunload()', '=onunload', 'preload', 0, (L) => {
      vm.pushRef(L, this.envRef);
      return 1;
    }, this.cpuBudgetMs);
  }

  rt: Runtime | null = null;
}

/** True when `path` is a file that reads as a zip file (an app run from a zip file). */
export function isZipFile(path: string): boolean {
  try {
    new ZipArchive(readFileSync(path));
    return true;
  } catch {
    return false;
  }
}

export async function loadApp(rt: Runtime, spec: AppSpec, hooks: AppEnvHook[] = []): Promise<App> {
  const dir = resolve(spec.path);
  let st;
  try {
    st = statSync(dir);
  } catch {
    throw new AppError(`app directory not found: ${spec.path}`);
  }
  let zipIo: IoDef | null = null;
  if (!st.isDirectory()) {
    try {
      zipIo = new IoDef('', 'zip', true, false, new ZipArchive(readFileSync(dir)));
    } catch {
      throw new AppError(`app path is neither a directory nor a zip file: ${spec.path}`);
    }
  }
  const app = new App(spec.name, spec.prio, dir, spec.cpubudget, zipIo);
  app.rt = rt;
  const { vm } = rt;
  const L = vm.L;
  // env = { app = env }, setmetatable(env, { __index = _G })
  vm.newTable(L);
  vm.pushValue(L, -1);
  vm.setField(L, -2, 'app');
  vm.newTable(L);
  vm.pushGlobals(L);
  vm.setField(L, -2, '__index');
  vm.setMetatable(L, -2);
  for (const h of hooks) h(app, L);
  app.envRef = vm.ref(L);
  rt.unloadables.push(app);
  const preload = join(dir, '.preload');
  const zipped = zipIo?.archive?.get('.preload');
  if (zipped ? !zipped.isdir : !zipIo && existsSync(preload)) {
    const src = zipped ? zipIo!.archive!.read(zipped) : readFileSync(preload);
    // Chunks are named relative to their app, as in BAS: errors read ".preload:12: ...".
    const rel = '.preload';
    // Runtime errors are traced by run() (chunk:line and traceback); a syntax error is traced
    // here. Either way the app is dropped and the server goes on with the next one.
    const err = await rt.run(src, '@' + rel, 'preload', app.envRef, undefined, app.cpuBudgetMs).catch((e: Error) => {
      rt.log.write(`-------- Lua error: ${e.message}\n`);
      return e;
    });
    if (err) {
      const i = rt.unloadables.indexOf(app);
      if (i >= 0) rt.unloadables.splice(i, 1);
      vm.unref(app.envRef);
      app.envRef = 0;
      // Mako's start-up line for an app that did not load.
      const msg = err.message.split('\n')[0]!;
      rt.log.write(`Loading ${spec.path} as "${spec.name === '' ? 'root application' : spec.name}" : failed: ${msg}\n`);
      throw new PreloadError(msg);
    }
  }
  return app;
}
