/**
 * The Lua VM bridge: Lua 5.4 used only through its raw emscripten exports (`_lua_*`,
 * `HEAPU8`); vm-module.ts picks the build (remora's own, or wasmoon 1.16.0's). This is the only
 * folder that loads a VM; swapping it touches src/vm/ alone.
 *
 * Facts this file relies on:
 *  - lua_Integer parameters and results are BigInt (WASM_BIGINT build).
 *  - Lua's longjmp (errors and yields) is `throw Infinity` through JS frames; a JS exception
 *    escaping a host function corrupts the coroutine, so every host function goes through
 *    `wrapHost`.
 *  - HEAPU8 is replaced when WASM memory grows: views are refreshed when detached.
 */
import { LuaArgError, LuaError, LuaRaise } from './lua-error.js';
import { loadVmModule } from './vm-module.js';
import { argErrorMessage } from './arg-error.js';
import { HostArgs } from './host-args.js';
import { CHUNK_MODE_LUA } from './chunk-mode.js';
import { LUA_OK, LUA_REGISTRYINDEX, T_NUMBER, T_STRING, YIELD, type HostFunction, type LState, type RawModule } from './lua-raw.js';

export * from './lua-raw.js';

const TYPE_NAMES = ['nil', 'boolean', 'userdata', 'number', 'string', 'table', 'function', 'userdata', 'thread'];

const utf8 = new TextDecoder('utf-8');
/** BigInt(n) allocates; small counts (queue sizes, lengths) are pushed from this table. */
const SMALL_BIGINTS = Array.from({ length: 256 }, (_, i) => BigInt(i));
const enc = new TextEncoder();
/** LUAI_MAXSHORTLEN: longer strings are not interned and can be pushed unfilled (pushBuffer). */
const LONG_STRING = 40;

/** Is this a longjmp (Lua error or yield) or an emscripten unwind that must pass through? */
export function isLuaUnwind(e: unknown): boolean {
  return e === Infinity || (typeof e === 'object' && e !== null && (e as { name?: string }).name === 'ExitStatus');
}


export interface LuaVMOptions {
  /** Called from the count hook every `hookCount` instructions; may raise or yield. */
  hookCount?: number;
}

export class LuaVM {
  readonly m: RawModule;
  /** The main state; host code never runs Lua on it directly, only creates threads from it. */
  readonly L: LState;
  private u8: Uint8Array;
  private i32: Int32Array;
  private u32: Uint32Array;
  private scratch: number;
  private scratchSize: number;
  /** A 4-byte out-parameter for lengths and resume result counts. */
  private readonly outPtr: number;
  private readonly cstrings = new Map<string, number>();
  /** lua_pushbuffer of remora's own build; undefined on wasmoon's. */
  private readonly pushBuffer: ((L: number, len: number) => number) | undefined;
  /** remora_pushok of remora's own build (native/host-args.c); undefined on wasmoon's. */
  private readonly pushOkFn: ((L: number, n: number) => void) | undefined;
  /** The arguments' shape in one call (host-args.ts); `read` is false on wasmoon's VM. */
  readonly args: HostArgs;

  private constructor(m: RawModule) {
    this.m = m;
    this.u8 = m.HEAPU8;
    this.i32 = m.HEAP32;
    this.u32 = m.HEAPU32;
    this.scratchSize = 64 * 1024;
    this.scratch = m._malloc(this.scratchSize);
    this.outPtr = m._malloc(8);
    this.pushBuffer = m._lua_pushbuffer;
    this.pushOkFn = m._remora_pushok;
    this.args = new HostArgs(m);
    this.L = m._luaL_newstate();
    m._luaL_openlibs(this.L);
    this.installChunkMode();
  }

  /**
   * Whether precompiled (binary) chunks may be loaded (configuration `binarychunks`). Off by
   * default (issue 14): Lua does not verify bytecode, and malformed bytecode can corrupt or
   * trap the VM; a server accepts source text only. Covers every load path: `load`,
   * `loadfile`, `dofile`, `require`'s loaders and every host load (pages, .preload, modules).
   */
  get binaryChunks(): boolean {
    return this.allowBinary;
  }

  set binaryChunks(allow: boolean) {
    this.allowBinary = allow;
    this.pushRef(this.L, this.chunkModeRef);
    this.m._lua_pushboolean(this.L, allow ? 1 : 0);
    const err = this.pcall(this.L, 1, 0);
    if (err) throw err;
  }

  private allowBinary = false;
  private chunkModeRef = 0;

  /** Replaces load/loadfile/dofile with versions that honour binaryChunks. */
  private installChunkMode(): void {
    const err = this.load(this.L, CHUNK_MODE_LUA, '=chunkmode');
    if (err) throw err;
    const perr = this.pcall(this.L, 0, 1);
    if (perr) throw perr;
    this.chunkModeRef = this.ref(this.L);
  }

  static async create(): Promise<LuaVM> {
    const { module, name } = await loadVmModule<RawModule>();
    const vm = new LuaVM(module);
    vm.vmName = name;
    return vm;
  }

  /** Which build runs: 'remora' (host yields return) or 'wasmoon' (they longjmp). */
  vmName: 'remora' | 'wasmoon' = 'wasmoon';

  // ---- heap access -------------------------------------------------------------------------

  /** Current HEAPU8 (refreshed after memory growth detached the old view). */
  heap(): Uint8Array {
    if (this.u8.byteLength === 0) this.refreshViews();
    return this.u8;
  }

  private refreshViews(): void {
    this.u8 = this.m.HEAPU8;
    this.i32 = this.m.HEAP32;
    this.u32 = this.m.HEAPU32;
  }

  readI32(p: number): number {
    if (this.i32.byteLength === 0) this.refreshViews();
    return this.i32[p >> 2]!;
  }

  writeI32(p: number, v: number): void {
    if (this.i32.byteLength === 0) this.refreshViews();
    this.i32[p >> 2] = v;
  }

  private readU32(p: number): number {
    if (this.u32.byteLength === 0) this.refreshViews();
    return this.u32[p >> 2]!;
  }

  /** A NUL-terminated copy of `s` in WASM memory, kept for the VM's life (names, keys). */
  cstr(s: string): number {
    let p = this.cstrings.get(s);
    if (p === undefined) {
      const b = enc.encode(s);
      p = this.m._malloc(b.length + 1);
      const h = this.heap();
      h.set(b, p);
      h[p + b.length] = 0;
      this.cstrings.set(s, p);
    }
    return p;
  }

  private ensureScratch(n: number): number {
    if (n > this.scratchSize) {
      this.m._free(this.scratch);
      let size = this.scratchSize;
      while (size < n) size *= 2;
      this.scratch = this.m._malloc(size);
      this.scratchSize = size;
      this.refreshViews();
    }
    return this.scratch;
  }

  // ---- values: Lua -> JS -------------------------------------------------------------------

  type(L: LState, i: number): number {
    return this.m._lua_type(L, i);
  }

  typeName(L: LState, i: number): string {
    const t = this.m._lua_type(L, i);
    return t < 0 ? 'no value' : TYPE_NAMES[t]!;
  }

  top(L: LState): number {
    return this.m._lua_gettop(L);
  }

  /** Bytes of a string (or number, converted in place as Lua does) at `i`, or null. */
  toBytes(L: LState, i: number): Buffer | null {
    const t = this.m._lua_type(L, i);
    if (t !== T_STRING && t !== T_NUMBER) return null;
    const p = this.m._lua_tolstring(L, i, this.outPtr);
    const len = this.readU32(this.outPtr);
    return Buffer.from(this.heap().subarray(p, p + len));
  }

  /** A zero-copy view of a string's bytes; valid only until the next Lua call. */
  viewBytes(L: LState, i: number): Uint8Array | null {
    const t = this.m._lua_type(L, i);
    if (t !== T_STRING && t !== T_NUMBER) return null;
    const p = this.m._lua_tolstring(L, i, this.outPtr);
    const len = this.readU32(this.outPtr);
    return this.heap().subarray(p, p + len);
  }

  /**
   * The WASM address of a string's bytes at `i` (length in `strLen`), or -1 when the value is
   * not a string or number; valid only until the next Lua call. For copies without a view.
   */
  strPtr(L: LState, i: number): number {
    const t = this.m._lua_type(L, i);
    if (t !== T_STRING && t !== T_NUMBER) return -1;
    const p = this.m._lua_tolstring(L, i, this.outPtr);
    this.strLen = this.readU32(this.outPtr);
    return p;
  }

  strLen = 0;

  /** Pushes `true` and the integer `n` (a write's answer). */
  pushOk(L: LState, n: number): void {
    const f = this.pushOkFn;
    if (f !== undefined && n >= 0 && n <= 0x7fffffff) f(L, n);
    else {
      this.m._lua_pushboolean(L, 1);
      this.pushInteger(L, n);
    }
  }

  /** A string (or number) at `i` decoded as UTF-8, or null. */
  toStr(L: LState, i: number): string | null {
    const v = this.viewBytes(L, i);
    return v === null ? null : utf8.decode(v);
  }

  /** `tostring(v)` as Lua does it (metamethods included). Leaves the stack unchanged. */
  toDisplay(L: LState, i: number): string {
    const p = this.m._luaL_tolstring(L, i, this.outPtr);
    const len = this.readU32(this.outPtr);
    const s = utf8.decode(this.heap().subarray(p, p + len));
    this.m._lua_settop(L, -2);
    return s;
  }

  toNumber(L: LState, i: number): number | null {
    const n = this.m._lua_tonumberx(L, i, this.outPtr);
    return this.readI32(this.outPtr) ? n : null;
  }

  /** Integer value if the value is a number with an exact integer representation. */
  toInteger(L: LState, i: number): number | null {
    const n = this.m._lua_tointegerx(L, i, this.outPtr);
    return this.readI32(this.outPtr) ? Number(n) : null;
  }

  toBigInt(L: LState, i: number): bigint | null {
    const n = this.m._lua_tointegerx(L, i, this.outPtr);
    return this.readI32(this.outPtr) ? n : null;
  }

  toBoolean(L: LState, i: number): boolean {
    return this.m._lua_toboolean(L, i) !== 0;
  }

  isInteger(L: LState, i: number): boolean {
    return this.m._lua_isinteger(L, i) !== 0;
  }

  // ---- values: JS -> Lua -------------------------------------------------------------------

  pushNil(L: LState): void {
    this.m._lua_pushnil(L);
  }

  pushBoolean(L: LState, b: boolean): void {
    this.m._lua_pushboolean(L, b ? 1 : 0);
  }

  pushInteger(L: LState, n: number | bigint): void {
    this.m._lua_pushinteger(L, typeof n === 'bigint' ? n : n >= 0 && n < 256 && n === (n | 0) ? SMALL_BIGINTS[n]! : BigInt(n));
  }

  pushNumber(L: LState, n: number): void {
    this.m._lua_pushnumber(L, n);
  }

  /** Pushes an integer when `n` is integral, else a float. */
  pushNum(L: LState, n: number): void {
    if (Number.isSafeInteger(n)) this.m._lua_pushinteger(L, BigInt(n));
    else this.m._lua_pushnumber(L, n);
  }

  /** Pushes bytes exactly (NUL and invalid UTF-8 included). */
  pushBytes(L: LState, b: Uint8Array): void {
    const n = b.length;
    if (n > LONG_STRING && this.pushBuffer && b.buffer !== this.heap().buffer) {
      // Straight into the new string (native/push-buffer.c): one native copy. Not for a view
      // into WASM memory, which the string's allocation may detach (memory growth).
      const p = this.pushBuffer(L, n);
      this.heap().set(b, p);
      return;
    }
    const p = this.ensureScratch(n);
    this.heap().set(b, p);
    this.m._lua_pushlstring(L, p, n);
  }

  /** Pushes bytes `start..end` of `src` exactly (no intermediate view object). */
  pushBytesFrom(L: LState, src: Buffer, start: number, end: number): void {
    const n = end - start;
    if (n > LONG_STRING && this.pushBuffer && src.buffer !== this.heap().buffer) {
      const p = this.pushBuffer(L, n);
      src.copy(this.heap(), p, start, end);
      return;
    }
    const p = this.ensureScratch(n);
    src.copy(this.heap(), p, start, end);
    this.m._lua_pushlstring(L, p, n);
  }

  /**
   * Where to write the `n` bytes of a string that `commitString(L, p, n)` then pushes, for a
   * host that fills them itself (say, unmasking while it copies): a long string is created and
   * pushed here (fill it before anything else runs on L), a short one is made from scratch space.
   * Read `heap()` after this call (memory may grow).
   */
  stringSlot(L: LState, n: number): number {
    return n > LONG_STRING && this.pushBuffer ? this.pushBuffer(L, n) : this.ensureScratch(n);
  }

  commitString(L: LState, p: number, n: number): void {
    if (!(n > LONG_STRING && this.pushBuffer)) this.m._lua_pushlstring(L, p, n);
  }

  /** Pushes a JS string as UTF-8. */
  pushString(L: LState, s: string): void {
    const max = s.length * 3;
    const p = this.ensureScratch(max);
    const { written } = enc.encodeInto(s, this.heap().subarray(p, p + max));
    this.m._lua_pushlstring(L, p, written);
  }

  newTable(L: LState, narr = 0, nrec = 0): void {
    this.m._lua_createtable(L, narr, nrec);
  }

  /** t[name] = top; pops the value. */
  setField(L: LState, idx: number, name: string): void {
    this.m._lua_setfield(L, idx, this.cstr(name));
  }

  getField(L: LState, idx: number, name: string): number {
    return this.m._lua_getfield(L, idx, this.cstr(name));
  }

  getGlobal(L: LState, name: string): number {
    return this.m._lua_getglobal(L, this.cstr(name));
  }

  setGlobal(L: LState, name: string): void {
    this.m._lua_setglobal(L, this.cstr(name));
  }

  rawGetI(L: LState, idx: number, n: number): number {
    return this.m._lua_rawgeti(L, idx, BigInt(n));
  }

  rawSetI(L: LState, idx: number, n: number): void {
    this.m._lua_rawseti(L, idx, BigInt(n));
  }

  /** t[k] without metamethods: t at idx, k on top (replaced by the value); returns its type. */
  rawGet(L: LState, idx: number): number {
    return this.m._lua_rawget(L, idx);
  }

  /** t[k] = v without metamethods: t at idx, k and v on top (both popped). */
  rawSet(L: LState, idx: number): void {
    this.m._lua_rawset(L, idx);
  }

  /** The length of the value at idx without metamethods (#t of a sequence). */
  rawLen(L: LState, idx: number): number {
    return Number(this.m._lua_rawlen(L, idx));
  }

  /** lua_next: the key on top is replaced by the next key and its value; false at the end. */
  next(L: LState, idx: number): boolean {
    return this.m._lua_next(L, idx) !== 0;
  }

  pushValue(L: LState, idx: number): void {
    this.m._lua_pushvalue(L, idx);
  }

  pushLightUserdata(L: LState, p: number): void {
    this.m._lua_pushlightuserdata(L, p);
  }

  /** Rotates the stack from idx to the top by n places (n = 1 moves the top value to idx). */
  rotate(L: LState, idx: number, n: number): void {
    this.m._lua_rotate(L, idx, n);
  }

  /** Makes room for n more values; false when the stack cannot grow. */
  checkStack(L: LState, n: number): boolean {
    return this.m._lua_checkstack(L, n) !== 0;
  }

  /** The userdata block address of the value at idx (0 when it is no userdata). */
  toUserdata(L: LState, idx: number): number {
    return this.m._lua_touserdata(L, idx);
  }

  /** Pushes tostring(value at idx) as Lua's tostring makes it (__tostring, __name). */
  pushToString(L: LState, idx: number): void {
    this.m._luaL_tolstring(L, idx, 0);
  }

  /** Pushes the global table (the registry's LUA_RIDX_GLOBALS). */
  pushGlobals(L: LState): void {
    this.m._lua_rawgeti(L, LUA_REGISTRYINDEX, 2n);
  }

  /** Pops the top value into upvalue n of the function at idx; false (nothing popped) when there is none. */
  setUpvalue(L: LState, idx: number, n: number): boolean {
    return this.m._lua_setupvalue(L, idx, n) !== 0;
  }

  /** Pushes the number a numeral converts to with Lua's own rules; false (nothing pushed) when invalid. */
  pushNumeral(L: LState, numeral: Uint8Array): boolean {
    const p = this.m._malloc(numeral.length + 1);
    this.heap().set(numeral, p);
    this.heap()[p + numeral.length] = 0;
    try {
      return this.m._lua_stringtonumber(L, p) !== 0;
    } finally {
      this.m._free(p);
    }
  }

  pop(L: LState, n = 1): void {
    this.m._lua_settop(L, -n - 1);
  }

  settop(L: LState, n: number): void {
    this.m._lua_settop(L, n);
  }

  /** Anchors the value on top of L in the registry (pops it); returns the reference. */
  ref(L: LState): number {
    return this.m._luaL_ref(L, LUA_REGISTRYINDEX);
  }

  unref(ref: number): void {
    this.m._luaL_unref(this.L, LUA_REGISTRYINDEX, ref);
  }

  pushRef(L: LState, ref: number): number {
    return this.m._lua_rawgeti(L, LUA_REGISTRYINDEX, BigInt(ref));
  }

  newUserdata(L: LState, size: number): number {
    return this.m._lua_newuserdatauv(L, size, 1);
  }

  // ---- host functions ----------------------------------------------------------------------

  /**
   * Registers `fn` as a C function and returns its pointer. JS exceptions are turned into Lua
   * errors (LuaRaise keeps its message; anything else is reported as an internal error), and
   * Lua's own unwinding (`throw Infinity`) passes untouched.
   */
  hostFunction(name: string, fn: HostFunction): number {
    const vm = this;
    const m = this.m;
    const hostYield = m._lua_hostyield;
    const wrapped = (L: LState): number => {
      let err: unknown;
      let r: number;
      try {
        r = fn(L);
      } catch (e) {
        if (isLuaUnwind(e)) throw e;
        err = e;
        r = -2;
      }
      if (r >= 0) return r;
      // Outside the try: lua_yield / lua_error longjmp through this frame.
      if (r === YIELD) return hostYield ? hostYield(L, vm.yieldResults) : m._lua_yieldk(L, vm.yieldResults, 0, 0);
      return vm.raiseFromJs(L, err, name);
    };
    return this.m.addFunction(wrapped as (...a: number[]) => unknown, 'ii');
  }

  pushFunction(L: LState, fp: number, nup = 0): void {
    this.m._lua_pushcclosure(L, fp, nup);
  }

  /** Registers and pushes a host function. */
  pushHost(L: LState, name: string, fn: HostFunction): void {
    this.m._lua_pushcclosure(L, this.hostFunction(name, fn), 0);
  }

  /** Sets table-at-idx[name] to a new host function. */
  setHost(L: LState, idx: number, name: string, fn: HostFunction): void {
    const a = idx < 0 && idx > LUA_REGISTRYINDEX ? idx - 1 : idx;
    this.pushHost(L, name, fn);
    this.setField(L, a, name);
  }

  /** @internal Raises a host function's (or hook's) exception as a Lua error (never returns). */
  raiseFromJs(L: LState, err: unknown, name: string): number {
    if (err instanceof LuaArgError) {
      const msg = argErrorMessage(this, L, err);
      this.m._luaL_where(L, 1);
      this.pushString(L, msg);
      this.m._lua_concat(L, 2);
    } else if (err instanceof LuaRaise) {
      if (err.level > 0) {
        this.m._luaL_where(L, err.level);
        this.pushString(L, err.message);
        this.m._lua_concat(L, 2);
      } else {
        this.pushString(L, err.message);
      }
    } else {
      // A bug in remora, not the script's: the JS detail goes to stderr, never into a Lua
      // string a script might show to its users (issue 14).
      process.stderr.write(`remora: internal error in '${name}': ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      this.m._luaL_where(L, 1);
      this.pushString(L, `internal error in '${name}'`);
      this.m._lua_concat(L, 2);
    }
    return this.m._lua_error(L);
  }

  /** Raises a Lua error with the value on top of L (never returns). */
  error(L: LState): number {
    return this.m._lua_error(L);
  }

  /** How many values the pending YIELD passes to the resumer (set by `yield`). */
  yieldResults = 0;

  /**
   * Asks the host-function wrapper to suspend coroutine L with the top `nres` values as what
   * it yields; the host function returns this value. The values pushed before the next resume
   * become the host function's results.
   */
  yield(_L: LState, nres = 0): number {
    this.yieldResults = nres;
    return YIELD;
  }

  isYieldable(L: LState): boolean {
    return this.m._lua_isyieldable(L) !== 0;
  }

  // ---- coroutines ---------------------------------------------------------------------------

  /** A new coroutine anchored in the registry. */
  newThread(): { co: LState; ref: number } {
    const co = this.m._lua_newthread(this.L);
    const ref = this.m._luaL_ref(this.L, LUA_REGISTRYINDEX);
    return { co, ref };
  }

  /** lua_resume; returns the status, and the number of results in `lastResults`. */
  resume(co: LState, nargs: number): number {
    const st = this.m._lua_resume(co, 0, nargs, this.outPtr);
    this.lastResults = this.readI32(this.outPtr);
    return st;
  }

  lastResults = 0;

  /** Pushes the Lua thread (coroutine) `co` onto L's stack. */
  pushThread(L: LState, co: LState): void {
    this.m._lua_pushthread(co);
    if (co !== L) this.xmove(co, L, 1);
  }

  /** Moves n values from the top of `from` to `to`. */
  xmove(from: LState, to: LState, n: number): void {
    if (n > 0) this.m._lua_xmove(from, to, n);
  }

  /** The traceback of coroutine `co` (which may be suspended or dead by error). */
  traceback(co: LState, level = 0): string {
    this.m._luaL_traceback(this.L, co, 0, level);
    const s = this.toStr(this.L, -1) ?? '';
    this.m._lua_settop(this.L, -2);
    return s.replace(/^\n/, '');
  }

  /**
   * Loads a chunk onto L. On a syntax error returns a LuaError (and leaves nothing pushed).
   * `chunkname` follows Lua: "@file" for files, "=name" for literal names. `mode` is
   * load's: "t", "b" or "bt" (default: both).
   */
  load(L: LState, source: Uint8Array | string, chunkname: string, mode?: string): LuaError | null {
    const bytes = typeof source === 'string' ? enc.encode(source) : source;
    const p = this.ensureScratch(bytes.length + 1);
    this.heap().set(bytes, p);
    const name = enc.encode(chunkname);
    const np = this.m._malloc(name.length + 1);
    const h = this.heap();
    h.set(name, np);
    h[np + name.length] = 0;
    // Binary chunks only when allowed (binarychunks); a mode given by the script (load,
    // loadfile) keeps its text part so that Lua's own messages stay.
    let modeStr = mode;
    if (!this.allowBinary) {
      if (modeStr === undefined) modeStr = 't';
      else if (bytes[0] === 0x1b) modeStr = modeStr.replace(/b/g, '');
    }
    let mp = 0;
    if (modeStr !== undefined) {
      const mb = enc.encode(modeStr);
      mp = this.m._malloc(mb.length + 1);
      this.heap().set(mb, mp);
      this.heap()[mp + mb.length] = 0;
    }
    const st = this.m._luaL_loadbufferx(L, p, bytes.length, np, mp);
    this.m._free(np);
    if (mp) this.m._free(mp);
    if (st !== LUA_OK) {
      const msg = this.toStr(L, -1) ?? 'load error';
      this.m._lua_settop(L, -2);
      return new LuaError(msg);
    }
    return null;
  }

  /** lua_call, unprotected: for a function that only builds values (it cannot raise). */
  call(L: LState, nargs: number, nres: number): void {
    this.m._lua_callk(L, nargs, nres, 0, 0);
  }

  /**
   * Runs a function synchronously on L with pcall; for setup code that never waits.
   * Returns null or the error.
   */
  pcall(L: LState, nargs: number, nres: number): LuaError | null {
    const st = this.m._lua_pcallk(L, nargs, nres, 0, 0, 0);
    if (st !== LUA_OK) {
      const msg = this.toStr(L, -1) ?? this.typeName(L, -1);
      this.m._lua_settop(L, -2);
      return new LuaError(msg);
    }
    return null;
  }

  /** Loads and runs `source` on the main state; throws LuaError on failure. */
  exec(source: string, chunkname = '=remora'): void {
    const e = this.load(this.L, source, chunkname) ?? this.pcall(this.L, 0, 0);
    if (e) throw e;
  }

  // ---- metatables ---------------------------------------------------------------------------

  /** Creates (or gets) registry metatable `name` and pushes it. */
  newMetatable(L: LState, name: string): boolean {
    return this.m._luaL_newmetatable(L, this.cstr(name)) !== 0;
  }

  setMetatable(L: LState, idx: number): void {
    this.m._lua_setmetatable(L, idx);
  }

  /** Pushes the metatable of the value at idx and returns true, or pushes nothing and returns false. */
  getMetatable(L: LState, idx: number): boolean {
    return this.m._lua_getmetatable(L, idx) !== 0;
  }

  /** Removes the value at `i`, shifting the ones above it down. */
  remove(L: LState, i: number): void {
    this.m._lua_rotate(L, i, -1);
    this.pop(L, 1);
  }
}
