/**
 * `ba.ubjson`: Universal Binary JSON as BAS writes and reads it.
 *
 * Encoder (byte-exact with BAS): every container carries a count (`#`) and so no end marker; a
 * table whose keys are all integers is an array (its keys are dropped), else an object; when all
 * values are integers, floats or strings the container is strongly typed (`$`), integers with
 * the smallest type that fits the first value and the magnitudes of the others. A table met
 * again inside itself is written as null; functions and other values are null. BAS's quirks are
 * kept: in an object, a value under an integer key is replaced by that key (as a string, a
 * number or `true`, after the value's type).
 *
 * Decoder: `decode(s [, stacklen, namelen, offset])` returns one table per top-level container;
 * `parser([stacklen, namelen])` returns an incremental parser (`p:parse(data [, true])`).
 */
import { LuaRaise } from '../vm/lua-error.js';
import { T_BOOLEAN, T_NUMBER, T_STRING, T_TABLE, type LState, type LuaVM } from '../vm/lua-vm.js';
import { HandleTable, HandleTag } from '../vm/handles.js';
import type { BaContext } from './context.js';

// ---- encoder ------------------------------------------------------------------------------------

class Out {
  private parts: Buffer[] = [];
  private cur = Buffer.allocUnsafe(512);
  private n = 0;

  byte(b: number): void {
    if (this.n === this.cur.length) this.flush(512);
    this.cur[this.n++] = b & 0xff;
  }

  bytes(b: Uint8Array): void {
    if (this.n + b.length > this.cur.length) this.flush(b.length);
    this.cur.set(b, this.n);
    this.n += b.length;
  }

  private flush(need: number): void {
    this.parts.push(this.cur.subarray(0, this.n));
    this.cur = Buffer.allocUnsafe(Math.max(need, 4096));
    this.n = 0;
  }

  result(): Buffer {
    return Buffer.concat([...this.parts, this.cur.subarray(0, this.n)]);
  }
}

const I8 = 0x69; // 'i'
const I16 = 0x49; // 'I'
const I32 = 0x6c; // 'l'
const I64 = 0x4c; // 'L'
const F64 = 0x44; // 'D'
const STR = 0x53; // 'S'

/** The smallest integer type for v (BAS compares the magnitude, so -128 takes 16 bits). */
function minIntType(v: bigint): number {
  const a = v < 0n ? -v : v;
  if (a < 0x80n) return I8;
  if (a < 0x8000n) return I16;
  if (a < 0x80000000n) return I32;
  return I64;
}

function writeInt(out: Out, t: number, v: bigint): void {
  const b = Buffer.allocUnsafe(8);
  if (t === I8) out.byte(Number(BigInt.asIntN(8, v)));
  else if (t === I16) {
    b.writeInt16BE(Number(BigInt.asIntN(16, v)));
    out.bytes(b.subarray(0, 2));
  } else if (t === I32) {
    b.writeInt32BE(Number(BigInt.asIntN(32, v)));
    out.bytes(b.subarray(0, 4));
  } else {
    b.writeBigInt64BE(BigInt.asIntN(64, v));
    out.bytes(b);
  }
}

/** A length or count: 'i', 'I' or 'l' and the value. */
function writeLen(out: Out, n: number): void {
  const t = n < 0x80 ? I8 : n < 0x8000 ? I16 : I32;
  out.byte(t);
  writeInt(out, t, BigInt(n));
}

function writeDouble(out: Out, v: number): void {
  const b = Buffer.allocUnsafe(8);
  // x86's 0/0 (what BAS runs on) is the negative quiet NaN.
  if (Number.isNaN(v)) b.writeBigUInt64BE(0xfff8000000000000n);
  else b.writeDoubleBE(v);
  out.bytes(b);
}

class EncodeError extends Error {}

/**
 * BAS's ubjson module tests "integer" as "a number equal to its integer conversion", so 2.0
 * counts as the integer 2 (floats of 2^63 and beyond do not convert).
 */
function intValue(vm: LuaVM, L: LState, i: number): bigint | null {
  if (vm.type(L, i) !== T_NUMBER) return null;
  if (vm.isInteger(L, i)) return vm.toBigInt(L, i)!;
  const f = vm.toNumber(L, i)!;
  if (Number.isInteger(f) && f >= -(2 ** 63) && f < 2 ** 63) return BigInt(f);
  return null;
}

class Encoder {
  readonly out = new Out();

  constructor(
    private readonly vm: LuaVM,
    private readonly L: LState,
    /** Stack index of the table of tables being encoded (recursion check). */
    private readonly seen: number,
  ) {}

  /** Encodes the table at absolute index idx. */
  table(idx: number): void {
    const vm = this.vm;
    const L = this.L;
    if (!vm.checkStack(L, 10)) throw new EncodeError('stack exceeded');
    vm.pushValue(L, idx);
    if (vm.rawGet(L, this.seen) !== 0) {
      vm.pop(L, 1);
      this.out.byte(0x5a);
      return;
    }
    vm.pop(L, 1);
    vm.pushValue(L, idx);
    vm.pushBoolean(L, true);
    vm.rawSet(L, this.seen);

    // First pass: array or object, count, and a common value type.
    let isArray = true;
    let count = 0;
    let kind = 0; // 0 none yet / 1 mixed / 2 strings / 3 floats / 4 integers
    let li = 0n;
    vm.pushNil(L);
    while (vm.next(L, idx)) {
      const vt = vm.type(L, -1);
      if (intValue(vm, L, -2) === null) isArray = false;
      if (kind > 1) {
        if (vt === T_NUMBER) {
          if (intValue(vm, L, -1) !== null) {
            if (kind === 4) {
              let i = intValue(vm, L, -1)!;
              if (i < 0n) i = -i;
              if (i > li) li = i;
            } else kind = 1;
          } else if (kind !== 3) kind = 1;
        } else if (vt !== T_STRING || kind !== 2) kind = 1;
      } else if (count === 0) {
        if (vt === T_NUMBER) {
          if (intValue(vm, L, -1) !== null) {
            kind = 4;
            li = intValue(vm, L, -1)!;
          } else kind = 3;
        } else kind = vt === T_STRING ? 2 : 1;
      }
      vm.pop(L, 1);
      count++;
    }
    let type = kind === 2 ? STR : kind === 3 ? F64 : kind === 4 ? minIntType(li) : 0;
    if (count === 0) type = 0;
    const out = this.out;
    out.byte(isArray ? 0x5b : 0x7b);
    if (type) {
      out.byte(0x24);
      out.byte(type);
    }
    out.byte(0x23);
    writeLen(out, count);

    vm.pushNil(L);
    while (vm.next(L, idx)) {
      const vt = vm.type(L, -1);
      // BAS's quirk: an integer key's name is pushed over the value and read in its place.
      let keyName: string | null = null;
      if (!isArray) {
        const kt = vm.type(L, -2);
        let name: Buffer;
        if (kt === T_STRING) name = vm.toBytes(L, -2)!;
        else if (kt === T_NUMBER) {
          const k = vm.isInteger(L, -2) ? vm.toBigInt(L, -2)! : BigInt(Math.trunc(vm.toNumber(L, -2)!));
          keyName = String(BigInt.asIntN(32, k));
          name = Buffer.from(keyName);
        } else {
          throw new EncodeError(`Invalid key type: ${vm.typeName(L, -1)}`);
        }
        writeLen(out, name.length);
        out.bytes(name);
      }
      switch (vt) {
        case T_STRING: {
          const s = keyName !== null ? Buffer.from(keyName) : vm.toBytes(L, -1)!;
          if (!type) out.byte(STR);
          writeLen(out, s.length);
          out.bytes(s);
          break;
        }
        case T_NUMBER: {
          // With the key's string in the value's place, the number is read from that string
          // (not an integer subtype: untyped it becomes a double).
          const isInt = keyName === null && intValue(vm, L, -1) !== null;
          const iv = keyName !== null ? BigInt(keyName) : isInt ? intValue(vm, L, -1)! : 0n;
          const fv = keyName !== null ? Number(keyName) : isInt ? 0 : vm.toNumber(L, -1)!;
          if (type === 0) {
            if (isInt) {
              const t = minIntType(iv);
              out.byte(t);
              writeInt(out, t, iv);
            } else {
              out.byte(F64);
              writeDouble(out, fv);
            }
          } else if (type === F64) writeDouble(out, isInt ? Number(iv) : fv);
          else writeInt(out, type, isInt || keyName !== null ? iv : BigInt(Math.trunc(fv)));
          break;
        }
        case T_BOOLEAN:
          out.byte(keyName !== null || vm.toBoolean(L, -1) ? 0x54 : 0x46);
          break;
        case T_TABLE:
          this.table(vm.top(L));
          break;
        default:
          out.byte(0x5a);
      }
      vm.pop(L, 1);
    }
    vm.pushValue(L, idx);
    vm.pushNil(L);
    vm.rawSet(L, this.seen);
  }
}

// ---- decoder ------------------------------------------------------------------------------------

type Value = bigint | number | string | boolean | null | Container;
interface Container {
  arr: boolean;
  items: Array<[string | null, Value]>;
}

const NEED = 'needmoredata';
const PARSE = 'parse';
const OVERFLOW = 'stack overflow';

class DecodeError extends Error {}

/** Parses one top-level container from buf at pos; throws DecodeError(NEED|PARSE|OVERFLOW). */
class Reader {
  pos: number;

  constructor(
    private readonly buf: Buffer,
    start: number,
    private readonly maxDepth: number,
    private readonly maxName: number,
  ) {
    this.pos = start;
  }

  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new DecodeError(NEED);
  }

  private u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  /** A length: an int8/int16/int32 marker and value (uint8 and int64 are refused, as in BAS). */
  private length(marker?: number): number {
    const t = marker ?? this.u8();
    let n: number;
    if (t === I8) n = (this.u8() << 24) >> 24;
    else if (t === I16) {
      this.need(2);
      n = this.buf.readInt16BE(this.pos);
      this.pos += 2;
    } else if (t === I32) {
      this.need(4);
      n = this.buf.readInt32BE(this.pos);
      this.pos += 4;
    } else if (t === I64) throw new DecodeError(OVERFLOW);
    else throw new DecodeError(PARSE);
    if (n < 0) throw new DecodeError(t === I32 ? OVERFLOW : PARSE);
    return n;
  }

  private str(): string | Buffer {
    const n = this.length();
    this.need(n);
    const s = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return Buffer.from(s);
  }

  /** The value of type marker t (its marker already read); undefined for a no-op. */
  private scalar(t: number): Value | undefined {
    const b = this.buf;
    switch (t) {
      case 0x5a:
        return null;
      case 0x4e:
        return undefined;
      case 0x54:
        return true;
      case 0x46:
        return false;
      case 0x69:
        return BigInt((this.u8() << 24) >> 24);
      case 0x55:
        return BigInt(this.u8());
      case 0x43:
        return String.fromCharCode(this.u8());
      case 0x49:
        this.need(2);
        this.pos += 2;
        return BigInt(b.readInt16BE(this.pos - 2));
      case 0x6c:
        this.need(4);
        this.pos += 4;
        return BigInt(b.readInt32BE(this.pos - 4));
      case 0x4c:
        this.need(8);
        this.pos += 8;
        return b.readBigInt64BE(this.pos - 8);
      case 0x64:
        this.need(4);
        this.pos += 4;
        return b.readFloatBE(this.pos - 4);
      case 0x44:
        this.need(8);
        this.pos += 8;
        return b.readDoubleBE(this.pos - 8);
      case 0x53:
      case 0x48:
        return (this.str() as Buffer).toString('latin1');
      default:
        throw new DecodeError(PARSE);
    }
  }

  top(): Container {
    const t = this.u8();
    if (t !== 0x5b && t !== 0x7b) throw new DecodeError(PARSE);
    return this.container(t === 0x5b, 0);
  }

  private name(marker?: number): string {
    const n = this.length(marker);
    if (n >= this.maxName) throw new DecodeError(OVERFLOW);
    this.need(n);
    const s = this.buf.toString('latin1', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  private container(arr: boolean, depth: number): Container {
    const c: Container = { arr, items: [] };
    let type = 0;
    let count = -1;
    this.need(1);
    if (this.buf[this.pos] === 0x24) {
      this.pos++;
      type = this.u8();
      if (this.u8() !== 0x23) throw new DecodeError(PARSE);
      count = this.length();
    } else if (this.buf[this.pos] === 0x23) {
      this.pos++;
      count = this.length();
    }
    if (type && (type === 0x5b || type === 0x7b || type === 0x5d || type === 0x7d)) throw new DecodeError(PARSE);
    if (count >= 0) {
      for (let i = 0; i < count; i++) {
        const name = arr ? null : this.name();
        let v: Value | undefined;
        if (type) v = this.scalar(type);
        else v = this.value(depth);
        if (v !== undefined) c.items.push([name, v]);
      }
      return c;
    }
    for (;;) {
      const t = this.u8();
      if (t === (arr ? 0x5d : 0x7d)) return c;
      if (t === 0x5d || t === 0x7d) throw new DecodeError(PARSE);
      if (arr) {
        const v = this.valueOf(t, depth);
        if (v !== undefined) c.items.push([null, v]);
      } else {
        if (t === 0x4e) continue;
        const name = this.name(t);
        const v = this.value(depth);
        if (v !== undefined) c.items.push([name, v]);
      }
    }
  }

  private value(depth: number): Value | undefined {
    return this.valueOf(this.u8(), depth);
  }

  private valueOf(t: number, depth: number): Value | undefined {
    if (t === 0x5b || t === 0x7b) {
      if (depth + 1 >= this.maxDepth) throw new DecodeError(OVERFLOW);
      return this.container(t === 0x5b, depth + 1);
    }
    return this.scalar(t);
  }
}

/** Every complete top-level container in buf from `start`; `rest` = offset of what remains. */
function decodeAll(buf: Buffer, start: number, maxDepth: number, maxName: number): { values: Container[]; rest: number; err: string | null } {
  const values: Container[] = [];
  let pos = start;
  while (pos < buf.length) {
    const r = new Reader(buf, pos, maxDepth, maxName);
    try {
      values.push(r.top());
    } catch (e) {
      if (e instanceof DecodeError) return { values, rest: pos, err: e.message };
      throw e;
    }
    pos = r.pos;
  }
  return { values, rest: pos, err: null };
}

interface ParserState {
  pending: Buffer;
  maxDepth: number;
  maxName: number;
  failed: string | null;
}

export class UbjsonLib {
  private readonly parsers: HandleTable<ParserState>;

  constructor(readonly ctx: BaContext) {
    this.parsers = new HandleTable(ctx.vm, HandleTag.ubjsonParser);
  }

  private get vm(): LuaVM {
    return this.ctx.vm;
  }

  install(L: LState): void {
    const vm = this.vm;
    vm.newMetatable(L, 'BAUBJSON');
    vm.pushValue(L, -1);
    vm.setField(L, -2, '__index');
    vm.setHost(L, -1, 'parse', (L) => this.parse(L));
    vm.setHost(L, -1, '__gc', (L) => {
      this.parsers.release(this.parsers.idAt(L, 1));
      return 0;
    });
    this.parsers.mtRef = vm.ref(L);

    this.ctx.pushBa(L);
    vm.newTable(L);
    vm.setHost(L, -1, 'encode', (L) => this.encode(L));
    vm.setHost(L, -1, 'decode', (L) => this.decode(L));
    vm.setHost(L, -1, 'parser', (L) => this.parser(L));
    vm.setField(L, -2, 'ubjson');
    vm.pop(L, 1);
  }

  /** encode(t1 [, t2 ...] [, bufsize]) -> bytes, or nil, err. */
  private encode(L: LState): number {
    const vm = this.vm;
    const args = this.ctx.args;
    let top = vm.top(L);
    args.checkTable(L, 1, 'encode');
    for (let i = 2; i <= top; i++) {
      if (vm.type(L, i) === T_NUMBER || (vm.type(L, i) === T_STRING && vm.toNumber(L, i) !== null)) {
        top = i - 1;
        break;
      }
      args.checkTable(L, i, 'encode');
    }
    vm.newTable(L);
    const enc = new Encoder(vm, L, vm.top(L));
    try {
      for (let i = 1; i <= top; i++) enc.table(i);
    } catch (e) {
      if (!(e instanceof EncodeError)) throw e;
      vm.pushNil(L);
      vm.pushString(L, e.message);
      return 2;
    }
    vm.pushBytes(L, enc.out.result());
    return 1;
  }

  private pushNull(L: LState): void {
    const vm = this.vm;
    this.ctx.pushBa(L);
    vm.getField(L, -1, 'json');
    if (vm.type(L, -1) === T_TABLE) vm.getField(L, -1, 'null');
    else vm.pushLightUserdata(L, 0);
    vm.rotate(L, -3, 1);
    vm.pop(L, 2);
  }

  private pushValue(L: LState, v: Value): void {
    const vm = this.vm;
    if (v === null) this.pushNull(L);
    else if (typeof v === 'bigint') vm.pushInteger(L, v);
    else if (typeof v === 'number') vm.pushNumber(L, v);
    else if (typeof v === 'string') vm.pushBytes(L, Buffer.from(v, 'latin1'));
    else if (typeof v === 'boolean') vm.pushBoolean(L, v);
    else this.pushContainer(L, v);
  }

  private pushContainer(L: LState, c: Container): void {
    const vm = this.vm;
    if (!vm.checkStack(L, 4)) throw new LuaRaise('stack overflow');
    vm.newTable(L);
    let n = 0;
    for (const [name, v] of c.items) {
      if (name === null) {
        this.pushValue(L, v);
        vm.rawSetI(L, -2, ++n);
      } else {
        vm.pushBytes(L, Buffer.from(name, 'latin1'));
        this.pushValue(L, v);
        vm.rawSet(L, -3);
      }
    }
  }

  private limits(L: LState, ix: number): [number, number] {
    const args = this.ctx.args;
    const depth = Math.max(3, args.isNoneOrNil(L, ix) ? 8 : args.checkInteger(L, ix, 'ubjson'));
    const name = Math.max(127, args.isNoneOrNil(L, ix + 1) ? 255 : args.checkInteger(L, ix + 1, 'ubjson'));
    return [depth, name];
  }

  /** decode(s [, stacklen, namelen, offset]) -> t1, t2, ... or nil, err. */
  private decode(L: LState): number {
    const vm = this.vm;
    const args = this.ctx.args;
    const s = args.checkBytes(L, 1, 'decode');
    const [depth, name] = this.limits(L, 2);
    const start = args.isNoneOrNil(L, 4) ? 0 : args.checkInteger(L, 4, 'decode');
    if (start >= s.length || start < 0) return 0;
    const r = decodeAll(s, start, depth, name);
    if (r.err) {
      vm.pushNil(L);
      vm.pushString(L, r.err);
      return 2;
    }
    for (const v of r.values) this.pushContainer(L, v);
    return r.values.length;
  }

  private parser(L: LState): number {
    const [depth, name] = this.limits(L, 2);
    this.parsers.push(L, this.parsers.add({ pending: Buffer.alloc(0), maxDepth: depth, maxName: name, failed: null }));
    return 1;
  }

  /** p:parse(data [, true]) -> true, v1, v2, ... (or true, {v1, ...}); nil, err. */
  private parse(L: LState): number {
    const vm = this.vm;
    const args = this.ctx.args;
    const st = this.parsers.at(L, 1);
    if (!st) return args.typeError(L, 1, 'parse', 'BAUBJSON');
    const data = args.checkBytes(L, 2, 'parse');
    const asTable = vm.type(L, 3) === T_BOOLEAN && vm.toBoolean(L, 3);
    if (st.failed) {
      vm.pushNil(L);
      vm.pushString(L, st.failed);
      return 2;
    }
    const buf = st.pending.length ? Buffer.concat([st.pending, data]) : Buffer.from(data);
    const r = decodeAll(buf, 0, st.maxDepth, st.maxName);
    if (r.err && r.err !== NEED) {
      st.failed = r.err;
      st.pending = Buffer.alloc(0);
      vm.pushNil(L);
      vm.pushString(L, r.err);
      return 2;
    }
    st.pending = buf.subarray(r.rest);
    vm.settop(L, 2);
    vm.pushBoolean(L, true);
    if (asTable) {
      if (r.values.length === 0) return 1;
      vm.newTable(L);
      r.values.forEach((v, i) => {
        this.pushContainer(L, v);
        vm.rawSetI(L, -2, i + 1);
      });
      return 2;
    }
    for (const v of r.values) this.pushContainer(L, v);
    return 1 + r.values.length;
  }
}

export function installUbjson(ctx: BaContext): UbjsonLib {
  const lib = new UbjsonLib(ctx);
  lib.install(ctx.vm.L);
  return lib;
}
