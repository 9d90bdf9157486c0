/**
 * A FIFO of received byte chunks that is consumed from the front without copying.
 *
 * TCP delivers a WebSocket stream in chunks that do not line up with frames (RFC 6455 §5.4:
 * "intermediaries ... may change the fragmentation"), so the parser must be able to read a
 * header split over several chunks and to take payload bytes that span chunk edges. Payload is
 * handed out as subarrays of the chunks whenever possible; bytes are only copied when a caller
 * asks for an exact count that spans two or more chunks.
 */

const EMPTY: Buffer = Buffer.alloc(0);

export class ChunkQueue {
  private chunks: Buffer[] = [];
  /** Index in `chunks` of the first chunk with unread bytes. */
  private head = 0;
  /** Read position inside `chunks[head]`. */
  private offset = 0;
  /** Unread bytes in the queue. */
  private size = 0;

  /** Number of unread bytes. */
  get length(): number {
    return this.size;
  }

  /** Appends a chunk. The queue keeps a reference; callers must not reuse the memory. */
  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.size += chunk.length;
  }

  /** Drops every unread byte. */
  clear(): void {
    this.chunks = [];
    this.head = 0;
    this.offset = 0;
    this.size = 0;
  }

  /** Reads one byte; the caller has checked `length >= 1`. */
  readUInt8(): number {
    const chunk = this.chunks[this.head]!;
    const b = chunk[this.offset]!;
    this.advance(chunk, 1);
    return b;
  }

  /** Reads a big-endian 16-bit value (network byte order, RFC 6455 §5.2). */
  readUInt16BE(): number {
    return (this.readUInt8() << 8) | this.readUInt8();
  }

  /** Reads a big-endian 32-bit value; the caller has checked `length >= 4`. */
  readUInt32BE(): number {
    const chunk = this.chunks[this.head]!;
    if (chunk.length - this.offset >= 4) {
      const v = chunk.readUInt32BE(this.offset);
      this.advance(chunk, 4);
      return v;
    }
    return ((this.readUInt16BE() << 16) >>> 0) + this.readUInt16BE();
  }

  /** Copies the next `n` bytes into `target` (for a masking key); `length >= n` is checked. */
  readInto(target: Uint8Array, n: number): void {
    for (let i = 0; i < n; i++) target[i] = this.readUInt8();
  }

  /**
   * Takes up to `n` bytes from the first chunk only: always a subarray, never a copy. Returns
   * fewer bytes than asked when the first chunk ends earlier; empty when the queue is empty.
   */
  takeContiguous(n: number): Buffer {
    if (this.size === 0 || n <= 0) return EMPTY;
    const chunk = this.chunks[this.head]!;
    const k = Math.min(n, chunk.length - this.offset);
    const out = chunk.subarray(this.offset, this.offset + k);
    this.advance(chunk, k);
    return out;
  }

  /**
   * Takes exactly `n` bytes (`length >= n` is checked by the caller): a subarray when they lie in
   * one chunk, else one copy.
   */
  take(n: number): Buffer {
    if (n === 0) return EMPTY;
    const chunk = this.chunks[this.head]!;
    if (chunk.length - this.offset >= n) return this.takeContiguous(n);
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const part = this.takeContiguous(n - filled);
      out.set(part, filled);
      filled += part.length;
    }
    return out;
  }

  /** Discards up to `n` bytes; returns how many were discarded. */
  skip(n: number): number {
    let left = Math.min(n, this.size);
    const done = left;
    while (left > 0) {
      const chunk = this.chunks[this.head]!;
      const k = Math.min(left, chunk.length - this.offset);
      this.advance(chunk, k);
      left -= k;
    }
    return done;
  }

  private advance(chunk: Buffer, k: number): void {
    this.offset += k;
    this.size -= k;
    if (this.offset < chunk.length) return;
    this.offset = 0;
    this.head++;
    if (this.head === this.chunks.length) {
      // Fully drained (the usual case): start a fresh array so consumed chunks can be freed.
      this.chunks = [];
      this.head = 0;
    } else if (this.head >= 64) {
      // A long backlog of small chunks: drop the consumed prefix now and then, never per read.
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
  }
}
