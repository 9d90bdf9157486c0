/**
 * Small copies between typed arrays, four bytes per step through `DataView`s. A byte loop
 * reading WASM memory through a `Uint8Array` costs ~1.5 ns per byte, and `set` with a
 * `subarray` allocates a view per call; a 64-byte copy this way takes about a third of either.
 * One view is kept per side for the last buffer seen (WASM memory on one side, the pooled
 * write batches on the other, so both hit nearly always).
 */

/** Above this many bytes a native `set` beats the word loop. */
const WORD_LOOP_MAX = 256;
/** Below this many bytes the views are not worth looking up. */
const WORD_LOOP_MIN = 16;

let srcView: DataView | null = null;
let dstView: DataView | null = null;

function viewOfSrc(b: Uint8Array): DataView {
  const v = srcView;
  if (v !== null && v.buffer === b.buffer) return v;
  return (srcView = new DataView(b.buffer));
}

function viewOfDst(b: Uint8Array): DataView {
  const v = dstView;
  if (v !== null && v.buffer === b.buffer) return v;
  return (dstView = new DataView(b.buffer));
}

/** Copies `src[from..from+n)` to `dst[at..]` (the ranges must not overlap). */
export function copyBytes(dst: Uint8Array, at: number, src: Uint8Array, from: number, n: number): void {
  if (n > WORD_LOOP_MAX) {
    dst.set(src.subarray(from, from + n), at);
    return;
  }
  let i = 0;
  if (n >= WORD_LOOP_MIN) {
    const s = viewOfSrc(src);
    const d = viewOfDst(dst);
    const so = src.byteOffset + from;
    const dO = dst.byteOffset + at;
    for (; i + 4 <= n; i += 4) d.setUint32(dO + i, s.getUint32(so + i, true), true);
  }
  for (; i < n; i++) dst[at + i] = src[from + i]!;
}
