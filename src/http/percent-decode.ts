/**
 * Percent-decoding (RFC 3986 §2.1) to bytes. Lua strings are bytes, so the result is a Buffer,
 * never a JS string that would force a character encoding on the data.
 */

export interface PercentDecodeOptions {
  /** Decode "+" as a space, as application/x-www-form-urlencoded does. */
  plusAsSpace?: boolean;
  /**
   * Return null on a "%" not followed by two hex digits. Paths use strict mode (an odd escape
   * there is an attack or a bug); forms are lenient and keep the "%" as browsers do.
   */
  strict?: boolean;
}

/** The value of an ASCII hex digit (character code `c`), or -1. */
export function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/** Bytes of a byte string (chars up to U+00FF); anything wider is taken as UTF-8 text. */
export function byteStringToBuffer(s: string): Buffer {
  // eslint-disable-next-line no-control-regex
  return /[^\x00-\xff]/.test(s) ? Buffer.from(s, 'utf8') : Buffer.from(s, 'latin1');
}

export function percentDecode(input: string | Uint8Array, options: PercentDecodeOptions = {}): Buffer | null {
  const src = typeof input === 'string' ? byteStringToBuffer(input) : input;
  const out = Buffer.allocUnsafe(src.length);
  let o = 0;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === 0x25 /* % */) {
      const hi = i + 2 < src.length ? hexDigit(src[i + 1]) : -1;
      const lo = i + 2 < src.length ? hexDigit(src[i + 2]) : -1;
      if (hi >= 0 && lo >= 0) {
        out[o++] = hi * 16 + lo;
        i += 2;
        continue;
      }
      if (options.strict) return null;
      out[o++] = c;
    } else if (c === 0x2b /* + */ && options.plusAsSpace) {
      out[o++] = 0x20;
    } else {
      out[o++] = c;
    }
  }
  return out.subarray(0, o);
}
