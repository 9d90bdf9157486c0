/**
 * The write side of a connection (a cosocket's TcpConn, the HTTP server's connection): write
 * batches, direct writes to a plain TCP socket's handle (direct-io.ts), the queue accounting
 * (`queued`: bytes accepted but not yet handed to the kernel) and drain waiters.
 *
 * Node hands bytes to the kernel synchronously when it can; what it could not is
 * `writableLength`, plus a direct write libuv had to queue. Drain waiters are told when that
 * reaches zero.
 */
import type { Socket } from 'node:net';
import { copyBytes } from './copy-bytes.js';
import { Direct, plainHandle, writeError, writeToHandle, type DirectWriteOwner, type StreamHandle } from './direct-io.js';

/** A batch larger than this is flushed at once, so flow control sees real queue sizes. */
const BATCH_LIMIT = 64 * 1024;
// A fixed array and a count, never truncated: `length = 0` would drop the array's storage and
// the next push would allocate it again (once per message on a ping-pong connection).
const pendingBatches: Array<SocketWriter | null> = [];
let pendingCount = 0;
const EMPTY = Buffer.alloc(0);
/** Batches at least this large are worth a callback to reuse their buffer. */
const REUSE_AFTER_WRITE = 16 * 1024;

/** Flushes every write batch (called when a Lua run has finished). */
export function flushWriteBatches(): void {
  // flush() may add nothing; entries flushed early (BATCH_LIMIT) are no-ops here.
  for (let i = 0; i < pendingCount; i++) {
    const c = pendingBatches[i]!;
    pendingBatches[i] = null;
    c.flush();
  }
  pendingCount = 0;
}

/**
 * Batch buffers Node has finished with, shared by every connection (a buffer kept per
 * connection would cost each idle connection its size plus ~100 bytes): a batch takes one
 * that fits, and a buffer Node wrote through at once comes back here.
 */
const freeBatches: Array<Buffer | null> = new Array<Buffer | null>(16).fill(null);
let freeCount = 0;

function takeBatch(want: number): Buffer {
  for (let i = freeCount - 1; i >= 0; i--) {
    const b = freeBatches[i]!;
    // Not much larger than needed: an exactly full buffer goes to Node without a view.
    if (b.length >= want && b.length <= want * 2) {
      freeBatches[i] = freeBatches[--freeCount]!;
      freeBatches[freeCount] = null;
      return b;
    }
  }
  return Buffer.allocUnsafe(want);
}

function giveBatch(b: Buffer): void {
  if (freeCount < freeBatches.length) freeBatches[freeCount++] = b;
  else freeBatches[(b.length + freeCount) % freeBatches.length] = b; // replace one
}

export class SocketWriter implements DirectWriteOwner {
  /** True once the connection was closed (by its owner or the peer). */
  closed = false;
  // Fields most connections never change have their defaults on the prototype (the static
  // block below): an idle connection does not carry them (8 bytes each).
  /** Set once a write failed (EPIPE, reset). */
  declare writeFailed: boolean;
  /** Created on first use: most connections never wait for a drain. */
  private declare drainWaiters: Array<(ok: boolean) => void> | null;

  constructor(readonly sock: Socket) {}

  /** Bytes held back until the end of the current Lua run (counted as sent). */
  private batch: Buffer | null = null;
  private batchBytes = 0;
  /** Size of the last flushed batch: the next batch buffer is allocated that large. */
  private lastBatch = 64;

  /** Bytes accepted by write but not yet handed to the kernel. */
  get queued(): number {
    return this.sock.writableLength + this.directBytes;
  }

  /** The handle, when writes may go straight to it (plain TCP, see direct-io.ts). */
  private handle: StreamHandle | null = null;
  /** Size of the direct write in flight (0: none). */
  private directBytes = 0;

  /** Writes straight to the socket's handle from now on, when it is a plain TCP socket. */
  writeDirect(): void {
    this.handle = plainHandle(this.sock);
  }

  /**
   * Writes `data` (a string: one byte per char) straight to the handle when nothing is
   * queued; false when it cannot (the caller writes through Node). `keep` is the buffer that
   * holds the bytes, given back for reuse when it is a batch buffer.
   */
  private direct(data: Buffer | string, keep: Buffer | null, isBatch: boolean): boolean {
    if (this.handle === null || this.directBytes !== 0 || this.sock.writableLength !== 0) return false;
    switch (writeToHandle(this.sock, this.handle, data, this, keep)) {
      case Direct.Unavailable:
        return false;
      case Direct.Done:
        // The kernel took every byte: nothing refers to the buffer any more.
        if (isBatch) giveBatch(keep!);
        return true;
      case Direct.Queued:
        this.directBytes = data.length;
        this.queuedBatch = isBatch ? keep : null;
        return true;
      case Direct.Failed:
        return true;
    }
  }

  /** The batch buffer of the direct write in flight (a buffer given to `send` is the caller's). */
  private queuedBatch: Buffer | null = null;

  /** @internal A direct write that libuv had to queue has finished. */
  onDirectWriteDone(status: number): void {
    this.directBytes = 0;
    const b = this.queuedBatch;
    this.queuedBatch = null;
    if (status < 0) {
      if (!this.sock.destroyed) this.sock.destroy(writeError(status));
      return;
    }
    if (b !== null && b.length >= REUSE_AFTER_WRITE) giveBatch(b);
    if (this.drainWaiters !== null && this.drainWaiters.length && this.queued === 0) this.flushDrainWaiters(true);
  }

  /**
   * Copies `b` into the current batch: writes made during one Lua run (say, the pieces of
   * one message) leave in one write when `flushWriteBatches` runs, so small pieces do not
   * each cost a syscall or wait on Nagle. `b` may be a view into WASM memory: this is the one
   * copy made of it.
   */
  writeBatched(b: Uint8Array, flushAt = BATCH_LIMIT): void {
    const buf = this.batchRoom(b.length);
    buf.set(b, this.batchBytes);
    this.batchBytes += b.length;
    if (this.batchBytes >= flushAt) this.flush();
  }

  /**
   * writeBatched for bytes `p..p+n` of `heap` (WASM memory), without a view object for small
   * writes (a typed-array view costs an allocation per message).
   */
  writeBatchedFrom(heap: Uint8Array, p: number, n: number, flushAt = BATCH_LIMIT): void {
    const buf = this.batchRoom(n);
    const at = this.batchBytes;
    copyBytes(buf, at, heap, p, n);
    this.batchBytes += n;
    if (this.batchBytes >= flushAt) this.flush();
  }

  /** The batch buffer, with room for `n` more bytes. */
  private batchRoom(n: number): Buffer {
    let buf = this.batch;
    if (buf === null) {
      const want = Math.max(n, this.lastBatch);
      buf = this.batch = takeBatch(want);
      pendingBatches[pendingCount++] = this;
    } else if (this.batchBytes + n > buf.length) {
      // A run writing more than the last one did (say, several pipelined messages): grow
      // straight towards the flush size, with pooled buffers (a fresh buffer per growth step
      // is memory V8 has to account and collect).
      const bigger = takeBatch(Math.max(this.batchBytes + n, Math.min(buf.length * 4, BATCH_LIMIT)));
      buf.copy(bigger, 0, 0, this.batchBytes);
      giveBatch(buf);
      buf = this.batch = bigger;
    }
    return buf;
  }

  /** Hands a pending batch to Node (and so to the kernel when it can take it). */
  flush(): void {
    const buf = this.batch;
    if (buf === null) return;
    const n = this.batchBytes;
    this.batch = null;
    this.batchBytes = 0;
    // The next batch gets exactly this run's size: a connection with steady message sizes
    // then fills its buffer exactly and hands it to Node without a subarray view.
    this.lastBatch = Math.min(Math.max(n, 16), BATCH_LIMIT);
    if (this.closed) return;
    this.writeBatch(buf, n);
  }

  /**
   * Sends the pieces of one output (strings: one char per byte), `total` bytes, as one write
   * now: copied into a pooled buffer, which comes back to the pool once written.
   */
  sendParts(parts: ReadonlyArray<Buffer | string>, total: number): void {
    if (this.batch) this.flush();
    const buf = takeBatch(total);
    let at = 0;
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (typeof p !== 'string') buf.set(p, at);
      else if (p.length <= 32) for (let j = 0; j < p.length; j++) buf[at + j] = p.charCodeAt(j);
      else buf.write(p, at, 'latin1');
      at += p.length;
    }
    this.writeBatch(buf, total);
  }

  /** Writes the first `n` bytes of the batch buffer `buf` (straight to the handle if it can). */
  private writeBatch(buf: Buffer, n: number): void {
    const data = n === buf.length ? buf : buf.subarray(0, n);
    if (this.direct(data, buf, true)) return;
    if (this.sock.writableLength === 0) {
      this.sock.write(data);
      // Written through to the kernel at once: Node holds no reference, reuse the buffer.
      if (this.sock.writableLength === 0) giveBatch(buf);
      else if (n >= REUSE_AFTER_WRITE) this.reclaimLater(buf);
    } else {
      this.sock.write(data);
      if (n >= REUSE_AFTER_WRITE) this.reclaimLater(buf);
    }
  }

  /** Can this connection still send? */
  get writable(): boolean {
    return !this.closed && !this.writeFailed && !this.sock.destroyed && !this.sock.writableEnded;
  }

  /** A zero-length write is queued behind the data when someone waits for the queue to empty. */
  private declare probing: boolean;
  /** A large batch buffer Node still holds is given back once Node has written it. */
  private reclaimLater(buf: Buffer): void {
    this.sock.write(EMPTY, () => {
      giveBatch(buf);
    });
  }

  /** The probe's write callback, made on first use (most connections never need it). */
  private declare onProbe: ((err?: Error | null) => void) | null;

  static {
    const p = SocketWriter.prototype as unknown as Record<string, unknown>;
    p.writeFailed = false;
    p.drainWaiters = null;
    p.probing = false;
    p.onProbe = null;
  }
  private probeDone(err?: Error | null): void {
    this.probing = false;
    if (err) {
      this.writeFailed = true;
      this.flushDrainWaiters(false);
    } else if (this.drainWaiters !== null && this.drainWaiters.length) {
      if (this.queued === 0) this.flushDrainWaiters(true);
      else this.probe(); // more was written after the probe
    }
  }

  private probe(): void {
    if (this.probing || this.closed || this.sock.destroyed) return;
    this.probing = true;
    // Its callback runs once everything written before it has gone to the kernel. Writes
    // themselves carry no callback: a per-write callback costs a tick per message.
    this.onProbe ??= (err) => this.probeDone(err);
    this.sock.write(EMPTY, this.onProbe);
  }

  /** Hands bytes to Node (which writes to the kernel at once when it can). */
  write(b: Uint8Array): void {
    if (this.batch) this.flush();
    this.sock.write(b);
  }

  /**
   * Hands `b` (a string: one byte per char) to the kernel now: straight to the handle when
   * nothing is queued, else through Node (behind what is queued).
   */
  send(b: Buffer | string): void {
    if (this.batch) this.flush();
    if (this.direct(b, typeof b === 'string' ? null : b, false)) return;
    if (typeof b === 'string') this.sock.write(b, 'latin1');
    else this.sock.write(b);
  }

  /** Calls `cb(true)` when the queue is empty, `cb(false)` if the connection fails first. */
  whenDrained(cb: (ok: boolean) => void): void {
    if (this.queued === 0 || this.closed || this.sock.destroyed) {
      cb(this.writable);
      return;
    }
    (this.drainWaiters ??= []).push(cb);
    this.probe();
  }

  removeDrainWaiter(cb: (ok: boolean) => void): void {
    const i = this.drainWaiters?.indexOf(cb) ?? -1;
    if (i >= 0) this.drainWaiters!.splice(i, 1);
  }

  /** The connection is gone (closed, failed, or handed to another owner): waiters get false. */
  gone(failed: boolean): void {
    if (failed) this.writeFailed = true;
    else this.closed = true;
    this.flushDrainWaiters(false);
  }

  protected flushDrainWaiters(ok: boolean): void {
    const list = this.drainWaiters;
    if (list === null || !list.length) return;
    this.drainWaiters = null;
    for (const cb of list) cb(ok);
  }
}
