/**
 * `ba.json`: encode Lua values as JSON text and decode JSON text into Lua
 * values, working on the Lua stack directly and on bytes, so Lua strings (binary) survive a
 * round trip unchanged.
 *
 * Decisions (docs/api/ba.json.md):
 *  - As Mako: a table with a value at [1] is an array of t[1]..t[#t] (other keys left out);
 *    any other table, the empty one too, is an object (`{}`); float keys are written as
 *    their floor (`1.5` gives "1").
 *  - Integers encode as integers and decode as Lua integers (all 64 bits); floats encode with
 *    the shortest text that reads back to the same double, integral floats with ".0" so that
 *    `1.0` stays a float. NaN and infinities cannot be encoded.
 *  - JSON null decodes to `ba.json.null` (a light userdata), or to the second argument of
 *    `decode` when one is given; `ba.json.null` and nil encode as null.
 *  - Errors are returned as `nil, message`, for encode and decode alike.
 */
import {
  T_BOOLEAN,
  T_LIGHTUSERDATA,
  T_NIL,
  T_NONE,
  T_NUMBER,
  T_STRING,
  T_TABLE,
  type LState,
  type LuaVM,
} from '../vm/lua-vm.js';
import { HandleTable, HandleTag } from '../vm/handles.js';
import type { BaContext } from './context.js';

import { DecodeError, Decoder, MAX_DEPTH } from './json-decode.js';
import { type StreamError, StreamSplitter } from './json-stream.js';


class EncodeError extends Error {}

/** A growable byte buffer. */
class ByteWriter {
  buf = Buffer.allocUnsafe(256);
  len = 0;
  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const nb = Buffer.allocUnsafe(size);
    this.buf.copy(nb, 0, 0, this.len);
    this.buf = nb;
  }
  byte(b: number): void {
    this.ensure(1);
    this.buf[this.len++] = b;
  }
  ascii(s: string): void {
    this.ensure(s.length);
    this.len += this.buf.write(s, this.len, 'latin1');
  }
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  result(): Buffer {
    return this.buf.subarray(0, this.len);
  }
}

const HEX = '0123456789abcdef';
const ESCAPES: Record<number, string> = { 0x22: '\\"', 0x5c: '\\\\', 0x08: '\\b', 0x0c: '\\f', 0x0a: '\\n', 0x0d: '\\r', 0x09: '\\t' };

/**
 * Appends a JSON string literal for `s`, escaped as BAS does: control characters, `"`, `\`,
 * `/` and DEL, and every valid UTF-8 sequence as `\uXXXX` (a character above U+FFFF as a
 * surrogate pair). A byte that starts no valid sequence is copied as it is, so that `decode`
 * gives back the same bytes.
 */
export function writeJsonString(w: ByteWriter, s: Uint8Array): void {
  w.byte(0x22);
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c >= 0x20 && c < 0x7f && c !== 0x22 && c !== 0x5c && c !== 0x2f) continue;
    let cp = -1;
    let len = 1;
    if (c >= 0x80) {
      len = utf8Length(s, i);
      if (len === 0) continue; // not UTF-8: copied as it is
      cp = utf8Decode(s, i, len);
    }
    if (i > start) w.bytes(s.subarray(start, i));
    if (cp < 0) w.ascii(c === 0x2f ? '\\/' : (ESCAPES[c] ?? hex4(c)));
    else if (cp < 0x10000) w.ascii(hex4(cp));
    else {
      const v = cp - 0x10000;
      w.ascii(hex4(0xd800 + (v >> 10)) + hex4(0xdc00 + (v & 0x3ff)));
    }
    i += len - 1;
    start = i + 1;
  }
  if (start < s.length) w.bytes(s.subarray(start));
  w.byte(0x22);
}

function hex4(n: number): string {
  return `\\u${HEX[(n >> 12) & 15]}${HEX[(n >> 8) & 15]}${HEX[(n >> 4) & 15]}${HEX[n & 15]}`;
}

/** Length of the well-formed UTF-8 sequence at s[i] (RFC 3629: no overlongs or surrogates), or 0. */
function utf8Length(s: Uint8Array, i: number): number {
  const c = s[i]!;
  const cont = (k: number, lo = 0x80, hi = 0xbf): boolean => i + k < s.length && s[i + k]! >= lo && s[i + k]! <= hi;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c === 0xe0) return cont(1, 0xa0) && cont(2) ? 3 : 0;
  if ((c >= 0xe1 && c <= 0xec) || c === 0xee || c === 0xef) return cont(1) && cont(2) ? 3 : 0;
  if (c === 0xed) return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0;
  if (c === 0xf0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (c >= 0xf1 && c <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (c === 0xf4) return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

function utf8Decode(s: Uint8Array, i: number, len: number): number {
  const c = s[i]!;
  if (len === 2) return ((c & 0x1f) << 6) | (s[i + 1]! & 0x3f);
  if (len === 3) return ((c & 0x0f) << 12) | ((s[i + 1]! & 0x3f) << 6) | (s[i + 2]! & 0x3f);
  return ((c & 0x07) << 18) | ((s[i + 1]! & 0x3f) << 12) | ((s[i + 2]! & 0x3f) << 6) | (s[i + 3]! & 0x3f);
}

/** Shortest round-trip text of a finite float, keeping it recognisably a float. */
export function formatFloat(n: number): string {
  if (Object.is(n, -0)) return '-0.0';
  const s = String(n);
  return /[.eEn]/.test(s) ? s : s + '.0';
}

/** An object key for a float: its floor as an integer while that fits in 64 bits, else Lua's text. */
function floatKey(n: number): string {
  const f = Math.floor(n);
  if (Number.isFinite(f) && f >= -(2 ** 63) && f < 2 ** 63) return BigInt(f).toString();
  return formatFloat(n);
}

export class JsonLib {
  constructor(readonly ctx: BaContext) {
    this.parsers = new HandleTable(ctx.vm, HandleTag.jsonParser);
  }

  private get vm(): LuaVM {
    return this.ctx.vm;
  }

  install(L: LState): void {
    const vm = this.vm;
    this.ctx.pushBa(L);
    vm.newTable(L);
    vm.setHost(L, -1, 'encode', (L) => this.encodeFn(L));
    vm.setHost(L, -1, 'decode', (L) => this.decodeFn(L));
    vm.setHost(L, -1, 'encodestr', (L) => this.encodeStrFn(L));
    vm.pushLightUserdata(L, 0);
    vm.setField(L, -2, 'null');
    vm.setHost(L, -1, 'parser', (L) => this.parserFn(L));
    vm.setField(L, -2, 'json');
    vm.pop(L, 1);
    this.installParserMeta(L);
  }

  // ---- encode -------------------------------------------------------------------------------

  private encodeFn(L: LState): number {
    const vm = this.vm;
    if (vm.type(L, 1) === T_NONE) this.ctx.args.typeError(L, 1, 'encode', 'value');
    const w = new ByteWriter();
    const base = vm.top(L);
    try {
      this.encodeValue(L, 1, w, 0);
    } catch (e) {
      if (!(e instanceof EncodeError)) throw e;
      vm.settop(L, base);
      vm.pushNil(L);
      vm.pushString(L, e.message);
      return 2;
    }
    vm.pushBytes(L, w.result());
    return 1;
  }

  /** ba.json.encodestr(s): the JSON string literal of `s` (a number is taken as its text, as Lua's C API does). */
  private encodeStrFn(L: LState): number {
    const vm = this.vm;
    const t = vm.type(L, 1);
    if (t !== T_STRING && t !== T_NUMBER) this.ctx.args.typeError(L, 1, 'encodestr', 'string');
    if (t === T_NUMBER) vm.pushToString(L, 1);
    const w = new ByteWriter();
    writeJsonString(w, vm.viewBytes(L, t === T_NUMBER ? -1 : 1)!);
    vm.pushBytes(L, w.result());
    return 1;
  }

  /** Encodes the value at absolute index idx. */
  private encodeValue(L: LState, idx: number, w: ByteWriter, depth: number): void {
    const vm = this.vm;
    switch (vm.type(L, idx)) {
      case T_NIL:
      case T_NONE:
        w.ascii('null');
        return;
      case T_BOOLEAN:
        w.ascii(vm.toBoolean(L, idx) ? 'true' : 'false');
        return;
      case T_NUMBER:
        if (vm.isInteger(L, idx)) w.ascii(String(vm.toBigInt(L, idx)));
        else {
          const n = vm.toNumber(L, idx)!;
          if (!Number.isFinite(n)) throw new EncodeError(`cannot encode ${Number.isNaN(n) ? 'NaN' : n > 0 ? 'inf' : '-inf'} in JSON`);
          w.ascii(formatFloat(n));
        }
        return;
      case T_STRING:
        writeJsonString(w, vm.viewBytes(L, idx)!);
        return;
      case T_TABLE:
        this.encodeTable(L, idx, w, depth + 1);
        return;
      case T_LIGHTUSERDATA:
        if (vm.toUserdata(L, idx) === 0) {
          w.ascii('null');
          return;
        }
        throw new EncodeError('cannot encode a userdata value in JSON');
      default:
        throw new EncodeError(`cannot encode a ${vm.typeName(L, idx)} value in JSON`);
    }
  }

  private encodeTable(L: LState, idx: number, w: ByteWriter, depth: number): void {
    const vm = this.vm;
    if (depth > MAX_DEPTH) throw new EncodeError('table nested too deeply (or a cycle)');
    if (!vm.checkStack(L, 4)) throw new EncodeError('out of Lua stack');
    // As BAS: a table with a value at [1] is an array of its elements 1..#t (raw length; holes
    // are null) and its other keys are left out; any other table is an object.
    vm.rawGetI(L, idx, 1);
    const isArray = vm.type(L, -1) !== T_NIL;
    vm.pop(L, 1);
    if (isArray) {
      const n = vm.rawLen(L, idx);
      w.byte(0x5b);
      for (let k = 1; k <= n; k++) {
        if (k > 1) w.byte(0x2c);
        vm.rawGetI(L, idx, k);
        this.encodeValue(L, vm.top(L), w, depth);
        vm.pop(L, 1);
      }
      w.byte(0x5d);
      return;
    }
    w.byte(0x7b);
    let first = true;
    vm.pushNil(L);
    while (vm.next(L, idx)) {
      if (!first) w.byte(0x2c);
      first = false;
      const kt = vm.type(L, -2);
      if (kt === T_STRING) writeJsonString(w, vm.viewBytes(L, -2)!);
      else if (kt === T_NUMBER) {
        // Never lua_tolstring a key in place: it would confuse lua_next. A float key is
        // written as the integer below it, as BAS does (1.5 gives "1").
        const key = vm.isInteger(L, -2) ? String(vm.toBigInt(L, -2)) : floatKey(vm.toNumber(L, -2)!);
        w.ascii(`"${key}"`);
      } else {
        throw new EncodeError(`cannot encode a ${vm.typeName(L, -2)} key in JSON`);
      }
      w.byte(0x3a);
      this.encodeValue(L, vm.top(L), w, depth);
      vm.pop(L, 1);
    }
    w.byte(0x7d);
  }

  // ---- decode -------------------------------------------------------------------------------

  private decodeFn(L: LState): number {
    const vm = this.vm;
    const text = this.ctx.args.checkBytes(L, 1, 'decode');
    // decode(text, nullvalue): an explicit second argument (even nil) replaces ba.json.null.
    const nullIdx = vm.top(L) >= 2 ? 2 : 0;
    const base = vm.top(L);
    const d = new Decoder(vm, L, text, nullIdx, () => this.ctx.sched.checkBudget());
    try {
      d.skipWs();
      d.value(0);
      d.skipWs();
      if (d.pos < text.length) d.fail(`unexpected ${d.describe()}`);
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      vm.settop(L, base);
      vm.pushNil(L);
      vm.pushString(L, e.message);
      return 2;
    }
    return 1;
  }

  // ---- streaming parser ---------------------------------------------------------------------

  private readonly parsers: HandleTable<StreamSplitter>;

  private installParserMeta(L: LState): void {
    const vm = this.vm;
    vm.newMetatable(L, 'BaJsonParser');
    vm.newTable(L);
    vm.setHost(L, -1, 'parse', (L) => this.parse(L));
    vm.setField(L, -2, '__index');
    vm.setHost(L, -1, '__gc', (L) => {
      this.parsers.release(this.parsers.idAt(L, 1));
      return 0;
    });
    vm.pushValue(L, -1);
    this.parsers.mtRef = vm.ref(L);
    vm.pop(L, 1);
  }

  private parserFn(L: LState): number {
    this.parsers.push(L, this.parsers.add(new StreamSplitter()));
    return 1;
  }

  /**
   * parser:parse(data [, all]): feeds a chunk of a stream of JSON objects/arrays. As in BAS:
   * returns `true` followed by every value the chunk completed (`true, {v1, v2, ...}` with
   * `all`, just `true` when none completed); on bad input `nil, "parse"` (`"stack"` for
   * nesting too deep, `"mem"` for a number or an over-long key where a key belongs), in the
   * chunk that brings it, and the parser stays failed.
   */
  private parse(L: LState): number {
    const vm = this.vm;
    const sp = this.parsers.at(L, 1);
    if (!sp) return this.ctx.args.typeError(L, 1, 'parse', 'JSON parser');
    const data = this.ctx.dataBytes(L, 2);
    if (!data) return this.ctx.args.typeError(L, 2, 'parse', 'string');
    const all = vm.toBoolean(L, 3);
    const fail = (msg: StreamError): number => {
      sp.reset();
      sp.failed = msg;
      vm.settop(L, base);
      vm.pushNil(L);
      vm.pushString(L, msg);
      return 2;
    };
    const base = vm.top(L);
    if (sp.failed) return fail(sp.failed);
    const err = sp.push(data);
    if (err !== null) return fail(err);
    vm.pushBoolean(L, true);
    if (all && sp.ready.length) vm.newTable(L);
    let k = 0;
    while (sp.ready.length) {
      const d = new Decoder(vm, L, sp.ready.shift()!, 0);
      try {
        d.skipWs();
        d.value(0);
      } catch (e) {
        if (e instanceof DecodeError) return fail('parse');
        throw e;
      }
      if (all) vm.rawSetI(L, -2, ++k);
      else k++;
    }
    return all ? (k ? 2 : 1) : 1 + k;
  }
}

/** Registers ba.json. */
export function installJson(ctx: BaContext): JsonLib {
  const lib = new JsonLib(ctx);
  lib.install(ctx.vm.L);
  return lib;
}

export { ByteWriter, StreamSplitter };
