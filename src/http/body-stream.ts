/**
 * A request body handed to the handler while it arrives (large and chunked bodies): the
 * connection pushes decoded bytes, the handler's reader pulls them. At most `highWater` bytes
 * wait here (or as many as a waiting reader asked for, when more); above that the connection
 * stops reading the socket until the reader catches up, so a large upload never sits in memory
 * whole.
 */
export class BodyStream {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private ended = false;
  private failure: string | null = null;
  private discarding = false;
  /** Readers waiting for bytes (two coroutines may wait on one body). */
  private wakers: Array<() => void> = [];
  /** Bytes a reader waits for (fill): the stream holds that many before it counts as full. */
  private demand = 0;
  /** True once a reader took bytes (the raw body can no longer be handed over whole). */
  touched = false;
  /** Called when the reader took bytes and the stream is no longer full. */
  onDrain: (() => void) | null = null;

  constructor(readonly highWater = 64 * 1024) {}

  /** True while as many bytes wait as the reader may lag behind. */
  get full(): boolean {
    return this.buffered >= Math.max(this.highWater, this.demand);
  }

  /** True once the whole body arrived, or it failed. */
  get complete(): boolean {
    return this.ended || this.failure !== null;
  }

  /** True once the whole body arrived (not failed). */
  get endedWell(): boolean {
    return this.ended && this.failure === null;
  }

  /** Decoded bytes waiting for a reader. */
  get pending(): number {
    return this.buffered;
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

  /**
   * The body cannot be read to its end (peer gone, broken framing). What arrived before is
   * still read first, then the reader gets the failure.
   */
  fail(reason: string): void {
    if (this.complete) return;
    this.failure = reason;
    this.notify();
  }

  /** Nobody will read any more: drop what waits and what comes. */
  discard(): void {
    this.discarding = true;
    this.chunks = [];
    this.buffered = 0;
    this.wakers = [];
  }

  /**
   * Up to `max` bytes: a Buffer; null at the end of the body; an Error when it failed;
   * undefined when nothing is there yet (call onReadable and try again).
   */
  read(max: number): Buffer | null | Error | undefined {
    if (this.buffered === 0) return this.failure !== null ? new Error(this.failure) : this.ended ? null : undefined;
    const first = this.chunks[0]!;
    let out: Buffer;
    if (first.length <= max) {
      this.chunks.shift();
      out = first;
    } else {
      out = first.subarray(0, max);
      this.chunks[0] = first.subarray(max);
    }
    this.took(out.length);
    return out;
  }

  /**
   * Exactly `n` bytes, or fewer when the body ends (or fails) before: what Mako's body reader
   * returns. null at the end; an Error when it failed with nothing left; undefined when fewer
   * than `n` bytes arrived so far (the stream then holds up to `n` before it counts as full:
   * call onReadable and try again).
   */
  readFill(n: number): Buffer | null | Error | undefined {
    if (this.buffered < n && !this.complete) {
      if (this.demand !== n) {
        const wasFull = this.full;
        this.demand = n;
        if (wasFull && !this.full) this.onDrain?.();
      }
      return undefined;
    }
    this.demand = 0;
    if (this.buffered === 0) return this.failure !== null ? new Error(this.failure) : null;
    const take = Math.min(n, this.buffered);
    const first = this.chunks[0]!;
    let out: Buffer;
    if (first.length >= take) {
      out = first.subarray(0, take);
      if (first.length === take) this.chunks.shift();
      else this.chunks[0] = first.subarray(take);
    } else {
      out = Buffer.allocUnsafe(take);
      let at = 0;
      while (at < take) {
        const c = this.chunks[0]!;
        const k = Math.min(c.length, take - at);
        c.copy(out, at, 0, k);
        at += k;
        if (k === c.length) this.chunks.shift();
        else this.chunks[0] = c.subarray(k);
      }
    }
    this.took(take);
    return out;
  }

  private took(n: number): void {
    this.touched = true;
    const wasFull = this.full;
    this.buffered -= n;
    if (wasFull && !this.full) this.onDrain?.();
  }

  /** Calls `cb` once when bytes, the end or a failure arrive. */
  onReadable(cb: () => void): void {
    this.wakers.push(cb);
  }

  private notify(): void {
    if (this.wakers.length === 0) return;
    const ws = this.wakers;
    this.wakers = [];
    for (const w of ws) w();
  }
}
