/**
 * Test helpers: a frame encoder independent of src/ws/sender.ts (so receiver tests do not trust
 * the code under test), a seeded PRNG, and helpers that feed bytes whole, one byte at a time or
 * in segments.
 */

export interface FrameSpec {
  opcode: number;
  payload?: Uint8Array | string;
  fin?: boolean;
  /** RSV1-3 as the 3-bit value placed in bits 4-6 of the first byte. */
  rsv?: number;
  /** A masking key, or true for a fixed key, or false/undefined for none. */
  mask?: Uint8Array | boolean;
  /** Force a length encoding: 7, 16 or 64 bits (default: the smallest). */
  lengthBits?: 7 | 16 | 64;
  /** Override the length field (for broken frames); the payload is still appended as given. */
  declaredLength?: number;
  /** Raw high 32 bits of a 64-bit length (for MSB tests). */
  rawHigh32?: number;
}

const FIXED_MASK = Uint8Array.from([0x37, 0xfa, 0x21, 0x3d]);

export function frame(spec: FrameSpec): Buffer {
  const payload = typeof spec.payload === 'string' ? Buffer.from(spec.payload) : Buffer.from(spec.payload ?? []);
  const len = spec.declaredLength ?? payload.length;
  const bits = spec.lengthBits ?? (len < 126 ? 7 : len <= 0xffff ? 16 : 64);
  const mask = spec.mask === true ? FIXED_MASK : spec.mask instanceof Uint8Array ? spec.mask : null;
  const head: number[] = [((spec.fin ?? true) ? 0x80 : 0) | ((spec.rsv ?? 0) << 4) | spec.opcode];
  const maskBit = mask ? 0x80 : 0;
  if (bits === 7) {
    head.push(maskBit | len);
  } else if (bits === 16) {
    head.push(maskBit | 126, (len >> 8) & 0xff, len & 0xff);
  } else {
    const hi = spec.rawHigh32 ?? Math.floor(len / 0x100000000);
    const lo = len >>> 0;
    head.push(maskBit | 127, hi >>> 24, (hi >> 16) & 0xff, (hi >> 8) & 0xff, hi & 0xff);
    head.push(lo >>> 24, (lo >> 16) & 0xff, (lo >> 8) & 0xff, lo & 0xff);
  }
  const body = Buffer.from(payload);
  if (mask) {
    head.push(...mask);
    for (let i = 0; i < body.length; i++) body[i]! ^= mask[i & 3]!;
  }
  return Buffer.concat([Buffer.from(head), body]);
}

/** Opcodes spelled out, so tests do not depend on src/ws/opcode.ts. */
export const OP = { cont: 0, text: 1, binary: 2, close: 8, ping: 9, pong: 10 } as const;

/** A close frame body: code in network order + reason. */
export function closeBody(code: number, reason = ''): Buffer {
  const b = Buffer.alloc(2 + Buffer.byteLength(reason));
  b.writeUInt16BE(code, 0);
  b.write(reason, 2);
  return b;
}

/** Deterministic PRNG (mulberry32) so failures reproduce. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomBytes(n: number, rand: () => number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(rand() * 256);
  return b;
}

/** Splits bytes into fresh copies of `size`-byte segments (fresh: the receiver unmasks in place). */
export function segments(bytes: Uint8Array, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(Buffer.from(bytes.subarray(i, i + size)));
  return out;
}

/** Ways to deliver a byte stream: whole, one byte at a time, and in 3-byte segments. */
export const DELIVERIES: ReadonlyArray<readonly [string, (bytes: Uint8Array) => Buffer[]]> = [
  ['whole', (b) => [Buffer.from(b)]],
  ['one byte at a time', (b) => segments(b, 1)],
  ['3-byte segments', (b) => segments(b, 3)],
];

/**
 * Whether `view` lies inside the memory of `source` (zero-copy check; comparing `.buffer` alone
 * is not enough because small Buffers share node's allocation pool).
 */
export function aliases(view: Uint8Array, source: Uint8Array): boolean {
  return (
    view.buffer === source.buffer &&
    view.byteOffset >= source.byteOffset &&
    view.byteOffset + view.length <= source.byteOffset + source.length
  );
}
