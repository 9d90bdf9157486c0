/**
 * Small `ba.*` helpers of BAS web applications: `ba.parsedate`, `ba.encdate`, `ba.aeskey`,
 * `ba.aesencode`/`aesdecode` (Mako's token format: AES-CTR with a zero IV over a 4-byte
 * big-endian length and the data, padded to 16 bytes, base64url without padding),
 * `ba.rndseed`, `ba.cmpaddr`, `ba.deflate`, `ba.mime`, and the functions of Mako that cannot
 * exist in this runtime (they raise "<name> is not supported by this runtime").
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import { deflateRawSync, deflateSync } from 'node:zlib';
import { LuaRaise } from '../vm/lua-error.js';
import { T_BOOLEAN, T_NUMBER, T_STRING, T_TABLE, type LState } from '../vm/lua-vm.js';
import type { BaContext } from './context.js';
import { civilToSec, secToCivil } from './datetime.js';
import { pushSubTable } from '../vm/lua-values.js';
import { MIME_TYPES } from './mime-types.js';

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** RFC 1123 date of seconds since the epoch, e.g. "Tue, 14 Nov 2023 22:13:20 GMT". */
export function encdate(t: number): string {
  const c = secToCivil(t);
  const p2 = (n: number): string => String(n).padStart(2, '0');
  return `${DAYS[c.wday]}, ${p2(c.day)} ${MONTHS[c.month - 1]} ${c.year} ${p2(c.hour)}:${p2(c.min)}:${p2(c.sec)} GMT`;
}

/** Splits off the next token of `s` from `pos`: leading separators skipped; null at the end. */
function token(s: string, pos: number, seps: string): { tok: string; end: number } | null {
  let i = pos;
  while (i < s.length && seps.includes(s[i]!)) i++;
  if (i >= s.length) return null;
  let e = i;
  while (e < s.length && !seps.includes(s[e]!)) e++;
  return { tok: s.slice(pos, e), end: e };
}

/** C atoi: leading blanks, a sign, digits; 0 when none. */
function atoi(s: string): number {
  const m = /^[ \t\n\r\v\f]*([+-]?\d+)/.exec(s);
  return m ? parseInt(m[1]!, 10) : 0;
}

const prefixIndex = (list: string[], tok: string): number => list.findIndex((n) => tok.slice(0, 3).toLowerCase() === n.toLowerCase());

/**
 * BAS's HTTP date parser: "Wdy, DD Mon YYYY hh:mm:ss" (RFC 1123; the RFC 850 form is read
 * the same way, so its two-digit year is a year of the first century) or the asctime form
 * "Wdy Mon DD hh:mm:ss YYYY" (read as BAS reads it: one month earlier, year - 1900); 0 when
 * the text is none of these.
 */
export function parsedate(s: string): number {
  let t = token(s, 0, ' \t,');
  if (!t || prefixIndex(DAYS, t.tok.trim()) < 0 || t.tok.trim().length < 3) return 0;
  const sep = s[t.end];
  let pos = t.end + 1;
  const next = (seps: string): string | null => {
    const r = token(s, pos, seps);
    if (!r) return null;
    pos = r.end;
    return r.tok;
  };
  const strip = (x: string, seps: string): string => {
    let i = 0;
    while (i < x.length && seps.includes(x[i]!)) i++;
    return x.slice(i);
  };
  let year: number;
  let mon: number;
  let day: number;
  let tok = next(' \t-');
  if (tok === null) return 0;
  if (sep === ',') {
    day = atoi(strip(tok, ' \t-'));
    if ((tok = next(' \t-')) === null) return 0;
    mon = prefixIndex(MONTHS, strip(tok, ' \t-'));
    if (mon < 0) return 0;
    if ((tok = next(' \t-')) === null) return 0;
    year = atoi(strip(tok, ' \t-'));
  } else {
    mon = prefixIndex(MONTHS, strip(tok, ' \t-')) - 1;
    if (mon < -1) return 0;
    if ((tok = next(' \t')) === null) return 0;
    day = atoi(strip(tok, ' \t'));
    year = 0;
  }
  const hh = next(':');
  if (hh === null) return 0;
  const mm = next(':');
  if (mm === null) return 0;
  const ss = next(' \t:');
  if (ss === null) return 0;
  if (sep !== ',') {
    const y = next(' \t');
    if (y === null) return 0;
    year = atoi(strip(y, ' \t')) - 1900;
  }
  if (mon < 0) return 0;
  return civilToSec(year, mon + 1, day, atoi(strip(hh, ':')), atoi(strip(mm, ':')), atoi(strip(ss, ' \t:'))) ?? 0;
}

/** The AES key BAS derives from a key string: 16 or 32 bytes, zero-padded, longer cut. */
function aesKey(k: Uint8Array): Buffer {
  const n = k.length <= 16 ? 16 : 32;
  const out = Buffer.alloc(n);
  out.set(k.subarray(0, n));
  return out;
}

/**
 * AES in counter mode as BAS runs it: zero IV; the counter block is incremented (as a
 * little-endian number) before each block is encrypted, so the first block uses 01 00 .. 00.
 */
function aesCtr(key: Uint8Array, data: Buffer): Buffer {
  const k = aesKey(key);
  const ecb = createCipheriv(k.length === 16 ? 'aes-128-ecb' : 'aes-256-ecb', k, null);
  ecb.setAutoPadding(false);
  const nblocks = Math.ceil(data.length / 16);
  const counters = Buffer.alloc(nblocks * 16);
  const ctr = Buffer.alloc(16);
  for (let b = 0; b < nblocks; b++) {
    for (let i = 0; i < 16 && ++ctr[i]! === 256; i++) ctr[i] = 0;
    ctr.copy(counters, b * 16);
  }
  const ks = ecb.update(counters);
  const out = Buffer.allocUnsafe(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i]! ^ ks[i]!;
  return out;
}

export function aesencode(key: Uint8Array, data: Uint8Array, withLen: boolean): string {
  const x = withLen ? 4 : 0;
  let n = data.length + x;
  if (n % 16) n += 16 - (n % 16);
  const buf = Buffer.alloc(n);
  if (withLen) buf.writeUInt32BE(data.length, 0);
  buf.set(data, x);
  return aesCtr(key, buf).toString('base64url');
}

/** Base64 of either alphabet, '=' padding optional; null on other characters. */
function b64any(s: string): Buffer | null {
  const t = s.replace(/=+$/, '');
  if (!/^[A-Za-z0-9+/_-]*$/.test(t) || t.length % 4 === 1) return null;
  return Buffer.from(t.replace(/\+/g, '-').replace(/\//g, '_'), 'base64url');
}

export function aesdecode(key: Uint8Array, text: string, withLen: boolean): Buffer | null {
  const b = b64any(text);
  if (!b || b.length % 16 !== 0) return null;
  const plain = aesCtr(key, b);
  if (!withLen) return plain;
  if (plain.length < 4) return null;
  const len = plain.readUInt32BE(0);
  if (len > plain.length) return null;
  return plain.subarray(4, 4 + len);
}

/** ba.cmpaddr: same address text, an IPv4-mapped IPv6 address matching its IPv4 form. */
export function cmpaddr(a: string, b: string): boolean {
  const a6 = a.includes(':');
  const b6 = b.includes(':');
  if (a6 === b6) return a === b;
  if (a6 && a.startsWith('::ffff:')) return a.slice(7) === b;
  if (b6 && b.startsWith('::ffff:')) return b.slice(7) === a;
  return false;
}

/**
 * Names of Mako's ba and ba.create tables that cannot exist here; ba.create.servcon and ba.revcon
 * only until the HTTP server installs them (a script run has none).
 */
const UNSUPPORTED = ['ba.exec', 'ba.forkpty', 'ba.create.servcon', 'ba.revcon'];
/** Tables of Mako that cannot exist here: every call of one of their functions raises. */
const UNSUPPORTED_TABLES = ['ba.tpm'];

export function installMisc(ctx: BaContext): void {
  const { vm, args } = ctx;
  const L = vm.L;
  const data = (L: LState, i: number, fname: string): Buffer => {
    const t = vm.type(L, i);
    if (t !== T_STRING && t !== T_NUMBER) args.typeError(L, i, fname, 'string');
    return vm.toBytes(L, i)!;
  };
  const lenFlag = (L: LState): boolean => (vm.type(L, 3) === T_BOOLEAN ? vm.toBoolean(L, 3) : true);
  const fns: Record<string, (L: LState) => number> = {
    encdate: (L) => {
      vm.pushString(L, encdate(args.checkInteger(L, 1, 'ba.encdate')));
      return 1;
    },
    parsedate: (L) => {
      vm.pushInteger(L, parsedate(args.checkString(L, 1, 'ba.parsedate')));
      return 1;
    },
    aeskey: (L) => {
      const n = args.optInteger(L, 1, 'ba.aeskey', 16) & 0xffff;
      vm.pushBytes(L, randomBytes(n === 16 ? 16 : 32));
      return 1;
    },
    aesencode: (L) => {
      const key = data(L, 1, 'ba.aesencode');
      vm.pushString(L, aesencode(key, data(L, 2, 'ba.aesencode'), lenFlag(L)));
      return 1;
    },
    aesdecode: (L) => {
      const key = data(L, 1, 'ba.aesdecode');
      const r = aesdecode(key, data(L, 2, 'ba.aesdecode').toString('latin1'), lenFlag(L));
      if (!r) return 0;
      vm.pushBytes(L, r);
      return 1;
    },
    // node's CSPRNG seeds itself from the OS; extra entropy is accepted and not needed.
    rndseed: (L) => {
      if (vm.type(L, 1) !== T_NUMBER) args.checkString(L, 1, 'ba.rndseed');
      return 0;
    },
    cmpaddr: (L) => {
      const a = vm.type(L, 1) === T_STRING || vm.type(L, 1) === T_NUMBER ? vm.toStr(L, 1) : null;
      const b = vm.type(L, 2) === T_STRING || vm.type(L, 2) === T_NUMBER ? vm.toStr(L, 2) : null;
      if (!args.isNoneOrNil(L, 1) && a === null) args.typeError(L, 1, 'ba.cmpaddr', 'string');
      if (!args.isNoneOrNil(L, 2) && b === null) args.typeError(L, 2, 'ba.cmpaddr', 'string');
      vm.pushBoolean(L, a !== null && b !== null && cmpaddr(a, b));
      return 1;
    },
    deflate: (L) => {
      const zlib = vm.top(L) > 1 && vm.toBoolean(L, 2);
      const t = vm.type(L, 1);
      const parts: Buffer[] = [];
      if (t === T_TABLE) {
        const n = vm.rawLen(L, 1);
        if (!n) throw new LuaRaise('Table empty');
        for (let i = 1; i <= n; i++) {
          const et = vm.rawGetI(L, 1, i);
          const b = et === T_STRING || et === T_NUMBER ? vm.toBytes(L, -1) : null;
          vm.pop(L, 1);
          if (!b) throw new LuaRaise('Expected string(s) in table');
          parts.push(b);
        }
      } else if (t === T_STRING) parts.push(vm.toBytes(L, 1)!);
      else throw new LuaRaise('Expected table or string');
      const input = Buffer.concat(parts);
      vm.pushBytes(L, zlib ? deflateSync(input) : deflateRawSync(input));
      return 1;
    },
    mime: (L) => {
      // As BAS: a C string (ends at NUL), compared ignoring ASCII case.
      const ext = args.checkString(L, 1, 'ba.mime').split('\0', 1)[0]!.replace(/[A-Z]/g, (c) => c.toLowerCase());
      const m = MIME_TYPES.get(ext);
      vm.pushString(L, m ?? 'application/octet-stream');
      vm.pushBoolean(L, m !== undefined);
      return 2;
    },
  };
  ctx.pushBa(L);
  for (const [name, fn] of Object.entries(fns)) vm.setHost(L, -1, name, fn);
  vm.pushInteger(L, 0);
  vm.setField(L, -2, 'serverport');
  vm.pushInteger(L, 0);
  vm.setField(L, -2, 'serversslport');
  vm.pop(L, 1);
  installUnsupported(ctx);
}

/** Pushes the table at dotted `path` (creating missing tables); the caller pops it. */
function pushPath(ctx: BaContext, L: LState, parts: string[]): void {
  const { vm } = ctx;
  ctx.pushBa(L);
  for (const p of parts) {
    pushSubTable(vm, L, p);
    vm.remove(L, -2);
  }
}

function installUnsupported(ctx: BaContext): void {
  const { vm } = ctx;
  const L = vm.L;
  for (const full of UNSUPPORTED) {
    const parts = full.split('.').slice(1);
    const name = parts.pop()!;
    pushPath(ctx, L, parts);
    vm.setHost(L, -1, name, () => {
      throw new LuaRaise(`${full} is not supported by this runtime`);
    });
    vm.pop(L, 1);
  }
  for (const full of UNSUPPORTED_TABLES) {
    pushPath(ctx, L, full.split('.').slice(1));
    vm.newTable(L);
    vm.setHost(L, -1, '__index', (L) => {
      const key = vm.toStr(L, 2) ?? '?';
      vm.pushHost(L, 'unsupported', () => {
        throw new LuaRaise(`${full}.${key} is not supported by this runtime`);
      });
      return 1;
    });
    vm.setMetatable(L, -2);
    vm.pop(L, 1);
  }
}
