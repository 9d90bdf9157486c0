/**
 * Small copies between typed arrays, four bytes per step through `DataView`s. A byte loop
 * reading WASM memory through a `Uint8Array` costs ~1.5 ns per byte, and `set` with a
 * `subarray` allocates a view per call; a 64-byte copy this way takes about a third of either.
 * One view is kept per side for the last array seen (WASM memory on one side, the pooled
 * write batches on the other, so both hit nearly always).
 */

/** Above this many bytes a native `set` beats the word loop. */
const WORD_LOOP_MAX = 256;
/** Below this many bytes the views are not worth looking up. */
const WORD_LOOP_MIN = 16;

// The arrays the views were made for: compared by identity (reading `.buffer` of a typed
// array costs more than the copy). WASM memory's array is replaced when memory grows.
let srcArr: Uint8Array | null = null;
let srcView: DataView | null = null;
let dstArr: Uint8Array | null = null;
let dstView: DataView | null = null;

/** Copies `src[from..from+n)` to `dst[at..]` (the ranges must not overlap). */
export function copyBytes(dst: Uint8Array, at: number, src: Uint8Array, from: number, n: number): void {
  if (n > WORD_LOOP_MAX) {
    dst.set(src.subarray(from, from + n), at);
    return;
  }
  let i = 0;
  if (n >= WORD_LOOP_MIN) {
    if (srcArr !== src) {
      srcArr = src;
      srcView = new DataView(src.buffer, src.byteOffset, src.byteLength);
    }
    if (dstArr !== dst) {
      dstArr = dst;
      dstView = new DataView(dst.buffer, dst.byteOffset, dst.byteLength);
    }
    const s = srcView!;
    const d = dstView!;
    for (; i + 4 <= n; i += 4) d.setUint32(at + i, s.getUint32(from + i, true), true);
  }
  for (; i < n; i++) dst[at + i] = src[from + i]!;
}
