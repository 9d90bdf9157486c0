/**
 * The decoding half of `ba.json`: a recursive-descent JSON decoder that builds Lua values on
 * the stack directly from bytes (integers keep all 64 bits; null is `ba.json.null` or the
 * value the caller chose).
 */
import type { LState, LuaVM } from '../vm/lua-vm.js';

/** Deepest nesting encode and decode accept (protects the C and JS stacks; catches cycles). */
export const MAX_DEPTH = 256;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

export class DecodeError extends Error {}

/** Recursive-descent JSON decoder that builds Lua values on L. */
export class Decoder {
  pos = 0;
  constructor(
    private readonly vm: LuaVM,
    private readonly L: LState,
    private readonly s: Uint8Array,
    /** Stack index of the value to use for null; 0 = ba.json.null. */
    private readonly nullIdx: number,
    /** Called every 4096 values: the CPU budget also holds inside the decoder (issue 14). */
    private readonly tick: () => void = () => {},
  ) {}

  private values = 0;

  fail(msg: string): never {
    throw new DecodeError(`${msg} at position ${this.pos + 1}`);
  }

  describe(): string {
    if (this.pos >= this.s.length) return 'end of input';
    const c = this.s[this.pos]!;
    return c >= 0x21 && c < 0x7f ? `'${String.fromCharCode(c)}'` : `byte 0x${c.toString(16).padStart(2, '0')}`;
  }

  /** Skips white space and, as BAS's parser does, C and C++ comments (/* ... *\/, // to end of line). */
  skipWs(): void {
    const s = this.s;
    let p = this.pos;
    while (p < s.length) {
      const c = s[p]!;
      if (c === 0x2f && s[p + 1] === 0x2f) {
        p += 2;
        while (p < s.length && s[p] !== 0x0a) p++;
        continue;
      }
      if (c === 0x2f && s[p + 1] === 0x2a) {
        let q = p + 2;
        while (q + 1 < s.length && !(s[q] === 0x2a && s[q + 1] === 0x2f)) q++;
        if (q + 1 >= s.length) {
          this.pos = p;
          this.fail('unterminated comment');
        }
        p = q + 2;
        continue;
      }
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
      p++;
    }
    this.pos = p;
  }

  /** Parses one value and pushes it. */
  value(depth: number): void {
    if ((++this.values & 4095) === 0) this.tick();
    const { vm, L } = this;
    if (this.pos >= this.s.length) {
      this.pos = this.s.length;
      this.fail('unexpected end of input');
    }
    const c = this.s[this.pos]!;
    switch (c) {
      case 0x7b: // {
        return this.object(depth + 1);
      case 0x5b: // [
        return this.array(depth + 1);
      case 0x22: // "
        vm.pushBytes(L, this.string());
        return;
      case 0x74: // t
        this.literal('true');
        vm.pushBoolean(L, true);
        return;
      case 0x66: // f
        this.literal('false');
        vm.pushBoolean(L, false);
        return;
      case 0x6e: // n
        this.literal('null');
        this.pushNull();
        return;
      default:
        if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return this.number();
        this.fail(`unexpected ${this.describe()}`);
    }
  }

  private pushNull(): void {
    if (this.nullIdx) this.vm.pushValue(this.L, this.nullIdx);
    else this.vm.pushLightUserdata(this.L, 0);
  }

  private literal(word: string): void {
    for (let k = 0; k < word.length; k++) {
      if (this.s[this.pos + k] !== word.charCodeAt(k)) {
        this.pos += k;
        this.fail(`unexpected ${this.describe()}`);
      }
    }
    this.pos += word.length;
  }

  private enter(depth: number): void {
    if (depth > MAX_DEPTH) this.fail('nesting too deep');
    if (!this.vm.checkStack(this.L, 4)) this.fail('out of Lua stack');
  }

  private object(depth: number): void {
    const { vm, L } = this;
    this.enter(depth);
    this.pos++;
    vm.newTable(L);
    this.skipWs();
    if (this.s[this.pos] === 0x7d) {
      this.pos++;
      return;
    }
    for (;;) {
      if (this.s[this.pos] !== 0x22) this.fail(`expected a string key, got ${this.describe()}`);
      vm.pushBytes(L, this.string());
      this.skipWs();
      if (this.s[this.pos] !== 0x3a) this.fail(`expected ':', got ${this.describe()}`);
      this.pos++;
      this.skipWs();
      this.value(depth);
      vm.rawSet(L, -3);
      this.skipWs();
      const c = this.s[this.pos];
      if (c === 0x2c) {
        this.pos++;
        this.skipWs();
      } else if (c === 0x7d) {
        this.pos++;
        return;
      } else this.fail(`expected ',' or '}', got ${this.describe()}`);
    }
  }

  private array(depth: number): void {
    const { vm, L } = this;
    this.enter(depth);
    this.pos++;
    vm.newTable(L);
    this.skipWs();
    if (this.s[this.pos] === 0x5d) {
      this.pos++;
      return;
    }
    let k = 0;
    for (;;) {
      this.value(depth);
      vm.rawSetI(L, -2, ++k);
      this.skipWs();
      const c = this.s[this.pos];
      if (c === 0x2c) {
        this.pos++;
        this.skipWs();
      } else if (c === 0x5d) {
        this.pos++;
        return;
      } else this.fail(`expected ',' or ']', got ${this.describe()}`);
    }
  }

  private number(): void {
    const s = this.s;
    const start = this.pos;
    let p = start;
    let isFloat = false;
    if (s[p] === 0x2d) p++;
    const digits = (): number => {
      const b = p;
      while (p < s.length && s[p]! >= 0x30 && s[p]! <= 0x39) p++;
      return p - b;
    };
    const intStart = p;
    const nInt = digits();
    if (nInt === 0 || (nInt > 1 && s[intStart] === 0x30)) {
      this.pos = nInt === 0 ? p : intStart + 1;
      this.fail(`invalid number`);
    }
    if (s[p] === 0x2e) {
      p++;
      isFloat = true;
      if (digits() === 0) {
        this.pos = p;
        this.fail('invalid number');
      }
    }
    if (s[p] === 0x65 || s[p] === 0x45) {
      p++;
      isFloat = true;
      if (s[p] === 0x2b || s[p] === 0x2d) p++;
      if (digits() === 0) {
        this.pos = p;
        this.fail('invalid number');
      }
    }
    const text = Buffer.from(s.buffer, s.byteOffset + start, p - start).toString('latin1');
    this.pos = p;
    if (!isFloat) {
      const v = BigInt(text);
      if (v >= INT64_MIN && v <= INT64_MAX) {
        this.vm.pushInteger(this.L, v);
        return;
      }
    }
    this.vm.pushNumber(this.L, Number(text));
  }

  /** Parses a string literal at pos (which is on the opening quote); returns its bytes. */
  string(): Uint8Array {
    const s = this.s;
    let p = this.pos + 1;
    const start = p;
    // Fast path: no escapes.
    while (p < s.length) {
      const c = s[p]!;
      if (c === 0x22) {
        this.pos = p + 1;
        return s.subarray(start, p);
      }
      if (c === 0x5c || c < 0x20) break;
      p++;
    }
    const out: number[] = [];
    for (let k = start; k < p; k++) out.push(s[k]!);
    while (p < s.length) {
      const c = s[p]!;
      if (c === 0x22) {
        this.pos = p + 1;
        return Uint8Array.from(out);
      }
      if (c < 0x20) {
        this.pos = p;
        this.fail('control character in string');
      }
      if (c !== 0x5c) {
        out.push(c);
        p++;
        continue;
      }
      const e = s[p + 1];
      p += 2;
      switch (e) {
        case 0x22:
          out.push(0x22);
          break;
        case 0x5c:
          out.push(0x5c);
          break;
        case 0x2f:
          out.push(0x2f);
          break;
        case 0x62:
          out.push(0x08);
          break;
        case 0x66:
          out.push(0x0c);
          break;
        case 0x6e:
          out.push(0x0a);
          break;
        case 0x72:
          out.push(0x0d);
          break;
        case 0x74:
          out.push(0x09);
          break;
        case 0x75: {
          let cp = this.hex4(p);
          p += 4;
          // A surrogate pair becomes one code point; a lone surrogate is kept as its own
          // three-byte sequence rather than dropped.
          if (cp >= 0xd800 && cp <= 0xdbff && s[p] === 0x5c && s[p + 1] === 0x75) {
            const lo = this.hex4(p + 2);
            if (lo >= 0xdc00 && lo <= 0xdfff) {
              cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
              p += 6;
            }
          }
          utf8Push(out, cp);
          break;
        }
        default:
          this.pos = p - 2;
          this.fail('invalid escape in string');
      }
    }
    this.pos = s.length;
    this.fail('unterminated string');
  }

  private hex4(p: number): number {
    let v = 0;
    for (let k = 0; k < 4; k++) {
      const c = this.s[p + k];
      let d: number;
      if (c === undefined) d = -1;
      else if (c >= 0x30 && c <= 0x39) d = c - 0x30;
      else if (c >= 0x61 && c <= 0x66) d = c - 0x57;
      else if (c >= 0x41 && c <= 0x46) d = c - 0x37;
      else d = -1;
      if (d < 0) {
        this.pos = p + k;
        this.fail('invalid \\u escape');
      }
      v = v * 16 + d;
    }
    return v;
  }
}

function utf8Push(out: number[], cp: number): void {
  if (cp < 0x80) out.push(cp);
  else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 63));
  else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
  else out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
}

/**
 * Splits a byte stream into complete top-level JSON objects/arrays without parsing them:
 * counts brackets outside strings. Used by ba.json.parser.
 */
