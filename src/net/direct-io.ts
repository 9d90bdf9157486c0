/**
 * Reading and writing a plain TCP socket below Node's stream layer, for every connection owner
 * that can take bytes at once (a cosocket's TcpConn, the HTTP server's connection).
 *
 * Reads: `net.connect`'s `onread` option makes Node's read callback (`onStreamRead`) hand the
 * bytes read into a buffer of the caller's to a function instead of the stream. That skips,
 * per read, the 64 KiB allocation Node makes for libuv and shrinks afterwards, the `Buffer`
 * around it, `Readable.push`, the `data` event and a `process.nextTick`. Node keeps the option
 * in three symbol-keyed properties of every `net.Socket` and reads them on each read; for an
 * accepted socket they are set here the way the option sets them, and the handle is told to
 * read into the buffer (`useUserBuffer`). Found by feature detection: without them the socket
 * reads as before. EOF and errors still arrive through the stream (`end`, `error`), and
 * `socket.pause()`/`resume()` stop and restart the handle's reading as usual.
 *
 * Writes: a buffer or a byte string goes straight to the handle's `writeBuffer` /
 * `writeLatin1String` (what `Writable.write` ends up calling), which hands it to the kernel at
 * once when the kernel takes it all (libuv's try-write) and otherwise queues the rest in libuv
 * and reports completion to the request's `oncomplete`. This skips, per write,
 * `Writable.write`, `writeOrBuffer`, a write request with its callbacks and a
 * `process.nextTick`. The request's class is Node's `WriteWrap`, learnt from the first write
 * Node itself makes on such a handle; until then, and without it, writes go through Node.
 * Writes made through Node while a direct one is in flight queue behind it in libuv, so the
 * order of bytes is kept.
 */
import type { Socket } from 'node:net';
import { getSystemErrorName } from 'node:util';

/** Who takes a socket's direct reads. */
export interface DirectReader {
  /**
   * `n` bytes were read into the shared `buf`: they must be consumed or copied before this
   * returns. Returns false to stop reading.
   */
  onDirectRead(buf: Buffer, n: number): boolean;
}

/** Who is told when a direct write that libuv had to queue has finished. */
export interface DirectWriteOwner {
  onDirectWriteDone(status: number): void;
}

/** What a plain TCP socket's handle (libuv stream) offers to the direct paths. */
export interface StreamHandle {
  useUserBuffer?: (b: Uint8Array) => void;
  writeBuffer?: (req: WriteReq, b: Uint8Array) => number;
  writeLatin1String?: (req: WriteReq, s: string) => number;
  writeQueueSize?: number;
}

const kReader = Symbol('remora.directReader');
type DirectSocket = Socket & { [kReader]?: DirectReader; _handle?: StreamHandle | null; encrypted?: boolean; _unrefTimer?: () => void };

/**
 * The handle of a plain TCP socket that can be written directly; null for TLS (its bytes are
 * the TLS layer's) and anything else.
 */
export function plainHandle(sock: Socket): StreamHandle | null {
  const s = sock as DirectSocket;
  const h = s._handle;
  if (!h || s.encrypted === true || typeof h.writeBuffer !== 'function' || typeof h.writeLatin1String !== 'function') return null;
  return typeof h.writeQueueSize === 'number' ? h : null;
}

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
 * The one buffer every direct read lands in (libuv's usual read size): the bytes are taken or
 * copied out before the read callback returns, so all connections share it.
 */
let readBuffer: Buffer | null = null;
const READ_BUFFER_SIZE = 64 * 1024;
/** The last view of the read buffer handed out (see readView). */
let lastView: Buffer | null = null;
/** The buffer `lastView` is a view of (compared by identity: reading `.buffer` is not cheap). */
let lastViewOf: Buffer | null = null;

/**
 * A view of the first `n` bytes of the shared read buffer. The view is reused while reads
 * have the same size (a ping-pong peer's): a reader must not keep it past its callback.
 */
export function readView(buf: Buffer, n: number): Buffer {
  let b = lastView;
  if (b === null || b.length !== n || lastViewOf !== buf) {
    b = lastView = buf.subarray(0, n);
    lastViewOf = buf;
  }
  return b;
}

/** True when `b` is (a view of) the shared read buffer, whose bytes a reader must copy to keep. */
export function isShared(b: Uint8Array): boolean {
  return readBuffer !== null && b.buffer === readBuffer.buffer;
}

function directReadListener(this: DirectSocket, n: number, buf: Buffer): boolean {
  const r = this[kReader];
  // No reader (handed to an owner that reads the stream): back to the stream, as Node would.
  if (r === undefined) return this.push(Buffer.from(buf.subarray(0, n)));
  return r.onDirectRead(buf, n);
}

/**
 * Gives the socket's reads to `reader` when it is a plain TCP socket and nothing is buffered in
 * its stream; returns false when it keeps reading through the stream. A socket handed over
 * from another reader (its reads already land in the shared buffer) just changes reader.
 */
export function readDirect(sock: Socket, reader: DirectReader): boolean {
  const s = sock as DirectSocket;
  const h = s._handle;
  if (!h || typeof h.useUserBuffer !== 'function' || s.encrypted === true) return false;
  if (sock.readableLength !== 0 || sock.destroyed || sock.readableEnded) return false;
  const keys = findUserBufferKeys(sock);
  if (keys === null) return false;
  const rec = sock as unknown as Record<symbol, unknown>;
  if (readBuffer !== null && rec[keys.buffer] === readBuffer && rec[keys.cb] === directReadListener) {
    s[kReader] = reader;
    return true;
  }
  // Already reading into a buffer of its own (`onread`), or not the shape we know.
  if (rec[keys.buffer] !== null || rec[keys.gen] !== null) return false;
  readBuffer ??= Buffer.allocUnsafeSlow(READ_BUFFER_SIZE);
  rec[keys.buffer] = readBuffer;
  rec[keys.cb] = directReadListener;
  s[kReader] = reader;
  h.useUserBuffer(readBuffer);
  return true;
}

/** `reader` no longer takes the socket's reads: they go to its stream (`data` events). */
export function releaseReads(sock: Socket, reader: DirectReader): void {
  const s = sock as DirectSocket;
  if (s[kReader] === reader) s[kReader] = undefined;
}

/** A direct write request: Node's WriteWrap with our fields. */
interface WriteReq {
  oncomplete: (this: WriteReq, status: number) => void;
  owner: DirectWriteOwner | null;
  keep: Buffer | null;
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
  const o = this.owner;
  this.owner = null;
  this.keep = null;
  if (o !== null) o.onDirectWriteDone(status);
}

const WRITE_METHODS = ['writeBuffer', 'writeLatin1String', 'writev', 'writeUtf8String'] as const;

/**
 * Learns Node's write request class from the next write Node makes on this handle (own
 * properties shadow the handle's write methods for that one call).
 */
function learnWriteReq(h: StreamHandle): void {
  const rec = h as Record<string, unknown>;
  if (Object.prototype.hasOwnProperty.call(rec, 'writeBuffer')) return;
  const proto = Object.getPrototypeOf(h) as Record<string, (this: StreamHandle, ...a: unknown[]) => number>;
  for (const m of WRITE_METHODS) {
    const orig = proto[m];
    if (typeof orig !== 'function') continue;
    rec[m] = function (this: StreamHandle, req: unknown, ...rest: unknown[]): number {
      for (const k of WRITE_METHODS) delete (this as Record<string, unknown>)[k];
      const C = (req as { constructor?: unknown } | null)?.constructor;
      if (WriteReqClass === undefined) WriteReqClass = typeof C === 'function' && C.name === 'WriteWrap' ? (C as new () => WriteReq) : null;
      return orig.call(this, req, ...rest);
    };
  }
}

/** The error Node would destroy a socket with when a write fails with `code`. */
export function writeError(code: number): Error {
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

/** What writeToHandle did. */
export const enum Direct {
  /** Not written: write through Node. */
  Unavailable,
  /** The kernel took every byte. */
  Done,
  /** libuv holds the rest; `owner.onDirectWriteDone(status)` follows. */
  Queued,
  /** The write failed at once; the socket was destroyed with Node's error. */
  Failed,
}

/**
 * Writes `data` (a string: one byte per char) straight to `h`, the handle of `sock` (see
 * plainHandle). `keep` is what must stay alive while libuv holds the bytes (the buffer `data`
 * is a view of; nothing for a string, which is copied): the request holds it until done.
 */
export function writeToHandle(sock: Socket, h: StreamHandle, data: Buffer | string, owner: DirectWriteOwner, keep: Buffer | null): Direct {
  const C = WriteReqClass;
  if (C === undefined) {
    learnWriteReq(h);
    return Direct.Unavailable;
  }
  if (C === null || sock.connecting || sock.destroyed || sock.writableEnded) return Direct.Unavailable;
  let req = spareReq;
  if (req !== null) spareReq = null;
  else {
    req = new C();
    req.oncomplete = directWriteDone;
    // Set before the write: a write that went async may complete (oncomplete) even when
    // libuv wrote the rest at once and nothing is left queued below.
    req.owner = null;
    req.keep = null;
  }
  const err = typeof data === 'string' ? h.writeLatin1String!(req, data) : h.writeBuffer!(req, data);
  if (err !== 0) {
    // As Node does when a write fails at once (EPIPE, reset): the socket is destroyed.
    sock.destroy(writeError(err));
    return Direct.Failed;
  }
  // Not bound to a native write (it completed at once): the next write may use it.
  const isAsync = lastWriteAsync === undefined ? findLastWriteAsync() : lastWriteAsync;
  if (isAsync !== null && !isAsync()) spareReq = req;
  if (h.writeQueueSize === 0) return Direct.Done;
  req.owner = owner;
  req.keep = keep;
  // As a write through Node does: a write is activity for the socket's idle timeout.
  (sock as DirectSocket)._unrefTimer?.();
  return Direct.Queued;
}
