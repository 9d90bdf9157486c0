/**
 * Random numbers, encodings and hashing: `ba.crypto.hash`, `ba.rnd`,
 * `ba.rnds`, `ba.rndbs`, `ba.b64encode`/`b64decode`, `ba.b64urlencode`/`b64urldecode`,
 * `ba.urlencode`/`urldecode`. Random values come from node:crypto (a CSPRNG).
 */
import { createHash, createHmac, randomBytes, randomInt, type Hash, type Hmac } from 'node:crypto';
import { LuaRaise } from '../vm/lua-error.js';
import { T_BOOLEAN, T_NUMBER, T_STRING, T_TABLE, type LState, type LuaVM } from '../vm/lua-vm.js';
import { LUA_REGISTRYINDEX, T_USERDATA } from '../vm/lua-raw.js';
import { hashByName } from './crypto-pk.js';
import { HandleTable, HandleTag } from '../vm/handles.js';
import type { BaContext } from './context.js';
import { pushSubTable } from '../vm/lua-values.js';

/** Largest ba.rndbs request (keeps a typo from allocating gigabytes). */
const MAX_RNDBS = 64 * 1024 * 1024;

interface HashState {
  h: Hash | Hmac;
  make: () => Hash | Hmac;
}

/** Value of each base64 character, both alphabets (`+`/`-` are 62, `/`/`_` 63); -1 for the rest. */
const B64_VALUE = (() => {
  const t = new Int8Array(256).fill(-1);
  const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  for (let i = 0; i < abc.length; i++) t[abc.charCodeAt(i)] = i;
  t[0x2b] = t[0x2d] = 62;
  t[0x2f] = t[0x5f] = 63;
  return t;
})();

/**
 * Base64 decoding as BAS does it: standard and URL alphabets alike, every other byte (`=`,
 * spaces, `!`, bytes >= 0x80) skipped, the input ends at a NUL byte, and the bits left over at
 * the end yield the bytes they complete (`aGk` is `hi`, `a` nothing). Never fails.
 */
export function b64decode(text: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(Math.floor((text.length * 3) / 4) + 3);
  let len = 0;
  let phase = 0;
  let prev = 0;
  for (const b of text) {
    if (b === 0) break;
    const d = B64_VALUE[b]!;
    if (d < 0) continue;
    if (phase === 1) out[len++] = ((prev << 2) | (d >> 4)) & 0xff;
    else if (phase === 2) out[len++] = (((prev & 0xf) << 4) | (d >> 2)) & 0xff;
    else if (phase === 3) out[len++] = (((prev & 0x3) << 6) | d) & 0xff;
    phase = (phase + 1) & 3;
    prev = d;
  }
  return out.subarray(0, len);
}

/** The bytes BAS's ba.urlencode escapes (its httpEscape): controls \t \n \r, space and " #$%&+,;<=>?@[\\]^`{|}~'". */
const BAS_ESCAPED = new Set([...'\t\n\r #$%&+,;<=>?@[\\]^`{|}~\''].map((c) => c.charCodeAt(0)));

/**
 * ba.urlencode(string) as BAS has it: the bytes above as "%xx" (lower-case hex), every other
 * byte as it is ("/", ":", "!", "*", non-ASCII bytes stay); the string ends at a NUL byte.
 */
export function basUrlencode(b: Uint8Array): Buffer {
  const out: number[] = [];
  for (const c of b) {
    if (c === 0) break;
    if (BAS_ESCAPED.has(c)) out.push(0x25, ...Buffer.from(c.toString(16).padStart(2, '0')));
    else out.push(c);
  }
  return Buffer.from(out);
}

/** Percent-encodes everything except RFC 3986 unreserved characters. */
export function urlencode(b: Uint8Array): string {
  let out = '';
  for (const c of b) {
    if (
      (c >= 0x30 && c <= 0x39) ||
      (c >= 0x41 && c <= 0x5a) ||
      (c >= 0x61 && c <= 0x7a) ||
      c === 0x2d ||
      c === 0x2e ||
      c === 0x5f ||
      c === 0x7e
    ) {
      out += String.fromCharCode(c);
    } else out += '%' + (c < 16 ? '0' : '') + c.toString(16).toUpperCase();
  }
  return out;
}

/** Decodes %XX escapes and '+' (form encoding); malformed escapes stay as they are. */
export function urldecode(b: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(b.length);
  let n = 0;
  const hex = (c: number | undefined): number =>
    c === undefined ? -1 : c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x41 && c <= 0x46 ? c - 0x37 : c >= 0x61 && c <= 0x66 ? c - 0x57 : -1;
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    if (c === 0x2b) out[n++] = 0x20;
    else if (c === 0x25 && hex(b[i + 1]) >= 0 && hex(b[i + 2]) >= 0) {
      out[n++] = hex(b[i + 1]) * 16 + hex(b[i + 2]);
      i += 2;
    } else out[n++] = c;
  }
  return out.subarray(0, n);
}

/** A uniformly random bigint in [0, range). */
function randomBelow(range: bigint): bigint {
  const bytes = (range.toString(16).length + 1) >> 1;
  const bits = BigInt(bytes * 8);
  const limit = (1n << bits) - ((1n << bits) % range);
  for (;;) {
    const v = BigInt('0x' + randomBytes(bytes).toString('hex'));
    if (v < limit) return v % range;
  }
}

export class CryptoLib {
  private readonly hashes: HandleTable<HashState>;
  private hashFp = 0;

  constructor(readonly ctx: BaContext) {
    this.hashes = new HandleTable(ctx.vm, HandleTag.hash);
  }

  private get vm(): LuaVM {
    return this.ctx.vm;
  }

  install(L: LState): void {
    const vm = this.vm;
    const args = this.ctx.args;

    this.hashFp = vm.hostFunction('hash', (L) => this.call(L));
    vm.newMetatable(L, 'BaHash');
    vm.setHost(L, -1, '__gc', (L) => {
      this.hashes.release(this.hashes.idAt(L, 1));
      return 0;
    });
    vm.pushValue(L, -1);
    this.hashes.mtRef = vm.ref(L);
    vm.pop(L, 1);

    this.ctx.pushBa(L);
    // ba.crypto may already hold functions added by another module (TLS): extend it.
    pushSubTable(vm, L, 'crypto');
    vm.setHost(L, -1, 'hash', (L) => this.hash(L));
    vm.pop(L, 1);

    const fns: Record<string, (L: LState) => number> = {
      rnd: (L) => {
        if (args.isNoneOrNil(L, 1) && args.isNoneOrNil(L, 2)) {
          // As in BAS: a random integer in 0..2^63-1.
          vm.pushInteger(L, randomBytes(8).readBigUInt64BE() >> 1n);
          return 1;
        }
        const lo = this.checkBig(L, 1, 'rnd');
        const hi = this.checkBig(L, 2, 'rnd');
        if (lo > hi) args.argError(2, 'rnd', 'interval is empty');
        const range = hi - lo + 1n;
        vm.pushInteger(L, BigInt.asIntN(64, lo + (range <= 0xffff_ffff_ffffn ? BigInt(randomInt(Number(range))) : randomBelow(range))));
        return 1;
      },
      rnds: (L) => {
        // As in BAS: a size below 1 gives 0, a size above 8 counts as 8.
        const n = Math.min(8, args.checkInteger(L, 1, 'rnds'));
        if (n < 1) {
          vm.pushInteger(L, 0);
          return 1;
        }
        let v = BigInt('0x' + randomBytes(n).toString('hex'));
        // Like n2h: sizes 1-7 unsigned, 8 a full two's-complement integer.
        if (n === 8) v = BigInt.asIntN(64, v);
        vm.pushInteger(L, v);
        return 1;
      },
      rndbs: (L) => {
        const n = args.checkInteger(L, 1, 'rndbs');
        if (n < 0 || n > MAX_RNDBS) args.argError(1, 'rndbs', `size must be 0..${MAX_RNDBS}`);
        vm.pushBytes(L, randomBytes(n));
        return 1;
      },
      b64encode: (L) => {
        vm.pushString(L, Buffer.from(this.checkData(L, 1, 'b64encode')).toString('base64'));
        return 1;
      },
      b64urlencode: (L) => {
        vm.pushString(L, Buffer.from(this.checkData(L, 1, 'b64urlencode')).toString('base64url'));
        return 1;
      },
      b64decode: (L) => {
        vm.pushBytes(L, b64decode(args.checkBytes(L, 1, 'b64decode')));
        return 1;
      },
      b64urldecode: (L) => {
        vm.pushBytes(L, b64decode(args.checkBytes(L, 1, 'b64urldecode')));
        return 1;
      },
      urlencode: (L) => {
        if (vm.type(L, 1) === T_TABLE) {
          vm.pushString(L, this.encodeQuery(L, 1));
          return 1;
        }
        vm.pushBytes(L, basUrlencode(this.checkData(L, 1, 'urlencode')));
        return 1;
      },
      urldecode: (L) => {
        vm.pushBytes(L, urldecode(args.checkBytes(L, 1, 'urldecode')));
        return 1;
      },
    };
    this.ctx.pushBa(L);
    for (const [name, fn] of Object.entries(fns)) vm.setHost(L, -1, name, fn);
    vm.pop(L, 1);
  }

  /** Bytes of a string, number or bytearray argument. */
  private checkData(L: LState, i: number, fname: string): Uint8Array {
    const b = this.ctx.dataBytes(L, i);
    if (!b) this.ctx.args.typeError(L, i, fname, 'string');
    return b;
  }

  private checkBig(L: LState, i: number, fname: string): bigint {
    const v = this.vm.toBigInt(L, i);
    if (v === null) {
      if (this.vm.type(L, i) === T_NUMBER) this.ctx.args.argError(i, fname, 'number has no integer representation');
      this.ctx.args.typeError(L, i, fname, 'number');
    }
    return v;
  }

  /** `{a=1, b="x y"}` → "a=1&b=x%20y" (keys sorted so the result is stable). */
  private encodeQuery(L: LState, idx: number): string {
    const vm = this.vm;
    const pairs: Array<[string, string]> = [];
    vm.pushNil(L);
    while (vm.next(L, idx)) {
      const kt = vm.type(L, -2);
      const vt = vm.type(L, -1);
      if ((kt === T_STRING || kt === T_NUMBER) && (vt === T_STRING || vt === T_NUMBER || vt === T_BOOLEAN)) {
        // Copy the key before converting it: lua_tolstring on a number key would confuse lua_next.
        vm.pushValue(L, -2);
        const k = urlencode(vm.toBytes(L, -1)!);
        vm.pop(L, 1);
        const v = vt === T_BOOLEAN ? String(vm.toBoolean(L, -1)) : urlencode(vm.toBytes(L, -1)!);
        pairs.push([k, v]);
      }
      vm.pop(L, 1);
    }
    pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return pairs.map(([k, v]) => `${k}=${v}`).join('&');
  }

  // ---- ba.crypto.hash -------------------------------------------------------------------------

  /**
   * ba.crypto.hash([algo]) / ba.crypto.hash("hmac", algo, key): as in BAS, a function. Calling it
   * with a string (or number) adds the data and returns a new function over the same state;
   * calling it with anything else finishes: h(true [, "hex"|"b64"]) returns the digest and
   * starts the state over, so the function can be used again.
   */
  hash(L: LState): number {
    const args = this.ctx.args;
    const vm = this.vm;
    const algo = vm.type(L, 1) <= 0 ? 'sha1' : args.checkString(L, 1, 'hash');
    let make: () => Hash | Hmac;
    if (algo === 'hmac') {
      const inner = hashByName(args.checkString(L, 2, 'hash'));
      if (!inner) throw new LuaRaise('Unknown hash algorithm');
      const key = Buffer.from(this.ctx.dataBytes(L, 3) ?? new Uint8Array(0));
      make = () => createHmac(inner, key);
    } else {
      const a = hashByName(algo);
      if (!a) throw new LuaRaise('Unknown algorithm');
      make = () => createHash(a);
    }
    this.hashes.push(L, this.hashes.add({ h: make(), make }));
    vm.pushFunction(L, this.hashFp, 1);
    return 1;
  }

  /** The hash function's body; its upvalue is the state's userdata. */
  private call(L: LState): number {
    const vm = this.vm;
    const up = LUA_REGISTRYINDEX - 1;
    const st = this.hashes.at(L, up);
    if (!st) throw new LuaRaise('invalid hash state');
    const t = vm.type(L, 1);
    // A bytearray counts as data too (remora extension; in BAS it would finish the hash).
    const data = t === T_STRING || t === T_NUMBER ? vm.viewBytes(L, 1) : t === T_USERDATA ? this.ctx.dataBytes(L, 1) : null;
    if (data) {
      st.h.update(data);
      vm.pushValue(L, up);
      vm.pushFunction(L, this.hashFp, 1);
      return 1;
    }
    const fmt = vm.type(L, 2) === T_STRING ? vm.toStr(L, 2) : null;
    const digest = st.h.digest();
    st.h = st.make();
    if (fmt === 'hex') vm.pushString(L, digest.toString('hex'));
    else if (fmt === 'b64') vm.pushString(L, digest.toString('base64'));
    else vm.pushBytes(L, digest);
    return 1;
  }
}

/** Registers ba.crypto.hash, ba.rnd/rnds/rndbs, base64 and URL encoding. */
export function installCrypto(ctx: BaContext): CryptoLib {
  const lib = new CryptoLib(ctx);
  lib.install(ctx.vm.L);
  return lib;
}
