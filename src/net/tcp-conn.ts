/**
 * A TCP (or TLS) connection without Lua: read buffering with back-pressure, and the write
 * side's queue accounting.
 *
 * Read side: bytes that arrive while nobody reads are kept in a chunk list; once more than
 * `highWater` bytes are buffered the socket stops reading from the kernel (pause), and reading
 * resumes when the consumer has taken them (no unbounded buffering). A consumer registers
 * `onReadable`, called when data, EOF or an error arrives.
 *
 * Write side: Node hands bytes to the kernel synchronously when it can; what it could not is
 * `writableLength` (the "queued" bytes `sock:write` reports). Drain waiters are told when that
 * reaches zero.
 */
import type { Socket } from 'node:net';
import { getSystemErrorName } from 'node:util';
import { ChunkQueue } from './chunk-queue.js';
import { copyBytes } from './copy-bytes.js';

export type ReadEnd = 'eof' | 'error' | 'closenotify';

/** A batch larger than this is flushed at once, so flow control sees real queue sizes. */
const BATCH_LIMIT = 64 * 1024;
// A fixed array and a count, never truncated: `length = 0` would drop the array's storage and
// the next push would allocate it again (once per message on a ping-pong connection).
const pendingBatches: Array<TcpConn | null> = [];
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

/** The TcpConn that owns a socket, for the shared listeners below. */
const kConn = Symbol('remora.tcpConn');
type OwnedSocket = Socket & { [kConn]?: TcpConn };
// One set of listener functions for every connection (EventEmitter calls them with the socket
// as `this`): four closures per connection cost ~300 bytes on each idle connection.
function dataListener(this: OwnedSocket, b: Buffer): void {
  this[kConn]?.onData(b);
}
function endListener(this: OwnedSocket): void {
  this[kConn]?.onEnd('eof', null);
}
function errorListener(this: OwnedSocket, e: Error): void {
  this[kConn]?.onError(e);
}
function closeListener(this: OwnedSocket): void {
  this[kConn]?.onClose();
}

/**
 * Reading below Node's stream layer: a plain TCP socket can read into a buffer of ours
 * (`net.connect`'s `onread` option), which skips, per read, the 64 KiB allocation Node
 * makes for libuv and shrinks afterwards, the `Buffer` around it, `Readable.push`, the
 * `data` event and a `process.nextTick`. Node keeps that option in three symbol-keyed
 * properties of every `net.Socket` and reads them on each read (`onStreamRead`); for an
 * accepted socket they are set here the way the option sets them, and the handle is told to
 * read into the buffer (`useUserBuffer`). Found by feature detection: without them the socket
 * reads as before. EOF and errors still arrive through the stream (`end`, `error`).
 */
interface UserBufferKeys {
  buffer: symbol;
  cb: symbol;
  gen: symbol;
}
let userBufferKeys: UserBufferKeys | null | undefined;
function findUserBufferKeys(sock: Socket): UserBufferKeys | null {
  if (userBufferKeys !== undefined) return userBufferKeys;
  const syms = Object.getOwnPropertySymbols(sock);
  const find = (d: string): symbol | undefined => syms.find((x) => x.description === d);
  const buffer = find('kBuffer');
  const cb = find('kBufferCb');
  const gen = find('kBufferGen');
  userBufferKeys = buffer && cb && gen ? { buffer, cb, gen } : null;
  return userBufferKeys;
}
/**
 * The one buffer every direct read lands in (libuv's usual read size): the bytes are taken
 * (into Lua) or copied out before the read callback returns, so all connections share it.
 */
let readBuffer: Buffer | null = null;
const READ_BUFFER_SIZE = 64 * 1024;
/** The last view of the read buffer a direct read queued (see onDirectRead). */
let lastView: Buffer | null = null;

/** What a plain TCP socket's handle (libuv stream) offers to the direct paths. */
interface StreamHandle {
  useUserBuffer?: (b: Uint8Array) => void;
  writeBuffer?: (req: WriteReq, b: Uint8Array) => number;
  writeQueueSize?: number;
}

/**
 * Writing below Node's stream layer: when nothing is queued, a batch goes straight to the
 * handle's `writeBuffer` (what `Writable.write` ends up calling), which hands it to the kernel
 * at once when the kernel takes it all (libuv's try-write) and otherwise queues the rest in
 * libuv and reports completion to the request's `oncomplete`. This skips, per write,
 * `Writable.write`, `writeOrBuffer`, a write request object with its callbacks and a
 * `process.nextTick`. The request's class is Node's `WriteWrap`, learnt from the first write
 * Node itself makes on such a handle; until then, and without it, writes go through Node.
 * Writes made through Node while a direct one is in flight queue behind it in libuv, so the
 * order of bytes is kept; `queued` counts both.
 */
interface WriteReq {
  oncomplete: (this: WriteReq, status: number) => void;
  conn: TcpConn | null;
  buf: Buffer | null;
}
/** Node's WriteWrap: undefined until learnt, null when the first write did not show it. */
let WriteReqClass: (new () => WriteReq) | null | undefined;

/**
 * A write request that the last direct write left untouched, for the next one. Node binds a
 * request to its native write only when the kernel did not take every byte at once (the
 * write went async); a write that completed at once leaves it as it was, so one object serves
 * every such write (a `WriteWrap` costs ~0.15 µs to create, on every message). Whether the
 * last write went async is in Node's stream state array (`kLastWriteWasAsync`, which Node's
 * own write path reads after each write); without it every write gets a new request.
 */
let spareReq: WriteReq | null = null;
let lastWriteAsync: (() => boolean) | null | undefined;
function findLastWriteAsync(): (() => boolean) | null {
  if (lastWriteAsync !== undefined) return lastWriteAsync;
  lastWriteAsync = null;
  // process.binding warns only under --pending-deprecation: then go without.
  const opts = `${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`;
  if (opts.includes('--pending-deprecation') || process.env.NODE_PENDING_DEPRECATION === '1') return null;
  try {
    const b = (process as unknown as { binding(name: string): Record<string, unknown> }).binding('stream_wrap');
    const state = b.streamBaseState;
    const k = b.kLastWriteWasAsync;
    if (state instanceof Int32Array && typeof k === 'number' && k >= 0 && k < state.length) lastWriteAsync = () => state[k] !== 0;
  } catch {
    // not this Node
  }
  return lastWriteAsync;
}

function directWriteDone(this: WriteReq, status: number): void {
  const c = this.conn;
  const buf = this.buf;
  this.conn = null;
  this.buf = null;
  if (c !== null) c.onDirectWriteDone(status, buf!);
}

/** The error Node would destroy a socket with when a write fails with `code`. */
function writeError(code: number): Error {
  let name: string;
  try {
    name = getSystemErrorName(code);
  } catch {
    name = `Unknown system error ${code}`;
  }
  const e = new Error(`write ${name}`) as NodeJS.ErrnoException;
  e.errno = code;
  e.code = name;
  e.syscall = 'write';
  return e;
}
function directReadListener(this: OwnedSocket, n: number, buf: Buffer): boolean {
  const c = this[kConn];
  if (c === undefined) {
    // Handed to another owner (sock2req): back to the stream, as Node would have done.
    return this.push(Buffer.from(buf.subarray(0, n)));
  }
  return c.onDirectRead(buf, n);
}

export class TcpConn {
  private chunks = new ChunkQueue();
  private headOff = 0;
  /** Bytes buffered and not yet read. */
  buffered = 0;
  /** Set when the peer finished (FIN/RST/error); reported after buffered data. */
  ended: ReadEnd | null = null;
  endError: Error | null = null;
  /** True once close() was called or the socket was destroyed. */
  closed = false;
  private paused = false;
  /** Called when data, EOF or an error arrives. */
  onReadable: ((arg: unknown) => void) | null = null;
  /** Passed to `onReadable` (lets one shared function serve every connection). */
  readableArg: unknown = null;
  /** Created on first use: most connections never wait for a drain. */
  private drainWaiters: Array<(ok: boolean) => void> | null = null;
  /** Called once when a write fails (EPIPE, reset). */
  writeFailed = false;

  constructor(
    readonly sock: Socket,
    readonly highWater = 64 * 1024,
  ) {
    (sock as OwnedSocket)[kConn] = this;
    sock.on('data', dataListener);
    sock.on('end', endListener);
    sock.on('error', errorListener);
    sock.on('close', closeListener);
  }

  /** A view of the shared read buffer while its bytes are queued inside a direct read. */
  private borrowed: Buffer | null = null;

  /**
   * Reads below the stream layer (see `findUserBufferKeys`) when the socket is a plain TCP
   * socket and nothing is buffered in its stream; returns false when it stays as it is.
   */
  readDirect(): boolean {
    const sock = this.sock as Socket & { _handle?: StreamHandle | null; encrypted?: boolean };
    const h = sock._handle;
    if (!h || typeof h.useUserBuffer !== 'function' || sock.encrypted === true) return false;
    if (typeof h.writeBuffer === 'function' && typeof h.writeQueueSize === 'number') this.handle = h;
    if (sock.readableLength !== 0 || sock.destroyed || sock.readableEnded) return false;
    const keys = findUserBufferKeys(sock);
    if (keys === null) return false;
    const rec = sock as unknown as Record<symbol, unknown>;
    // Already reading into a buffer of its own (`onread`), or not the shape we know.
    if (rec[keys.buffer] !== null || rec[keys.gen] !== null) return false;
    readBuffer ??= Buffer.allocUnsafeSlow(READ_BUFFER_SIZE);
    rec[keys.buffer] = readBuffer;
    rec[keys.cb] = directReadListener;
    h.useUserBuffer(readBuffer);
    return true;
  }

  /**
   * @internal A direct read of `n` bytes into the shared `buf`: queued as a view while the
   * consumer runs, copied if anything of it is left afterwards. Returns false to stop reading.
   */
  onDirectRead(buf: Buffer, n: number): boolean {
    // The view is reused while reads have the same size (a ping-pong peer's): nothing keeps it
    // past this call, and `ownFirst`/the copy below replace it wherever it could stay.
    let b = lastView;
    if (b === null || b.length !== n || b.buffer !== buf.buffer) b = lastView = buf.subarray(0, n);
    this.borrowed = b;
    this.onData(b);
    if (this.borrowed !== null) {
      this.borrowed = null;
      if (this.buffered > 0 && this.chunks.isLast(b)) {
        if (this.chunks.length === 1 && this.headOff > 0) {
          this.chunks.setLast(Buffer.from(b.subarray(this.headOff)));
          this.headOff = 0;
        } else this.chunks.setLast(Buffer.from(b));
      }
    }
    return !this.paused;
  }

  /** The first chunk, copied out of the shared read buffer if it is there (before handing out a view). */
  private ownFirst(): void {
    const b = this.borrowed;
    if (b !== null && this.chunks.first() === b) {
      this.borrowed = null;
      this.chunks.setFirst(Buffer.from(b));
    }
  }

  /**
   * Gives the socket back to another owner (ba.socket.sock2req): removes our
   * listeners and returns every byte buffered but not yet read. This object is closed for
   * reading and writing afterwards, without touching the socket.
   */
  detach(): Buffer {
    this.flush();
    const rest = this.takeAll();
    const s = this.sock;
    s.off('data', dataListener);
    s.off('end', endListener);
    s.off('error', errorListener);
    s.off('close', closeListener);
    if ((s as OwnedSocket)[kConn] === this) (s as OwnedSocket)[kConn] = undefined;
    this.closed = true;
    this.onReadable = null;
    this.flushDrainWaiters(false);
    return rest;
  }

  /** @internal (the shared socket listeners) */
  onData(b: Buffer): void {
    this.chunks.push(b);
    this.buffered += b.length;
    this.onReadable?.(this.readableArg);
    // Checked after the consumer ran: a waiting reader usually takes the bytes at once, and a
    // full read then costs no stop and restart of reading.
    if (this.buffered >= this.highWater && !this.paused && !this.closed) {
      this.paused = true;
      this.sock.pause();
    }
  }

  /** @internal */
  onEnd(kind: ReadEnd, err: Error | null): void {
    if (this.ended) return;
    this.ended = kind;
    this.endError = err;
    this.onReadable?.(this.readableArg);
  }

  /** @internal */
  onError(e: Error): void {
    this.writeFailed = true;
    this.onEnd('error', e);
    this.flushDrainWaiters(false);
  }

  /** @internal */
  onClose(): void {
    this.closed = true;
    this.onEnd('eof', null);
    this.flushDrainWaiters(false);
  }

  /** Takes up to `max` buffered bytes (a view, no copy when one chunk suffices), or null. */
  read(max: number): Buffer | null {
    if (this.buffered === 0) return null;
    if (this.borrowed !== null) this.ownFirst();
    let out: Buffer;
    const first = this.chunks.first();
    const avail = first.length - this.headOff;
    if (avail > max) {
      out = first.subarray(this.headOff, this.headOff + max);
      this.headOff += max;
    } else if (avail === max || this.chunks.length === 1) {
      out = this.headOff === 0 ? first : first.subarray(this.headOff);
      this.chunks.shift();
      this.headOff = 0;
    } else {
      // Coalesce small chunks up to max.
      const parts: Buffer[] = [];
      let n = 0;
      while (n < max && this.chunks.length) {
        const c = this.chunks.first();
        const take = Math.min(c.length - this.headOff, max - n);
        parts.push(c.subarray(this.headOff, this.headOff + take));
        n += take;
        if (this.headOff + take === c.length) {
          this.chunks.shift();
          this.headOff = 0;
        } else this.headOff += take;
      }
      out = Buffer.concat(parts, n);
    }
    this.taken(out.length);
    return out;
  }

  /**
   * Like `read`, but hands the bytes to `sink` as a range of a buffered chunk instead of
   * creating a view object (the hot path copies them straight into WASM memory). Returns the
   * number of bytes taken, 0 when nothing is buffered.
   */
  readInto(max: number, sink: (src: Buffer, start: number, end: number) => void): number {
    if (this.buffered === 0) return 0;
    const first = this.chunks.first();
    const start = this.headOff;
    const avail = first.length - start;
    let n: number;
    if (avail > max) {
      n = max;
      this.headOff += max;
      this.taken(n);
      sink(first, start, start + n);
    } else if (avail === max || this.chunks.length === 1) {
      n = avail;
      this.chunks.shift();
      this.headOff = 0;
      this.taken(n);
      sink(first, start, start + n);
    } else {
      const out = this.read(max)!;
      n = out.length;
      sink(out, 0, n);
    }
    return n;
  }

  private taken(n: number): void {
    this.buffered -= n;
    if (this.paused && this.buffered < this.highWater / 2) {
      this.paused = false;
      if (!this.closed) this.sock.resume();
    }
  }

  /** Takes every buffered byte (for handing a connection to another owner). */
  takeAll(): Buffer {
    if (this.buffered === 0) return Buffer.alloc(0);
    const parts = this.chunks.drain();
    parts[0] = parts[0]!.subarray(this.headOff);
    this.headOff = 0;
    const out = Buffer.concat(parts, this.buffered);
    this.buffered = 0;
    if (this.paused) {
      this.paused = false;
      if (!this.closed) this.sock.resume();
    }
    return out;
  }

  /** Puts bytes back in front of the buffer. */
  unshift(b: Buffer): void {
    if (b.length === 0) return;
    if (this.borrowed !== null && this.buffered > 0) this.ownFirst();
    if (this.headOff) {
      this.chunks.setFirst(this.chunks.first().subarray(this.headOff));
      this.headOff = 0;
    }
    this.chunks.unshift(b);
    this.buffered += b.length;
  }

  /** Bytes held back until the end of the current Lua run (counted as sent). */
  private batch: Buffer | null = null;
  private batchBytes = 0;
  /** Size of the last flushed batch: the next batch buffer is allocated that large. */
  private lastBatch = 64;

  /** Bytes accepted by write but not yet handed to the kernel. */
  get queued(): number {
    return this.sock.writableLength + this.directBytes;
  }

  /** The handle, when batches may be written straight to it (plain TCP, see `WriteReq`). */
  private handle: StreamHandle | null = null;
  /** Size of the direct write in flight (0: none). */
  private directBytes = 0;

  /**
   * Writes `data` (the first `n` bytes of the batch buffer `buf`) straight to the handle;
   * false when it cannot (the caller writes through Node).
   */
  private writeDirect(buf: Buffer, data: Buffer, n: number): boolean {
    const C = WriteReqClass;
    if (C === undefined) {
      this.learnWriteReq();
      return false;
    }
    if (C === null) return false;
    const s = this.sock;
    if (s.connecting || s.destroyed || s.writableEnded) return false;
    const h = this.handle!;
    let req = spareReq;
    if (req !== null) spareReq = null;
    else {
      req = new C();
      req.oncomplete = directWriteDone;
      // Set before the write: a write that went async may complete (oncomplete) even when
      // libuv wrote the rest at once and nothing is left queued below.
      req.conn = null;
      req.buf = null;
    }
    const err = h.writeBuffer!(req, data);
    if (err !== 0) {
      // As Node does when a write fails at once (EPIPE, reset): the socket is destroyed.
      s.destroy(writeError(err));
      return true;
    }
    // Not bound to a native write (it completed at once): the next write may use it.
    const isAsync = lastWriteAsync === undefined ? findLastWriteAsync() : lastWriteAsync;
    if (isAsync !== null && !isAsync()) spareReq = req;
    if (h.writeQueueSize === 0) {
      // The kernel took every byte: nothing refers to the buffer any more.
      giveBatch(buf);
    } else {
      req.conn = this;
      req.buf = buf;
      this.directBytes = n;
    }
    return true;
  }

  /** @internal A direct write that libuv had to queue has finished. */
  onDirectWriteDone(status: number, buf: Buffer): void {
    this.directBytes = 0;
    if (status < 0) {
      if (!this.sock.destroyed) this.sock.destroy(writeError(status));
      return;
    }
    if (buf.length >= REUSE_AFTER_WRITE) giveBatch(buf);
    if (this.drainWaiters !== null && this.drainWaiters.length && this.queued === 0) this.flushDrainWaiters(true);
  }

  /**
   * Learns Node's write request class from the next write Node makes on this handle (an
   * own property shadows the handle's `writeBuffer` for that one call).
   */
  private learnWriteReq(): void {
    const h = this.handle as StreamHandle & Record<string, unknown>;
    if (Object.prototype.hasOwnProperty.call(h, 'writeBuffer')) return;
    const proto = Object.getPrototypeOf(h) as StreamHandle;
    const wb = proto.writeBuffer!;
    h.writeBuffer = function (this: StreamHandle, req: WriteReq, b: Uint8Array): number {
      delete (this as Record<string, unknown>).writeBuffer;
      const C = (req as { constructor?: unknown }).constructor;
      WriteReqClass = typeof C === 'function' && C.name === 'WriteWrap' ? (C as new () => WriteReq) : null;
      return wb.call(this, req, b);
    };
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
    if (this.handle !== null && this.directBytes === 0 && this.sock.writableLength === 0) {
      if (this.writeDirect(buf, n === buf.length ? buf : buf.subarray(0, n), n)) return;
    }
    if (this.sock.writableLength === 0) {
      this.sock.write(n === buf.length ? buf : buf.subarray(0, n));
      // Written through to the kernel at once: Node holds no reference, reuse the buffer.
      if (this.sock.writableLength === 0) giveBatch(buf);
      else if (n >= REUSE_AFTER_WRITE) this.reclaimLater(buf);
    } else {
      this.sock.write(n === buf.length ? buf : buf.subarray(0, n));
      if (n >= REUSE_AFTER_WRITE) this.reclaimLater(buf);
    }
  }

  /** Can this connection still send? */
  get writable(): boolean {
    return !this.closed && !this.writeFailed && !this.sock.destroyed && !this.sock.writableEnded;
  }

  /** A zero-length write is queued behind the data when someone waits for the queue to empty. */
  private probing = false;
  /** A large batch buffer Node still holds is given back once Node has written it. */
  private reclaimLater(buf: Buffer): void {
    this.sock.write(EMPTY, () => {
      giveBatch(buf);
    });
  }

  /** The probe's write callback, made on first use (most connections never need it). */
  private onProbe: ((err?: Error | null) => void) | null = null;
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

  /** Calls `cb(true)` when the queue is empty, `cb(false)` if the connection fails first. */
  whenDrained(cb: (ok: boolean) => void): void {
    if (this.queued === 0) {
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

  private flushDrainWaiters(ok: boolean): void {
    const list = this.drainWaiters;
    if (list === null || !list.length) return;
    this.drainWaiters = null;
    for (const cb of list) cb(ok);
  }

  /**
   * Closes the connection. Queued (unsent) bytes are discarded as in BAS; when nothing is
   * queued the close is a graceful FIN so bytes already handed to the kernel reach the peer.
   */
  close(): void {
    if (this.closed) return;
    const s = this.sock;
    // Bytes Lua was told are queued (unsent) are discarded, as in BAS; a pending batch was
    // reported as sent, so it is delivered: flush it and end gracefully.
    const hadQueue = this.queued > 0;
    this.flush();
    this.closed = true;
    this.onReadable = null;
    if (hadQueue && !s.destroyed && (s as { encrypted?: boolean }).encrypted) {
      // node:tls completes every write one event-loop turn later, even when the kernel took
      // the bytes at once: give it that turn before deciding they were not sent (issue 4).
      setImmediate(() => (this.queued > 0 ? s.destroy() : s.destroySoon()));
    } else if (hadQueue || s.destroyed) s.destroy();
    else {
      // Ends our side (FIN) once everything written is out, then destroys the handle.
      s.destroySoon();
    }
    this.flushDrainWaiters(false);
  }

  /** Hard close (RST semantics not guaranteed; destroys the handle). */
  destroy(): void {
    this.closed = true;
    this.onReadable = null;
    this.sock.destroy();
    this.flushDrainWaiters(false);
  }
}
