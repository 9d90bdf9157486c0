/**
 * The raw side of the Lua VM: Lua 5.4's constants and the emscripten exports of the Lua build
 * that src/vm/ calls. Nothing outside src/vm/ uses these exports directly.
 */
export const LUA_OK = 0;
export const LUA_YIELD = 1;
export const LUA_ERRRUN = 2;
export const LUA_ERRSYNTAX = 3;
export const LUA_REGISTRYINDEX = -1001000;
export const LUA_MULTRET = -1;

export const T_NONE = -1;
export const T_NIL = 0;
export const T_BOOLEAN = 1;
export const T_LIGHTUSERDATA = 2;
export const T_NUMBER = 3;
export const T_STRING = 4;
export const T_TABLE = 5;
export const T_FUNCTION = 6;
export const T_USERDATA = 7;
export const T_THREAD = 8;

/**
 * Returned by a host function to suspend its coroutine: the wrapper yields outside its try
 * block, so Lua's longjmp (a thrown `Infinity`) does not pass through a JS catch/rethrow on
 * the hot path.
 */
export const YIELD = -1;

/** A Lua state pointer (main state or coroutine). */
export type LState = number;
/** A host function: reads its arguments from L, pushes results, returns how many. */
export type HostFunction = (L: LState) => number;

/** The subset of the emscripten module used here. */
export interface RawModule {
  HEAPU8: Uint8Array;
  HEAP32: Int32Array;
  HEAPU32: Uint32Array;
  HEAPF64: Float64Array;
  addFunction(fn: (...a: number[]) => unknown, sig: string): number;
  _malloc(n: number): number;
  _free(p: number): void;
  _luaL_newstate(): number;
  _luaL_openlibs(L: number): void;
  _luaL_loadbufferx(L: number, buf: number, sz: number, name: number, mode: number): number;
  _luaL_ref(L: number, t: number): number;
  _luaL_unref(L: number, t: number, ref: number): void;
  _luaL_traceback(L: number, L1: number, msg: number, level: number): void;
  _luaL_where(L: number, lvl: number): void;
  _luaL_tolstring(L: number, idx: number, len: number): number;
  _luaL_newmetatable(L: number, name: number): number;
  _lua_gettop(L: number): number;
  _lua_settop(L: number, idx: number): void;
  _lua_pushvalue(L: number, idx: number): void;
  _lua_rotate(L: number, idx: number, n: number): void;
  _lua_copy(L: number, from: number, to: number): void;
  _lua_checkstack(L: number, n: number): number;
  _lua_xmove(from: number, to: number, n: number): void;
  _lua_type(L: number, idx: number): number;
  _lua_tolstring(L: number, idx: number, len: number): number;
  _lua_tonumberx(L: number, idx: number, isnum: number): number;
  _lua_tointegerx(L: number, idx: number, isnum: number): bigint;
  _lua_toboolean(L: number, idx: number): number;
  _lua_isinteger(L: number, idx: number): number;
  _lua_touserdata(L: number, idx: number): number;
  _lua_tothread(L: number, idx: number): number;
  _lua_rawlen(L: number, idx: number): number;
  _lua_rawequal(L: number, a: number, b: number): number;
  _lua_pushnil(L: number): void;
  _lua_pushnumber(L: number, n: number): void;
  _lua_pushinteger(L: number, n: bigint): void;
  _lua_pushlstring(L: number, s: number, len: number): number;
  _lua_pushboolean(L: number, b: number): void;
  _lua_pushcclosure(L: number, fn: number, n: number): void;
  _lua_pushlightuserdata(L: number, p: number): void;
  _lua_pushthread(L: number): number;
  _lua_createtable(L: number, narr: number, nrec: number): void;
  _lua_newuserdatauv(L: number, size: number, nuv: number): number;
  _lua_getfield(L: number, idx: number, k: number): number;
  _lua_setfield(L: number, idx: number, k: number): void;
  _lua_getglobal(L: number, name: number): number;
  _lua_setglobal(L: number, name: number): void;
  _lua_rawget(L: number, idx: number): number;
  _lua_rawset(L: number, idx: number): void;
  _lua_rawgeti(L: number, idx: number, n: bigint): number;
  _lua_rawseti(L: number, idx: number, n: bigint): void;
  _lua_gettable(L: number, idx: number): number;
  _lua_settable(L: number, idx: number): void;
  _lua_next(L: number, idx: number): number;
  _lua_getmetatable(L: number, idx: number): number;
  _lua_setmetatable(L: number, idx: number): number;
  _lua_newthread(L: number): number;
  _lua_resume(L: number, from: number, nargs: number, nres: number): number;
  _lua_yieldk(L: number, nres: number, ctx: number, k: number): number;
  /** remora's own build only: yields by returning when it can (vm-module.ts). */
  _lua_hostyield?: (L: number, nres: number) => number;
  /** remora's own build only: pushes an unfilled long string, returns its bytes' address (native/push-buffer.c). */
  _lua_pushbuffer?: (L: number, len: number) => number;
  /** remora's own build: the arguments' shape in one call (native/host-args.c). */
  _remora_args?: (L: number, out: number) => void;
  /** remora's own build: pushes true and an integer. */
  _remora_pushok?: (L: number, n: number) => void;
  _lua_isyieldable(L: number): number;
  _lua_status(L: number): number;
  _lua_error(L: number): number;
  _lua_callk(L: number, nargs: number, nres: number, ctx: number, k: number): void;
  _lua_pcallk(L: number, nargs: number, nres: number, msgh: number, ctx: number, k: number): number;
  _lua_sethook(L: number, f: number, mask: number, count: number): void;
  _lua_concat(L: number, n: number): void;
  _lua_closeslot(L: number, idx: number): void;
  _lua_resetthread(L: number): number;
  _lua_setupvalue(L: number, f: number, n: number): number;
  _lua_stringtonumber(L: number, s: number): number;
  _lua_getstack(L: number, level: number, ar: number): number;
  _lua_getinfo(L: number, what: number, ar: number): number;
}
