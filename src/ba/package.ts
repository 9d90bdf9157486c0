/**
 * `require` on the host file system, as in Lua 5.4 and the Mako Server.
 *
 * wasmoon's own `package` searchers, `package.searchpath`, `loadfile` and `dofile` look in
 * emscripten's in-memory file system, so a module on `package.path` is never found. This
 * replaces them with host versions that keep Lua 5.4's behaviour and messages, and sets
 * `package.path`/`package.cpath` from the host's `LUA_PATH_5_4`/`LUA_PATH` (`LUA_CPATH...`)
 * with the `;;` rule.
 *
 * `package.searchers` is laid out as in Mako:
 *   1. `package.preload`
 *   2. the built-in module folders: `.lua/<name>.lua` (then `.lb`) in each configured module
 *      directory (config key `modules`), then in the resources of `ba.openio"vm"`; where Mako
 *      searches its mako.zip. Not found: the message `.lua/<name>.lb`, as Mako's.
 *   3. `package.path` (Lua files)
 *   4. `package.cpath` (C libraries: this runtime cannot load them; a file that exists raises
 *      Lua's "dynamic libraries not enabled" error)
 *   5. `package.cpath` for the root name (`a` of `a.b`)
 * `mako.createloader(io)` and each app's own `.lua` folder append more (app-loader side).
 *
 * Files are read synchronously: `require` cannot yield in Lua 5.4 (its searchers run under
 * lua_call), and modules are read once.
 */
import { closeSync, openSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LuaRaise } from '../vm/lua-error.js';
import { T_TABLE, type LState } from '../vm/lua-vm.js';
import type { BaContext } from './context.js';
import { ioErrorOf } from '../fs/fs-op.js';

/** Lua 5.4's default templates on POSIX (LUA_ROOT /usr/local/), as the Mako Server has them. */
export const LUA_PATH_DEFAULT =
  '/usr/local/share/lua/5.4/?.lua;/usr/local/share/lua/5.4/?/init.lua;/usr/local/lib/lua/5.4/?.lua;/usr/local/lib/lua/5.4/?/init.lua;./?.lua;./?/init.lua';
export const LUA_CPATH_DEFAULT = '/usr/local/lib/lua/5.4/?.so;/usr/local/lib/lua/5.4/loadall.so;./?.so';

/** Lua's text when it is built without dynamic library support. */
const DLMSG = 'dynamic libraries not enabled; check your Lua installation';

/** Lua half: dofile calls the chunk from Lua so that it may wait (ba.sleep, sockets). */
const PACKAGE_LUA = `
local loadfile, error, type = ...
function dofile(filename)
  local t = type(filename)
  if t ~= "string" and t ~= "number" then
    if filename == nil then error("dofile without a file name (stdin) is not supported by this runtime", 2) end
    error("bad argument #1 to 'dofile' (string expected, got " .. t .. ")", 2)
  end
  local f, err = loadfile(filename)
  if not f then error(err, 0) end
  return f()
end
`;

/** A path template list with the first ";;" replaced by the default (Lua 5.4 setpath). */
export function luaPathFromEnv(value: string | undefined, dflt: string): string {
  if (value === undefined) return dflt;
  const mark = value.indexOf(';;');
  if (mark < 0) return value;
  let out = '';
  if (mark > 0) out += value.slice(0, mark) + ';';
  out += dflt;
  if (mark < value.length - 2) out += ';' + value.slice(mark + 2);
  return out;
}

/** Does the file exist and open for reading (Lua's `readable`: fopen(name, "r")). */
function readable(path: string): boolean {
  if (path === '' || path.includes('\0')) return false;
  try {
    closeSync(openSync(path, 'r'));
    return true;
  } catch {
    return false;
  }
}

/**
 * Lua 5.4's searchpath: `name` with `sep` replaced by `rep`, put into each `;`-separated
 * template of `path` in turn; the first readable file, or the "no file" list.
 */
export function searchPath(name: string, path: string, sep: string, rep: string): { file: string } | { err: string } {
  if (sep !== '' && name.includes(sep[0]!)) name = name.split(sep).join(rep);
  const list = path.split('?').join(name);
  for (const file of list.split(';')) if (readable(file)) return { file };
  return { err: "no file '" + list.split(';').join("'\n\tno file '") + "'" };
}

/**
 * A Lua file's bytes as luaL_loadfilex reads them: a UTF-8 BOM is dropped and a first line
 * starting with '#' is blanked (its newline kept, so line numbers stay).
 */
export function readLuaFile(path: string): { src: Buffer } | { err: string } {
  let src: Buffer;
  try {
    src = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const msg = messageOf(e);
    return { err: `cannot ${code === 'EISDIR' ? 'read' : 'open'} ${path}: ${msg}` };
  }
  let off = 0;
  if (src[0] === 0xef && src[1] === 0xbb && src[2] === 0xbf) off = 3;
  if (src[off] === 0x23 /* # */) {
    const nl = src.indexOf(0x0a, off);
    off = nl < 0 ? src.length : nl;
  }
  return { src: off ? src.subarray(off) : src };
}

function messageOf(e: unknown): string {
  try {
    return ioErrorOf(e).message;
  } catch {
    return String((e as Error)?.message ?? e);
  }
}

export interface PackageOptions {
  /** Folders searched as `.lua` folders by searcher 2, in order (module dirs, then vm). */
  moduleRoots: string[];
}

export class PackageLib {
  /** Registry ref of the `package` table. */
  private pkgRef = 0;

  constructor(
    readonly ctx: BaContext,
    private readonly opts: PackageOptions,
  ) {}

  install(L: LState): void {
    const { vm } = this.ctx;
    if (vm.getGlobal(L, 'package') !== T_TABLE) throw new Error('package library missing');
    vm.pushValue(L, -1);
    this.pkgRef = vm.ref(L);

    for (const [field, env, dflt] of [
      ['path', 'LUA_PATH', LUA_PATH_DEFAULT],
      ['cpath', 'LUA_CPATH', LUA_CPATH_DEFAULT],
    ] as const) {
      vm.pushString(L, luaPathFromEnv(process.env[env + '_5_4'] ?? process.env[env], dflt));
      vm.setField(L, -2, field);
    }

    vm.setHost(L, -1, 'searchpath', (L) => this.searchpath(L));
    vm.setHost(L, -1, 'loadlib', (L) => {
      this.ctx.args.checkString(L, 1, 'loadlib');
      this.ctx.args.checkString(L, 2, 'loadlib');
      vm.pushNil(L);
      vm.pushString(L, DLMSG);
      vm.pushString(L, 'absent');
      return 3;
    });

    // package.searchers = { preload, modules, Lua, C, Croot }
    if (vm.getField(L, -1, 'searchers') !== T_TABLE) throw new Error('package.searchers missing');
    const searchers: Array<[string, (L: LState) => number]> = [
      ['searcher_modules', (L) => this.searcherModules(L)],
      ['searcher_Lua', (L) => this.searcherLua(L)],
      ['searcher_C', (L) => this.searcherC(L)],
      ['searcher_Croot', (L) => this.searcherCroot(L)],
    ];
    searchers.forEach(([name, fn], k) => {
      vm.pushHost(L, name, fn);
      vm.rawSetI(L, -2, k + 2);
    });
    vm.pop(L, 2);

    vm.pushHost(L, 'loadfile', (L) => this.loadfile(L));
    vm.pushValue(L, -1);
    vm.setGlobal(L, 'loadfile');
    const err = vm.load(L, PACKAGE_LUA, '=dofile');
    if (err) throw err;
    vm.rotate(L, -2, 1);
    vm.getGlobal(L, 'error');
    vm.getGlobal(L, 'type');
    const perr = vm.pcall(L, 3, 0);
    if (perr) throw perr;
  }

  /** package.path / package.cpath as a string, or the error Lua raises. */
  private pathField(L: LState, field: 'path' | 'cpath'): string {
    const { vm } = this.ctx;
    vm.pushRef(L, this.pkgRef);
    vm.getField(L, -1, field);
    const s = vm.toStr(L, -1);
    vm.pop(L, 2);
    if (s === null) throw new LuaRaise(`'package.${field}' must be a string`);
    return s;
  }

  /** package.searchpath(name, path [, sep [, rep]]) */
  private searchpath(L: LState): number {
    const { vm, args } = this.ctx;
    const fname = 'package.searchpath';
    // Lua's C evaluates these arguments right to left: a missing path is reported first.
    const path = args.checkString(L, 2, fname);
    const name = args.checkString(L, 1, fname);
    const sep = args.optString(L, 3, fname, '.');
    const rep = args.optString(L, 4, fname, '/');
    const r = searchPath(name, path, sep, rep);
    if ('file' in r) {
      vm.pushString(L, r.file);
      return 1;
    }
    vm.pushNil(L);
    vm.pushString(L, r.err);
    return 2;
  }

  /** Loads a found module file or raises Lua's "error loading module" error. */
  private loadModule(L: LState, name: string, file: string, chunkname: string): void {
    const r = readLuaFile(file);
    const lerr = 'src' in r ? this.ctx.vm.load(L, r.src, '@' + chunkname) : null;
    const msg = 'err' in r ? r.err : lerr?.message;
    if (msg !== undefined) throw new LuaRaise(`error loading module '${name}' from file '${chunkname}':\n\t${msg}`);
  }

  /** Searcher 2: `.lua/<name>.lua` or `.lua/<name>.lb` in the module folders. */
  private searcherModules(L: LState): number {
    const { vm, args } = this.ctx;
    const name = args.checkString(L, 1, '?');
    const rel = name.split('.').join('/');
    for (const ext of ['lua', 'lb']) {
      for (const root of this.opts.moduleRoots) {
        const file = join(root, rel + '.' + ext);
        if (!isFile(file)) continue;
        this.loadModule(L, name, file, `.lua/${rel}.${ext}`);
        return 1;
      }
    }
    vm.pushString(L, `.lua/${rel}.lb`);
    return 1;
  }

  /** Searcher 3: Lua files on package.path. */
  private searcherLua(L: LState): number {
    const { vm, args } = this.ctx;
    const name = args.checkString(L, 1, '?');
    const r = searchPath(name, this.pathField(L, 'path'), '.', '/');
    if ('err' in r) {
      vm.pushString(L, r.err);
      return 1;
    }
    this.loadModule(L, name, r.file, r.file);
    vm.pushString(L, r.file);
    return 2;
  }

  /** Searcher 4: C libraries on package.cpath (found files cannot be loaded here). */
  private searcherC(L: LState): number {
    const { vm, args } = this.ctx;
    const name = args.checkString(L, 1, '?');
    const r = searchPath(name, this.pathField(L, 'cpath'), '.', '/');
    if ('err' in r) {
      vm.pushString(L, r.err);
      return 1;
    }
    throw new LuaRaise(`error loading module '${name}' from file '${r.file}':\n\t${DLMSG}`);
  }

  /** Searcher 5: the root name of a dotted module on package.cpath. */
  private searcherCroot(L: LState): number {
    const { vm, args } = this.ctx;
    const name = args.checkString(L, 1, '?');
    const dot = name.indexOf('.');
    if (dot < 0) return 0;
    const r = searchPath(name.slice(0, dot), this.pathField(L, 'cpath'), '.', '/');
    if ('err' in r) {
      vm.pushString(L, r.err);
      return 1;
    }
    throw new LuaRaise(`error loading module '${name}' from file '${r.file}':\n\t${DLMSG}`);
  }

  /** loadfile([filename [, mode [, env]]]) on the host file system. */
  private loadfile(L: LState): number {
    const { vm, args } = this.ctx;
    if (args.isNoneOrNil(L, 1)) throw new LuaRaise('loadfile without a file name (stdin) is not supported by this runtime');
    const file = args.checkString(L, 1, 'loadfile');
    const mode = args.isNoneOrNil(L, 2) ? undefined : args.checkString(L, 2, 'loadfile');
    const hasEnv = vm.top(L) >= 3;
    const r = readLuaFile(file);
    const lerr = 'src' in r ? vm.load(L, r.src, '@' + file, mode) : null;
    const msg = 'err' in r ? r.err : lerr?.message;
    if (msg !== undefined) {
      vm.pushNil(L);
      vm.pushString(L, msg);
      return 2;
    }
    if (hasEnv) {
      vm.pushValue(L, 3);
      if (!vm.setUpvalue(L, -2, 1)) vm.pop(L, 1);
    }
    return 1;
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Installs the host-backed package searchers, package.searchpath, loadfile and dofile. */
export function installPackage(ctx: BaContext, opts: PackageOptions): PackageLib {
  const lib = new PackageLib(ctx, opts);
  lib.install(ctx.vm.L);
  return lib;
}
