/**
 * `ba.bytearray`: mutable byte buffers with a movable window.
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
import { T_BOOLEAN, T_NONE, T_NUMBER, T_STRING, T_TABLE, T_USERDATA, type LState, type LuaVM } from '../vm/lua-vm.js';
import { newTaggedBlock, taggedBlock, HandleTag } from '../vm/handles.js';
import type { BaContext } from './context.js';

const HEADER = 16;
/** Largest allocation; WASM memory is capped at 2 GiB anyway (one WASM instance). */
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

/** Mako's range errors: "index scope", "size", "use > 0". */
function rangeError(what: string): never {
  throw new LuaRaise(`ByteArray range error: ${what}`);
}

export class BytearrayLib {
  private mtRef = 0;

  constructor(readonly ctx: BaContext) {}

  private get vm(): LuaVM {
    return this.ctx.vm;
  }

  // ---- object access ------------------------------------------------------------------------

  /** The bytearray at stack index i, or null. */
  toBta(L: LState, i: number): BtaRef | null {
    const vm = this.vm;
    const p = taggedBlock(vm, L, i, HandleTag.bytearray);
    if (p === 0) return null;
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
    const p = newTaggedBlock(vm, L, HandleTag.bytearray, HEADER + n, 0);
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
    this.ctx.pushBa(L);
    vm.rotate(L, -2, 1);
    vm.setField(L, -2, 'bytearray');
    vm.pop(L, 1);

    // Metatable name "BTA" as in BAS.
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
    vm.pushValue(L, -1);
    this.mtRef = vm.ref(L);
    vm.pop(L, 1);

    // Sockets send a bytearray's window.
    this.ctx.extraBytes.push((L, idx) => {
      const b = this.toBta(L, idx);
      return b ? this.windowView(b) : null;
    });
  }

  /**
   * Mako converts numbers to integers by flooring (2.5 -> 2) and numeric strings as Lua does;
   * anything else is 0 where Mako reads an index with lua_tointeger.
   */
  private toInt(L: LState, i: number): number {
    const n = this.vm.toNumber(L, i);
    return n === null || !Number.isFinite(n) ? 0 : Math.floor(n);
  }

  /** luaL_checkinteger as Mako has it: numbers floored, numeric strings accepted. */
  private checkInt(L: LState, i: number, fname: string): number {
    const n = this.vm.toNumber(L, i);
    if (n === null) this.ctx.args.typeError(L, i, fname, 'number');
    return Number.isFinite(n) ? Math.floor(n) : 0;
  }

  private optInt(L: LState, i: number, fname: string, def: number): number {
    return this.ctx.args.isNoneOrNil(L, i) ? def : this.checkInt(L, i, fname);
  }

  /** The bytearray at i or Mako's luaL_checkudata error ("BTA expected"). */
  private checkBtaArg(L: LState, i: number, fname: string): BtaRef {
    const b = this.toBta(L, i);
    if (!b) this.ctx.args.typeError(L, i, fname, 'BTA');
    return b;
  }

  private functions(): Record<string, (L: LState) => number> {
    const { vm } = this;
    return {
      // create(n | str): n zero bytes or a copy of str; n < 1 and "" raise "use > 0".
      create: (L) => {
        const t = vm.type(L, 1);
        if (t === T_STRING) {
          const copy = Buffer.from(vm.viewBytes(L, 1)!);
          if (copy.length === 0) rangeError('use > 0');
          this.push(L, copy.length, copy);
          return 1;
        }
        if (t === T_NUMBER) {
          const n = this.checkInt(L, 1, 'create');
          if (n <= 0) rangeError('use > 0');
          if (n > MAX_SIZE) rangeError('size');
          this.push(L, n);
          return 1;
        }
        throw new LuaRaise(`Cannot create ByteArray from ${vm.type(L, 1) === T_NONE ? 'no value' : vm.typeName(L, 1)}`);
      },
      // tostring(b [, i [, j]]): window bytes i..j; negative count from the end.
      tostring: (L) => {
        const b = this.checkBtaArg(L, 1, 'tostring');
        const len = this.winLen(b);
        let i = this.optInt(L, 2, 'tostring', 1);
        let j = this.optInt(L, 3, 'tostring', -1);
        if (i < 0) i = len + i + 1;
        if (j < 0) j = len + j + 1;
        i--;
        const n = Math.max(0, j - i);
        if (i < 0 || i + n > len) rangeError('index scope');
        const o = this.base(b) + i;
        vm.pushBytes(L, vm.heap().subarray(o, o + n));
        return 1;
      },
      size: (L) => {
        const b = this.checkBtaArg(L, 1, 'size');
        vm.pushInteger(L, b.alloc);
        vm.pushInteger(L, b.ws);
        vm.pushInteger(L, b.we);
        return 3;
      },
      // setsize(b [, i [, j]]): the window becomes allocation positions i..j.
      setsize: (L) => {
        const b = this.checkBtaArg(L, 1, 'setsize');
        let i = this.optInt(L, 2, 'setsize', 1);
        let j = this.optInt(L, 3, 'setsize', -1);
        if (i < 0) i = b.alloc + i + 1;
        if (j < 0) j = b.alloc + j + 1;
        i--;
        const n = j - i;
        if (i < 0 || n < 0 || i + n > b.alloc) rangeError('index scope');
        vm.writeI32(b.p + 8, i + 1);
        vm.writeI32(b.p + 12, i + n);
        return 0;
      },
      copy: (L) => this.copy(L),
      n2h: (L) => {
        const b = this.checkBtaArg(L, 1, 'n2h');
        const size = this.checkInt(L, 3, 'n2h');
        const ix = this.intRange(L, b, size);
        if (size < 1 || size > 8) throw new LuaRaise('Invalid size');
        const h = vm.heap();
        const o = b.p + HEADER + ix;
        let v = 0n;
        for (let k = 0; k < size; k++) v = (v << 8n) | BigInt(h[o + k]!);
        // Sizes 1-7 are unsigned, 8 is two's complement.
        vm.pushInteger(L, BigInt.asIntN(64, v));
        return 1;
      },
      h2n: (L) => {
        const b = this.checkBtaArg(L, 1, 'h2n');
        const size = this.checkInt(L, 3, 'h2n');
        const n = vm.isInteger(L, 4) ? vm.toBigInt(L, 4)! : BigInt(this.checkInt(L, 4, 'h2n'));
        const ix = this.intRange(L, b, size);
        if (size < 1 || size > 8) throw new LuaRaise('Invalid size');
        const h = vm.heap();
        const o = b.p + HEADER + ix;
        let v = BigInt.asUintN(64, n);
        for (let k = size - 1; k >= 0; k--) {
          h[o + k] = Number(v & 0xffn);
          v >>= 8n;
        }
        return 0;
      },
    };
  }

  /**
   * n2h/h2n's index (argument 2) as Mako checks it: the allocation offset of window index
   * `index`, which must satisfy startIx <= offset and offset + size <= window length
   * (Mako compares with the window's length, not its end), else "Invalid range".
   */
  private intRange(L: LState, b: BtaRef, size: number): number {
    const startIx = b.ws - 1;
    const ix = this.toInt(L, 2) + startIx - 1;
    if (ix + size > this.winLen(b) || ix < startIx) throw new LuaRaise('Invalid range');
    return ix;
  }

  /**
   * copy(b, index, src [, srcStart [, srcEnd]]) with Mako's arithmetic (derived from the
   * reference server over a grid of arguments):
   *   count = srcEnd < 0 ? #src + srcEnd + 1 : #src   (a positive srcEnd is ignored)
   *   at    = index < 0 ? #b + index + 1 : index + windowStart - 1   (allocation position)
   *   from  = srcStart < 0 ? #b + srcStart + 1 : srcStart   (negative counts from b's end)
   * at - 1 must be within 0..#b, else "index scope"; bytes that would pass the window's
   * length are not copied and their number is returned (the overflow). Source bytes are
   * src[from], src[from+1], ...; positions outside the source read as 0 (Mako reads the
   * memory there: the string's terminating NUL, then whatever follows). A negative count
   * copies nothing (Mako crashes). A bytearray source is read from its window (Mako reads
   * from b itself).
   */
  private copy(L: LState): number {
    const { vm } = this;
    const b = this.checkBtaArg(L, 1, 'copy');
    let bIx = this.toInt(L, 2);
    let from = this.optInt(L, 4, 'copy', 1);
    const end = this.optInt(L, 5, 'copy', -1);
    let src: Uint8Array;
    const t = vm.type(L, 3);
    if (t === T_USERDATA) src = this.windowView(this.checkBtaArg(L, 3, 'copy'));
    else src = vm.viewBytes(L, 3) ?? new Uint8Array(0);
    const slen = src.length;
    const blen = this.winLen(b);
    let count = end < 0 ? slen + end + 1 : slen;
    bIx = bIx < 0 ? blen + bIx + 1 : bIx + b.ws - 1;
    if (from < 0) from = blen + from + 1;
    bIx--;
    from--;
    if (bIx < 0 || bIx > blen) rangeError('index scope');
    let overflow = 0;
    if (bIx + count > blen) {
      overflow = bIx + count - blen;
      count -= overflow;
    }
    if (count > 0) {
      // Copy the source bytes out first: src may be a view of this very heap (b itself).
      const bytes = new Uint8Array(count);
      const lo = Math.max(0, from);
      const hi = Math.min(slen, from + count);
      if (lo < hi) bytes.set(src.subarray(lo, hi), lo - from);
      vm.heap().set(bytes, b.p + HEADER + bIx);
    }
    vm.pushInteger(L, overflow);
    return 1;
  }

  // ---- metamethods ----------------------------------------------------------------------------

  /** b[i]: the byte at window index i (a non-number index is 0: out of range). */
  private index(L: LState): number {
    const vm = this.vm;
    const b = this.checkBtaArg(L, 1, '__index');
    const ix = this.toInt(L, 2) - 1;
    if (ix < 0 || ix >= this.winLen(b)) rangeError('index scope');
    vm.pushInteger(L, vm.heap()[this.base(b) + ix]!);
    return 1;
  }

  /**
   * b[i] = v as Mako: an integer (low 8 bits) or boolean (1/0) at i; a string, a table's
   * values (in `next` order) or another bytearray's window written from i on, which must fit
   * ("size" error; a table's values before the one that does not fit are written).
   */
  private newindex(L: LState): number {
    const vm = this.vm;
    const b = this.checkBtaArg(L, 1, '__newindex');
    let ix = this.toInt(L, 2) - 1;
    const len = this.winLen(b);
    const t = vm.type(L, 3);
    if (ix < 0 || (ix >= len && t !== T_STRING)) rangeError('index scope');
    const at = (k: number): number => this.base(b) + k;
    switch (t) {
      case T_NUMBER:
        vm.heap()[at(ix)] = Number(BigInt.asUintN(8, vm.isInteger(L, 3) ? vm.toBigInt(L, 3)! : BigInt(this.checkInt(L, 3, '__newindex'))));
        return 0;
      case T_BOOLEAN:
        vm.heap()[at(ix)] = vm.toBoolean(L, 3) ? 1 : 0;
        return 0;
      case T_STRING: {
        const v = vm.viewBytes(L, 3)!;
        if (ix + v.length > len) rangeError('size');
        vm.heap().copyWithin(at(ix), v.byteOffset, v.byteOffset + v.length);
        return 0;
      }
      case T_TABLE:
        vm.pushNil(L);
        while (vm.next(L, 3)) {
          if (ix >= len) rangeError('size');
          vm.heap()[at(ix)] = this.toInt(L, -1) & 0xff;
          ix++;
          vm.pop(L, 1);
        }
        return 0;
      case T_USERDATA: {
        const o = this.toBta(L, 3);
        if (!o) break;
        const src = Buffer.from(this.windowView(o));
        if (src.length > len - ix) rangeError('size');
        vm.heap().set(src, at(ix));
        return 0;
      }
    }
    throw new LuaRaise(`Cannot convert ${t === T_NONE ? 'no value' : vm.typeName(L, 3)} to ByteArray`);
  }
}

/** Registers ba.bytearray and lets sockets send bytearrays. */
export function installBytearray(ctx: BaContext): BytearrayLib {
  const lib = new BytearrayLib(ctx);
  lib.install(ctx.vm.L);
  return lib;
}
