/**
 * `ba.bytearray` (ba-support.md §1): mutable byte buffers with a movable window.
 *
 * The bytes live inside the Lua userdata itself, so Lua's garbage collector accounts for them
 * and frees them, and a socket can send a window straight out of WASM memory without an
 * intermediate copy. Layout (all i32, 16-byte header keeps the data aligned):
 *
 *   [magic][allocated size][window start][window end][data ...]
 *
 * Window start/end are 1-based positions in the allocation, inclusive; an empty window has
 * end = start - 1. Every index a script passes (b[i], tostring, copy, n2h, h2n) is relative
 * to the window; `size` and `setsize` speak allocation positions.
 */
import { LuaRaise } from '../vm/lua-error.js';
import { T_BOOLEAN, T_NUMBER, T_STRING, T_TABLE, T_USERDATA, type LState, type LuaVM } from '../vm/lua-vm.js';
import type { BaContext } from './context.js';

const BTA_MAGIC = 0x42_54_41_31; // "BTA1"
const HEADER = 16;
/** Largest allocation; WASM memory is capped at 2 GiB anyway (lua-vm.md pitfall 7). */
const MAX_SIZE = 0x4000_0000;

/** A bytearray seen from TypeScript: its userdata address and current geometry. */
export interface BtaRef {
  /** Userdata address in WASM memory. */
  p: number;
  /** Allocated bytes. */
  alloc: number;
  /** Window start and end, 1-based allocation positions, inclusive. */
  ws: number;
  we: number;
}

function rangeError(what: string): never {
  throw new LuaRaise(`ByteArray range error: ${what}`);
}

export class BytearrayLib {
  private mtRef = 0;
  /** Registry ref of the ba.bytearray table (string keys on a bytearray look up there). */
  private libRef = 0;

  constructor(readonly ctx: BaContext) {}

  private get vm(): LuaVM {
    return this.ctx.vm;
  }

  // ---- object access ------------------------------------------------------------------------

  /** The bytearray at stack index i, or null. */
  toBta(L: LState, i: number): BtaRef | null {
    const vm = this.vm;
    if (vm.type(L, i) !== T_USERDATA) return null;
    const p = vm.m._lua_touserdata(L, i);
    if (p === 0 || vm.readI32(p) !== BTA_MAGIC) return null;
    return { p, alloc: vm.readI32(p + 4), ws: vm.readI32(p + 8), we: vm.readI32(p + 12) };
  }

  checkBta(L: LState, i: number, fname: string): BtaRef {
    const b = this.toBta(L, i);
    if (!b) this.ctx.args.typeError(L, i, fname, 'bytearray');
    return b;
  }

  /** Heap offset of window index 1. */
  private base(b: BtaRef): number {
    return b.p + HEADER + b.ws - 1;
  }

  private winLen(b: BtaRef): number {
    return b.we - b.ws + 1;
  }

  /** A view of the window's bytes in WASM memory; valid until the next Lua allocation. */
  windowView(b: BtaRef): Uint8Array {
    const o = this.base(b);
    return this.vm.heap().subarray(o, o + this.winLen(b));
  }

  /** Creates a bytearray of `n` bytes (zeroed unless `fill` is given) and pushes it. */
  push(L: LState, n: number, fill?: Uint8Array): BtaRef {
    const vm = this.vm;
    const p = vm.newUserdata(L, HEADER + n);
    vm.writeI32(p, BTA_MAGIC);
    vm.writeI32(p + 4, n);
    vm.writeI32(p + 8, 1);
    vm.writeI32(p + 12, n);
    const h = vm.heap();
    if (fill) h.set(fill, p + HEADER);
    else h.fill(0, p + HEADER, p + HEADER + n);
    vm.pushRef(L, this.mtRef);
    vm.setMetatable(L, -2);
    return { p, alloc: n, ws: 1, we: n };
  }

  // ---- install ------------------------------------------------------------------------------

  install(L: LState): void {
    const vm = this.vm;
    vm.newTable(L);
    for (const [name, fn] of Object.entries(this.functions())) vm.setHost(L, -1, name, fn);
    vm.m._lua_pushvalue(L, -1);
    this.libRef = vm.ref(L);
    this.ctx.pushBa(L);
    vm.m._lua_rotate(L, -2, 1);
    vm.setField(L, -2, 'bytearray');
    vm.pop(L, 1);

    // Metatable name "BTA" as in BAS (§1).
    vm.newMetatable(L, 'BTA');
    vm.setHost(L, -1, '__index', (L) => this.index(L));
    vm.setHost(L, -1, '__newindex', (L) => this.newindex(L));
    vm.setHost(L, -1, '__len', (L) => {
      vm.pushInteger(L, this.winLen(this.checkBta(L, 1, '__len')));
      return 1;
    });
    vm.setHost(L, -1, '__tostring', (L) => {
      vm.pushBytes(L, this.windowView(this.checkBta(L, 1, 'tostring')));
      return 1;
    });
    vm.m._lua_pushvalue(L, -1);
    this.mtRef = vm.ref(L);
    vm.pop(L, 1);

    // Sockets send a bytearray's window (ba-socket.md §5).
    this.ctx.extraBytes.push((L, idx) => {
      const b = this.toBta(L, idx);
      return b ? this.windowView(b) : null;
    });
  }

  private functions(): Record<string, (L: LState) => number> {
    const { vm } = this;
    const args = this.ctx.args;
    return {
      create: (L) => {
        const t = vm.type(L, 1);
        if (t === T_STRING) {
          const v = vm.viewBytes(L, 1)!;
          // The view is into WASM memory: copy it out before allocating the userdata.
          const copy = Buffer.from(v);
          this.push(L, copy.length, copy);
          return 1;
        }
        if (t === T_NUMBER) {
          const n = args.checkInteger(L, 1, 'create');
          if (n < 1) args.argError(1, 'create', 'size must be at least 1');
          if (n > MAX_SIZE) args.argError(1, 'create', 'size too large');
          this.push(L, n);
          return 1;
        }
        if (t === T_TABLE) {
          const bytes = this.tableBytes(L, 1);
          this.push(L, bytes.length, bytes);
          return 1;
        }
        const src = this.toBta(L, 1);
        if (src) {
          const copy = Buffer.from(this.windowView(src));
          this.push(L, copy.length, copy);
          return 1;
        }
        return args.typeError(L, 1, 'create', 'number or string');
      },
      tostring: (L) => {
        const b = this.checkBta(L, 1, 'tostring');
        const len = this.winLen(b);
        const [i, j] = this.span(L, 2, 3, len, 'tostring');
        const o = this.base(b);
        vm.pushBytes(L, vm.heap().subarray(o + i - 1, o + j));
        return 1;
      },
      size: (L) => {
        const b = this.checkBta(L, 1, 'size');
        vm.pushInteger(L, b.alloc);
        vm.pushInteger(L, b.ws);
        vm.pushInteger(L, b.we);
        return 3;
      },
      setsize: (L) => {
        const b = this.checkBta(L, 1, 'setsize');
        let i = args.optInteger(L, 2, 'setsize', 1);
        let j = args.optInteger(L, 3, 'setsize', b.alloc);
        if (i < 0) i = b.alloc + i + 1;
        if (j < 0) j = b.alloc + j + 1;
        if (i < 1 || i > b.alloc + 1) rangeError(`start ${i} outside 1..${b.alloc + 1}`);
        if (j < i - 1 || j > b.alloc) rangeError(`end ${j} outside ${i - 1}..${b.alloc}`);
        vm.writeI32(b.p + 8, i);
        vm.writeI32(b.p + 12, j);
        return 0;
      },
      copy: (L) => this.copy(L),
      n2h: (L) => {
        const b = this.checkBta(L, 1, 'n2h');
        const index = args.checkInteger(L, 2, 'n2h');
        const size = args.checkInteger(L, 3, 'n2h');
        if (size < 1 || size > 8) throw new LuaRaise('Invalid size');
        this.checkRange(b, index, size);
        const h = vm.heap();
        const o = this.base(b) + index - 1;
        let v = 0n;
        for (let k = 0; k < size; k++) v = (v << 8n) | BigInt(h[o + k]!);
        // Sizes 1-7 are unsigned, 8 is two's complement (ba-socket.md §2.5).
        if (size === 8) v = BigInt.asIntN(64, v);
        vm.pushInteger(L, v);
        return 1;
      },
      h2n: (L) => {
        const b = this.checkBta(L, 1, 'h2n');
        const index = args.checkInteger(L, 2, 'h2n');
        const size = args.checkInteger(L, 3, 'h2n');
        const n = vm.toBigInt(L, 4) ?? BigInt(Math.trunc(args.checkNumber(L, 4, 'h2n')));
        if (size < 1 || size > 8) throw new LuaRaise('Invalid size');
        this.checkRange(b, index, size);
        const h = vm.heap();
        const o = this.base(b) + index - 1;
        let v = BigInt.asUintN(64, n);
        for (let k = size - 1; k >= 0; k--) {
          h[o + k] = Number(v & 0xffn);
          v >>= 8n;
        }
        return 0;
      },
    };
  }

  /** Raises unless window indices index..index+n-1 all exist. */
  private checkRange(b: BtaRef, index: number, n: number): void {
    const len = this.winLen(b);
    if (index < 1 || index + n - 1 > len) {
      rangeError(n === 1 ? `index ${index} outside 1..${len}` : `${index}..${index + n - 1} outside 1..${len}`);
    }
  }

  /**
   * Optional i, j arguments over a window of `len` bytes: negative values count from the end
   * (-1 is the last byte); the result must satisfy 1 <= i <= len+1 and i-1 <= j <= len.
   */
  private span(L: LState, ia: number, ja: number, len: number, fname: string): [number, number] {
    const args = this.ctx.args;
    let i = args.optInteger(L, ia, fname, 1);
    let j = args.optInteger(L, ja, fname, len);
    if (i < 0) i = len + i + 1;
    if (j < 0) j = len + j + 1;
    if (i < 1 || i > len + 1 || j < i - 1 || j > len) rangeError(`${i}..${j} outside 1..${len}`);
    return [i, j];
  }

  /**
   * copy(b, index, src [, srcStart [, srcEnd]]): copies as much of src[srcStart..srcEnd] as fits
   * into the window from `index` on; returns how many bytes did not fit. The source range
   * follows string.sub (negative counts from the end, clamped to the source).
   */
  private copy(L: LState): number {
    const { vm } = this;
    const args = this.ctx.args;
    const b = this.checkBta(L, 1, 'copy');
    const index = args.checkInteger(L, 2, 'copy');
    const len = this.winLen(b);
    if (index < 1 || index > len + 1) rangeError(`index ${index} outside 1..${len + 1}`);
    let srcOff: number;
    let srcLen: number;
    const t = vm.type(L, 3);
    if (t === T_STRING || t === T_NUMBER) {
      const v = vm.viewBytes(L, 3)!;
      srcOff = v.byteOffset;
      srcLen = v.length;
    } else {
      const src = this.toBta(L, 3);
      if (!src) return args.typeError(L, 3, 'copy', 'string or bytearray');
      srcOff = this.base(src);
      srcLen = this.winLen(src);
    }
    let i = args.optInteger(L, 4, 'copy', 1);
    let j = args.optInteger(L, 5, 'copy', srcLen);
    if (i < 0) i = Math.max(srcLen + i + 1, 1);
    else if (i === 0) i = 1;
    if (j < 0) j = srcLen + j + 1;
    else if (j > srcLen) j = srcLen;
    const n = i > j ? 0 : j - i + 1;
    const room = len - index + 1;
    const k = Math.min(n, room);
    if (k > 0) {
      const dst = this.base(b) + index - 1;
      const s = srcOff + i - 1;
      // copyWithin handles overlap (a bytearray copied onto itself).
      vm.heap().copyWithin(dst, s, s + k);
    }
    vm.pushInteger(L, n - k);
    return 1;
  }

  /** Byte values of t[1..#t] (each truncated to 8 bits). */
  private tableBytes(L: LState, idx: number): Uint8Array {
    const vm = this.vm;
    const n = Number(vm.m._lua_rawlen(L, idx));
    const out = new Uint8Array(n);
    for (let k = 1; k <= n; k++) {
      vm.rawGetI(L, idx, k);
      const v = vm.toInteger(L, -1);
      vm.pop(L, 1);
      if (v === null) throw new LuaRaise(`ByteArray: table element ${k} is not an integer`);
      out[k - 1] = v & 0xff;
    }
    return out;
  }

  // ---- metamethods ----------------------------------------------------------------------------

  private index(L: LState): number {
    const vm = this.vm;
    const b = this.checkBta(L, 1, '__index');
    if (vm.type(L, 2) === T_STRING) {
      // b:tostring(), b:size() ... read the ba.bytearray functions.
      vm.pushRef(L, this.libRef);
      vm.m._lua_pushvalue(L, 2);
      vm.m._lua_rawget(L, -2);
      return 1;
    }
    const i = vm.toInteger(L, 2);
    if (i === null) rangeError(`invalid index (${vm.typeName(L, 2)})`);
    this.checkRange(b, i, 1);
    vm.pushInteger(L, vm.heap()[this.base(b) + i - 1]!);
    return 1;
  }

  private newindex(L: LState): number {
    const vm = this.vm;
    const b = this.checkBta(L, 1, '__newindex');
    const i = vm.toInteger(L, 2);
    if (i === null) rangeError(`invalid index (${vm.typeName(L, 2)})`);
    const t = vm.type(L, 3);
    if (t === T_NUMBER) {
      const v = vm.toInteger(L, 3);
      if (v === null) this.ctx.args.argError(3, '__newindex', 'number has no integer representation');
      this.checkRange(b, i, 1);
      vm.heap()[this.base(b) + i - 1] = v & 0xff;
      return 0;
    }
    if (t === T_BOOLEAN) {
      this.checkRange(b, i, 1);
      vm.heap()[this.base(b) + i - 1] = vm.toBoolean(L, 3) ? 1 : 0;
      return 0;
    }
    let src: Uint8Array;
    if (t === T_STRING) src = vm.viewBytes(L, 3)!;
    else if (t === T_TABLE) src = this.tableBytes(L, 3);
    else {
      const o = this.toBta(L, 3);
      if (!o) return this.ctx.args.typeError(L, 3, '__newindex', 'number, boolean, string, table or bytearray');
      src = this.windowView(o);
    }
    if (src.length === 0) {
      if (i < 1 || i > this.winLen(b) + 1) rangeError(`index ${i} outside 1..${this.winLen(b)}`);
      return 0;
    }
    this.checkRange(b, i, src.length);
    const h = vm.heap();
    if (src.buffer === h.buffer) h.copyWithin(this.base(b) + i - 1, src.byteOffset, src.byteOffset + src.length);
    else h.set(src, this.base(b) + i - 1);
    return 0;
  }
}

/** Registers ba.bytearray and lets sockets send bytearrays. */
export function installBytearray(ctx: BaContext): BytearrayLib {
  const lib = new BytearrayLib(ctx);
  lib.install(ctx.vm.L);
  return lib;
}
