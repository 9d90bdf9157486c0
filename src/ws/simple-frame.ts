/**
 * The common case of a received frame, read straight from a TCP chunk: one whole, unfragmented,
 * uncompressed text or binary frame of at most one read's size, masked as its side requires,
 * its text plain ASCII. The socket layer takes such a frame without the Receiver's state
 * machine, its chunk queue or its event objects, and copies the payload into a Lua string
 * while unmasking it (one pass instead of unmasking in place and copying). Anything else (a
 * control frame, a fragment, a frame split across chunks, a 64-bit length, non-ASCII text, a
 * frame the Receiver would refuse) is left to the Receiver, which checks every rule of RFC 6455.
 *
 * Only valid where the Receiver stands between two frames with nothing queued and no message
 * in progress (`MessageReader.atMessageStart`): a frame taken here changes none of its state.
 */
import { Opcode } from './opcode.js';
import { applyMask } from './mask.js';

/** Where `parseSimpleFrame` puts what it found (an object of the caller's, reused). */
export interface SimpleFrame {
  /** Index of the first payload byte in the chunk. */
  payloadStart: number;
  payloadLength: number;
  isText: boolean;
  /** The masking key as one number (octet i in bits 8i..8i+7), or -1 for an unmasked frame. */
  maskKey: number;
}

/**
 * Reads one frame at `b[start..end)`. Returns the index just past it when it is a simple frame
 * (see above) of at most `maxLength` payload bytes that lies wholly in the range, else -1
 * (nothing consumed: hand the bytes to the Receiver).
 */
export function parseSimpleFrame(b: Uint8Array, start: number, end: number, isServer: boolean, maxLength: number, out: SimpleFrame): number {
  if (end - start < 2) return -1;
  const b0 = b[start]!;
  const b1 = b[start + 1]!;
  // FIN set, RSV clear (a compressed frame has RSV1), text or binary.
  const op = b0 & 0x0f;
  if ((b0 & 0xf0) !== 0x80 || (op !== Opcode.Text && op !== Opcode.Binary)) return -1;
  // RFC 6455 §5.1: client frames are masked, server frames are not.
  const masked = (b1 & 0x80) !== 0;
  if (masked !== isServer) return -1;
  let len = b1 & 0x7f;
  let p = start + 2;
  if (len === 126) {
    if (end - p < 2) return -1;
    len = (b[p]! << 8) | b[p + 1]!;
    p += 2;
  } else if (len === 127) return -1;
  if (len > maxLength) return -1;
  let key = -1;
  if (masked) {
    if (end - p < 4) return -1;
    key = (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
    p += 4;
  }
  if (end - p < len) return -1;
  const isText = op === Opcode.Text;
  // §8.1: text must be UTF-8. Plain ASCII is; anything else is for the Receiver's validator.
  if (isText && !isAscii(b, p, len, key)) return -1;
  out.payloadStart = p;
  out.payloadLength = len;
  out.isText = isText;
  out.maskKey = key;
  return p + len;
}

/** Whether the (masked) payload at `b[p..p+n)` unmasks to 7-bit bytes only. */
function isAscii(b: Uint8Array, p: number, n: number, key: number): boolean {
  let acc = 0;
  if (key === -1) {
    for (let i = 0; i < n; i++) acc |= b[p + i]!;
    return (acc & 0x80) === 0;
  }
  // The high bit of each key octet flips the high bit of its payload bytes.
  const k0 = key & 0x80;
  const k1 = (key >>> 8) & 0x80;
  const k2 = (key >>> 16) & 0x80;
  const k3 = (key >>> 24) & 0x80;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    acc |= (b[p + i]! ^ k0) | (b[p + i + 1]! ^ k1) | (b[p + i + 2]! ^ k2) | (b[p + i + 3]! ^ k3);
  }
  for (; i < n; i++) acc |= b[p + i]! ^ ((key >>> (8 * (i & 3))) & 0x80);
  return (acc & 0x80) === 0;
}

/** Above this length a native copy and a word-wise unmask beat the word loop below. */
const WORD_LOOP_MAX = 256;
const keyBytes = new Uint8Array(4);

/*
 * One `DataView` per side for the last array seen (the shared read buffer, WASM memory): a
 * byte loop over WASM memory costs ~1.5 ns per byte, four bytes per step through the views
 * about a third of that. The arrays are compared by identity (reading `.buffer` of a typed
 * array costs more than the copy); WASM memory's array is replaced when memory grows.
 */
let srcArr: Uint8Array | null = null;
let srcView: DataView | null = null;
let dstArr: Uint8Array | null = null;
let dstView: DataView | null = null;

/**
 * Copies `n` payload bytes from `src[from..]` to `dst[at..]`, unmasking them with `key`
 * (`SimpleFrame.maskKey`; -1: a plain copy) in the same pass.
 */
export function unmaskInto(dst: Uint8Array, at: number, src: Uint8Array, from: number, n: number, key: number): void {
  if (n > WORD_LOOP_MAX) {
    dst.set(src.subarray(from, from + n), at);
    if (key !== -1) {
      keyBytes[0] = key;
      keyBytes[1] = key >>> 8;
      keyBytes[2] = key >>> 16;
      keyBytes[3] = key >>> 24;
      applyMask(dst.subarray(at, at + n), keyBytes, 0);
    }
    return;
  }
  const k = key === -1 ? 0 : key | 0;
  let i = 0;
  if (n >= 16) {
    if (srcArr !== src) {
      srcArr = src;
      srcView = new DataView(src.buffer, src.byteOffset, src.byteLength);
    }
    if (dstArr !== dst) {
      dstArr = dst;
      dstView = new DataView(dst.buffer, dst.byteOffset, dst.byteLength);
    }
    const sv = srcView!;
    const dv = dstView!;
    // Little-endian words: key octet i lands on byte i of each word.
    for (; i + 4 <= n; i += 4) dv.setInt32(at + i, sv.getInt32(from + i, true) ^ k, true);
  }
  for (; i < n; i++) dst[at + i] = src[from + i]! ^ ((k >>> (8 * (i & 3))) & 0xff);
}
