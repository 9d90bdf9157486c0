/**
 * Payload masking, RFC 6455 §5.3: octet i of the payload is XORed with octet (i mod 4) of the
 * frame's masking key. The same operation masks (client sender) and unmasks (server receiver).
 */

// Scratch for the masking key rotated to the current phase, read back as one 32-bit word in
// platform byte order, which is the order a Uint32Array view over the payload uses too.
const rotated = new Uint8Array(4);
const rotatedWord = new Uint32Array(rotated.buffer);

/** Below this size the word loop does not pay for creating a typed-array view. */
const WORD_LOOP_MIN = 32;

/**
 * XORs `data` in place with `mask`, starting at key octet `phase` (0–3). `phase` lets a payload
 * be unmasked piece by piece as TCP chunks arrive: it is the number of payload bytes already
 * unmasked, modulo 4.
 */
export function applyMask(data: Uint8Array, mask: Uint8Array, phase = 0): void {
  const n = data.length;
  let i = 0;
  if (n >= WORD_LOOP_MIN) {
    // Bytes up to the first 4-byte aligned address, then whole words, then the tail.
    while (((data.byteOffset + i) & 3) !== 0) {
      data[i]! ^= mask[(phase + i) & 3]!;
      i++;
    }
    const words = (n - i) >>> 2;
    for (let k = 0; k < 4; k++) rotated[k] = mask[(phase + i + k) & 3]!;
    const w = rotatedWord[0]!;
    const view = new Uint32Array(data.buffer, data.byteOffset + i, words);
    for (let k = 0; k < words; k++) view[k]! ^= w;
    i += words << 2;
  }
  for (; i < n; i++) data[i]! ^= mask[(phase + i) & 3]!;
}
