/**
 * A request body handed to the handler while it arrives (large and chunked bodies): the
 * connection pushes decoded bytes, the handler's reader pulls them. At most `highWater` bytes
 * wait here; above that the connection stops reading the socket until the reader catches up,
 * so a large upload never sits in memory whole.
 */
export class BodyStream {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private ended = false;
  private failure: string | null = null;
  private discarding = false;
  private wake: (() => void) | null = null;
  /** Called when the reader took bytes and the stream is no longer full. */
  onDrain: (() => void) | null = null;

  constructor(readonly highWater = 64 * 1024) {}

  /** True while as many bytes wait as the reader may lag behind. */
  get full(): boolean {
    return this.buffered >= this.highWater;
  }

  /** True once the whole body arrived, or it failed. */
  get complete(): boolean {
    return this.ended || this.failure !== null;
  }

  push(b: Buffer): void {
    if (this.complete || b.length === 0) return;
    if (!this.discarding) {
      this.chunks.push(b);
      this.buffered += b.length;
    }
    this.notify();
  }

  end(): void {
    this.ended = true;
    this.notify();
  }

  /** The body cannot be read to its end (peer gone, broken framing, too large). */
  fail(reason: string): void {
    if (this.complete) return;
    this.failure = reason;
    this.chunks = [];
    this.buffered = 0;
    this.notify();
  }

  /** Nobody will read any more: drop what waits and what comes. */
  discard(): void {
    this.discarding = true;
    this.chunks = [];
    this.buffered = 0;
    this.wake = null;
  }

  /**
   * Up to `max` bytes: a Buffer; null at the end of the body; an Error when it failed;
   * undefined when nothing is there yet (call onReadable and try again).
   */
  read(max: number): Buffer | null | Error | undefined {
    if (this.failure !== null) return new Error(this.failure);
    if (this.buffered === 0) return this.ended ? null : undefined;
    const first = this.chunks[0]!;
    let out: Buffer;
    if (first.length <= max) {
      this.chunks.shift();
      out = first;
    } else {
      out = first.subarray(0, max);
      this.chunks[0] = first.subarray(max);
    }
    const wasFull = this.full;
    this.buffered -= out.length;
    if (wasFull && !this.full) this.onDrain?.();
    return out;
  }

  /** Calls `cb` once when bytes, the end or a failure arrive. */
  onReadable(cb: () => void): void {
    this.wake = cb;
  }

  private notify(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }
}
