/**
 * Which Lua VM remora runs, and how its WASM module is instantiated.
 *
 * Two builds of Lua 5.4 export the same C API:
 *  - remora's own build (build/lua/remora-lua.{cjs,wasm}, made by scripts/build-lua-vm.mjs
 *    from Debian's Lua sources when emscripten is installed). It adds `lua_hostyield`, which
 *    suspends a coroutine from a host function by returning instead of a longjmp (a thrown JS
 *    exception under emscripten): a wait costs a few hundred nanoseconds instead of microseconds.
 *  - wasmoon 1.16.0's build (the npm dependency), used when the first is absent.
 * REMORA_VM=wasmoon forces the second; REMORA_VM=remora requires the first (an error if absent).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

/** Exports common to both builds (the subset LuaVM declares is typed in lua-vm.ts). */
export interface LoadedVm<M> {
  module: M;
  /** 'remora' (own build, host yields by returning) or 'wasmoon'. */
  name: 'remora' | 'wasmoon';
}

/** The package root: this file is src/vm/ in the sources and dist/src/vm/ once built. */
function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    dir = path.dirname(dir);
  }
  return process.cwd();
}

export function ownBuildPath(): string {
  return path.join(packageRoot(), 'build/lua/remora-lua.cjs');
}

/** Which VM this process uses (before loading it). */
export function chosenVm(): 'remora' | 'wasmoon' {
  const want = process.env.REMORA_VM;
  if (want === 'wasmoon') return 'wasmoon';
  const own = existsSync(ownBuildPath()) && existsSync(ownBuildPath().replace(/\.cjs$/, '.wasm'));
  if (want === 'remora' && !own) throw new Error(`REMORA_VM=remora, but ${ownBuildPath()} is not built (npm run build with emscripten installed)`);
  return own ? 'remora' : 'wasmoon';
}

/**
 * Instantiates the chosen module and returns an object whose `_lua_*`, `_malloc` and `_free`
 * are the raw WASM exports (no emscripten ASSERTIONS shims) and whose other properties
 * (HEAPU8, addFunction, ...) come from the emscripten module.
 */
export async function loadVmModule<M>(): Promise<LoadedVm<M>> {
  const name = chosenVm();
  // Capture the WebAssembly instance to call its exports directly: wasmoon's npm build wraps
  // every export in an ASSERTIONS shim (a megamorphic keyed load and `apply` per call).
  const orig = WebAssembly.instantiate;
  let instance: WebAssembly.Instance | null = null;
  const patched = async function (this: unknown, ...a: unknown[]): Promise<unknown> {
    const r = (await (orig as (...x: unknown[]) => Promise<unknown>).apply(this, a)) as { instance?: WebAssembly.Instance };
    instance = r.instance ?? (r as unknown as WebAssembly.Instance);
    return r;
  };
  (WebAssembly as { instantiate: unknown }).instantiate = patched;
  let mod: object;
  try {
    if (name === 'remora') {
      const factory = require(ownBuildPath()) as (opts: object) => Promise<object>;
      mod = await factory({
        // Given the bytes, emscripten 3.1's loader does not try fetch() on a file path. Read
        // asynchronously, as wasmoon's loader does: that starts libuv's thread pool now, at
        // startup; otherwise the first operation that needs it (say, a cosocket's first
        // connect) waits for its threads to start, which on a loaded machine can take 100 ms.
        wasmBinary: await readFile(ownBuildPath().replace(/\.cjs$/, '.wasm')),
        // print/printErr are never used by remora (it replaces print); keep stray output off stdout.
        print: (s: string) => process.stderr.write(s + '\n'),
        printErr: (s: string) => process.stderr.write(s + '\n'),
      });
    } else {
      // wasmoon ships a UMD bundle; only LuaWasm.initialize is used, to instantiate the module.
      const { LuaWasm } = require('wasmoon') as { LuaWasm: { initialize(): Promise<{ module: object }> } };
      mod = (await LuaWasm.initialize()).module;
    }
  } finally {
    (WebAssembly as { instantiate: unknown }).instantiate = orig;
  }
  const exp = (instance as WebAssembly.Instance | null)?.exports ?? {};
  const own: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(exp)) {
    if (typeof v === 'function' && (k.startsWith('lua') || k === 'malloc' || k === 'free' || k === 'stackSave' || k === 'stackRestore')) own['_' + k] = v;
  }
  // ~160 properties added one by one would leave the object in dictionary mode (every
  // `vm.m._lua_x` a hash lookup); an object literal with the same properties has fast ones.
  const keys = Object.keys(own);
  const literal = new Function('s', `return {${keys.map((k) => `${k}: s.${k}`).join(',')}};`) as (s: object) => object;
  const raw = literal(own);
  Object.setPrototypeOf(raw, mod); // HEAPU8, addFunction, ... from the emscripten module
  return { module: raw as M, name };
}
