/**
 * Minimal ASN.1 DER reading and writing for the certificate helpers (CSR and certificate
 * creation, certificate parsing, ECDSA signature values). Only definite lengths; the reader
 * never throws past its input: a malformed element raises DerError.
 */

export class DerError extends Error {}

export interface DerNode {
  tag: number;
  /** Offset of the tag byte in the source buffer. */
  start: number;
  /** Offset of the first content byte. */
  body: number;
  /** Offset just after the content. */
  end: number;
  src: Uint8Array;
}

/** Reads one element at `pos` of `src` (bounded by `limit`). */
export function readNode(src: Uint8Array, pos = 0, limit = src.length): DerNode {
  if (pos + 2 > limit) throw new DerError('truncated');
  const tag = src[pos]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError('long tag');
  let len = src[pos + 1]!;
  let body = pos + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || body + n > limit) throw new DerError('bad length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + src[body + i]!;
    body += n;
  }
  if (body + len > limit) throw new DerError('truncated');
  return { tag, start: pos, body, end: body + len, src };
}

/** The children of a constructed element. */
export function children(n: DerNode): DerNode[] {
  const out: DerNode[] = [];
  let p = n.body;
  while (p < n.end) {
    const c = readNode(n.src, p, n.end);
    out.push(c);
    p = c.end;
  }
  return out;
}

export function content(n: DerNode): Buffer {
  return Buffer.from(n.src.subarray(n.body, n.end));
}

export function whole(n: DerNode): Buffer {
  return Buffer.from(n.src.subarray(n.start, n.end));
}

/** Dotted text of an OBJECT IDENTIFIER element. */
export function oidText(n: DerNode): string {
  const b = n.src.subarray(n.body, n.end);
  if (b.length === 0) return '';
  const parts = [Math.floor(b[0]! / 40), b[0]! % 40];
  let v = 0;
  for (let i = 1; i < b.length; i++) {
    v = v * 128 + (b[i]! & 0x7f);
    if (!(b[i]! & 0x80)) {
      parts.push(v);
      v = 0;
    }
  }
  return parts.join('.');
}

// ---- writing ------------------------------------------------------------------------------------

function lenBytes(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const out: number[] = [];
  while (n > 0) {
    out.unshift(n & 0xff);
    n = Math.floor(n / 256);
  }
  return Buffer.from([0x80 | out.length, ...out]);
}

export function tlv(tag: number, ...parts: Uint8Array[]): Buffer {
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([tag]), lenBytes(body.length), body]);
}

export const seq = (...parts: Uint8Array[]): Buffer => tlv(0x30, ...parts);
export const set = (...parts: Uint8Array[]): Buffer => tlv(0x31, ...parts);

/** INTEGER from unsigned big-endian bytes (leading zeros dropped, a 0x00 added for the sign). */
export function uint(bytes: Uint8Array): Buffer {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  let b = Buffer.from(bytes.subarray(i));
  if (b.length === 0) b = Buffer.from([0]);
  if (b[0]! & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
  return tlv(0x02, b);
}

export function oid(dotted: string): Buffer {
  const p = dotted.split('.').map(Number);
  const out: number[] = [p[0]! * 40 + p[1]!];
  for (const v of p.slice(2)) {
    const enc: number[] = [v & 0x7f];
    let x = Math.floor(v / 128);
    while (x > 0) {
      enc.unshift((x & 0x7f) | 0x80);
      x = Math.floor(x / 128);
    }
    out.push(...enc);
  }
  return tlv(0x06, Buffer.from(out));
}

/** Unsigned big-endian bytes of a bigint, left-padded to `size` bytes when given. */
export function bigToBytes(v: bigint, size = 0): Buffer {
  let h = v.toString(16);
  if (h.length % 2) h = '0' + h;
  const b = Buffer.from(h, 'hex');
  if (size > b.length) return Buffer.concat([Buffer.alloc(size - b.length), b]);
  return b;
}

export function bytesToBig(b: Uint8Array): bigint {
  return b.length === 0 ? 0n : BigInt('0x' + Buffer.from(b).toString('hex'));
}

/** PEM text as SharkSSL writes it: 64-character lines, a newline after the END line. */
export function pem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [''];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
