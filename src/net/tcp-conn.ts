/**
 * A TCP (or TLS) connection without Lua: read buffering with back-pressure, and (SocketWriter)
 * the write side's batches and queue accounting.
 *
 * Read side: bytes that arrive while nobody reads are kept in a chunk list; once more than
 * `highWater` bytes are buffered the socket stops reading from the kernel (pause), and reading
 * resumes when the consumer has taken them (no unbounded buffering). A consumer registers
 * `onReadable`, called when data, EOF or an error arrives. A plain TCP socket reads below
 * Node's stream layer (direct-io.ts) into the shared read buffer.
 */
import type { Socket } from 'node:net';
import { ChunkQueue } from './chunk-queue.js';
import { readDirect, readView, releaseReads, type DirectReader } from './direct-io.js';
import { SocketWriter } from './socket-writer.js';

export type ReadEnd = 'eof' | 'error' | 'closenotify';

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
/**
 * Node's own 'end' listener of every net.Socket (`onReadableStreamEnd`), learnt from the first
 * socket; null when the socket's listeners are not the shape known here. Adding a second 'end'
 * listener makes Node keep an array of both on every socket (~64 bytes per idle connection):
 * instead one function that calls Node's and then ours takes its place.
 */
let nodeEnd: ((this: Socket) => void) | null | undefined;
function endWithNode(this: OwnedSocket): void {
  nodeEnd!.call(this);
  this[kConn]?.onEnd('eof', null);
}
type Events = Record<string, unknown>;
function eventsOf(sock: Socket): Events | undefined {
  return (sock as unknown as { _events?: Events })._events;
}
function listenEnd(sock: Socket): void {
  const ev = eventsOf(sock);
  const cur = ev?.end;
  if (nodeEnd === undefined) nodeEnd = typeof cur === 'function' && cur.name === 'onReadableStreamEnd' ? (cur as (this: Socket) => void) : null;
  if (nodeEnd !== null && cur === nodeEnd) ev!.end = endWithNode;
  else sock.on('end', endListener);
}
function unlistenEnd(sock: Socket): void {
  sock.off('end', endListener);
  const ev = eventsOf(sock);
  const cur = ev?.end;
  if (cur === endWithNode) ev!.end = nodeEnd;
  else if (Array.isArray(cur)) {
    // Someone added an 'end' listener after ours: put Node's back in our place.
    const i = cur.indexOf(endWithNode);
    if (i >= 0) cur[i] = nodeEnd;
  }
}
function errorListener(this: OwnedSocket, e: Error): void {
  this[kConn]?.onError(e);
}
function closeListener(this: OwnedSocket): void {
  this[kConn]?.onClose();
}

export class TcpConn extends SocketWriter implements DirectReader {
  /**
   * The oldest buffered chunk (usually the only one), and the chunks after it in a queue made
   * when first needed: an idle connection has no queue object.
   */
  private c0: Buffer | undefined = undefined;
  private declare more: ChunkQueue | null;
  private headOff = 0;
  /** Bytes buffered and not yet read. */
  buffered = 0;
  // Fields most connections leave at their default until they end have it on the prototype
  // (the static block below): an idle connection does not carry them (8 bytes each).
  /** Set when the peer finished (FIN/RST/error); reported after buffered data. */
  declare ended: ReadEnd | null;
  declare endError: Error | null;
  /** Reading from the kernel stopped: more than `highWater` bytes are buffered. */
  private declare paused: boolean;
  /** Reading stops above this many bytes buffered. */
  declare readonly highWater: number;
  /** Called when data, EOF or an error arrives. */
  onReadable: ((arg: unknown) => void) | null = null;
  /** Passed to `onReadable` (lets one shared function serve every connection). */
  readableArg: unknown = null;
  /**
   * A consumer that may take a direct read whole while nothing else is buffered (a WebSocket
   * frame for a waiting read): called with `readableArg` and the shared read buffer holding
   * `n` bytes; true when it took them all (they are not queued), false to queue them as usual.
   */
  declare takeDirect: ((arg: unknown, buf: Buffer, n: number) => boolean) | null;

  static {
    const p = TcpConn.prototype as unknown as Record<string, unknown>;
    p.ended = null;
    p.endError = null;
    p.paused = false;
    p.highWater = 64 * 1024;
    p.takeDirect = null;
    p.more = null;
  }

  constructor(sock: Socket, highWater?: number) {
    super(sock);
    if (highWater !== undefined) this.highWater = highWater;
    (sock as OwnedSocket)[kConn] = this;
    sock.on('data', dataListener);
    listenEnd(sock);
    sock.on('error', errorListener);
    sock.on('close', closeListener);
  }

  /** A view of the shared read buffer while its bytes are queued inside a direct read. */
  private borrowed: Buffer | null = null;

  /**
   * Reads and writes below the stream layer (direct-io.ts) when the socket is a plain TCP
   * socket (reads: and nothing is buffered in its stream); returns false when reads stay as
   * they are.
   */
  readDirect(): boolean {
    this.writeDirect();
    return readDirect(this.sock, this);
  }

  /**
   * @internal A direct read of `n` bytes into the shared `buf`: queued as a view while the
   * consumer runs, copied if anything of it is left afterwards. Returns false to stop reading.
   */
  onDirectRead(buf: Buffer, n: number): boolean {
    const take = this.takeDirect;
    if (take !== null && this.buffered === 0 && take(this.readableArg, buf, n)) return !this.paused;
    // Nothing keeps the view past this call: `ownFirst`/the copy below replace it wherever it
    // could stay.
    const b = readView(buf, n);
    this.borrowed = b;
    this.onData(b);
    if (this.borrowed !== null) {
      this.borrowed = null;
      if (this.buffered > 0 && this.isLastChunk(b)) {
        if (this.chunkCount() === 1 && this.headOff > 0) {
          this.setLastChunk(Buffer.from(b.subarray(this.headOff)));
          this.headOff = 0;
        } else this.setLastChunk(Buffer.from(b));
      }
    }
    return !this.paused;
  }

  /** The first chunk, copied out of the shared read buffer if it is there (before handing out a view). */
  private ownFirst(): void {
    const b = this.borrowed;
    if (b !== null && this.c0 === b) {
      this.borrowed = null;
      this.c0 = Buffer.from(b);
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
    unlistenEnd(s);
    s.off('error', errorListener);
    s.off('close', closeListener);
    if ((s as OwnedSocket)[kConn] === this) (s as OwnedSocket)[kConn] = undefined;
    releaseReads(s, this);
    this.closed = true;
    this.onReadable = null;
    if (this.takeDirect !== null) this.takeDirect = null;
    this.flushDrainWaiters(false);
    return rest;
  }

  /** @internal (the shared socket listeners) */
  onData(b: Buffer): void {
    this.pushChunk(b);
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
    const first = this.c0!;
    const avail = first.length - this.headOff;
    if (avail > max) {
      out = first.subarray(this.headOff, this.headOff + max);
      this.headOff += max;
    } else if (avail === max || this.more === null || this.more.length === 0) {
      out = this.headOff === 0 ? first : first.subarray(this.headOff);
      this.shiftChunk();
      this.headOff = 0;
    } else {
      // Coalesce small chunks up to max.
      const parts: Buffer[] = [];
      let n = 0;
      while (n < max && this.c0 !== undefined) {
        const c = this.c0;
        const take = Math.min(c.length - this.headOff, max - n);
        parts.push(c.subarray(this.headOff, this.headOff + take));
        n += take;
        if (this.headOff + take === c.length) {
          this.shiftChunk();
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
    const first = this.c0!;
    const start = this.headOff;
    const avail = first.length - start;
    let n: number;
    if (avail > max) {
      n = max;
      this.headOff += max;
      this.taken(n);
      sink(first, start, start + n);
    } else if (avail === max || this.more === null || this.more.length === 0) {
      n = avail;
      this.shiftChunk();
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

  private chunkCount(): number {
    return this.c0 === undefined ? 0 : 1 + (this.more === null ? 0 : this.more.length);
  }
  private pushChunk(b: Buffer): void {
    if (this.c0 === undefined) this.c0 = b;
    else (this.more ??= new ChunkQueue()).push(b);
  }
  private shiftChunk(): void {
    const m = this.more;
    if (m === null || m.length === 0) this.c0 = undefined;
    else {
      this.c0 = m.first();
      m.shift();
    }
  }
  private isLastChunk(b: Buffer): boolean {
    const m = this.more;
    return m === null || m.length === 0 ? this.c0 === b : m.isLast(b);
  }
  private setLastChunk(b: Buffer): void {
    const m = this.more;
    if (m === null || m.length === 0) this.c0 = b;
    else m.setLast(b);
  }
  private unshiftChunk(b: Buffer): void {
    if (this.c0 !== undefined) (this.more ??= new ChunkQueue()).unshift(this.c0);
    this.c0 = b;
  }
  private drainChunks(): Buffer[] {
    const out = this.more === null ? [] : this.more.drain();
    if (this.c0 !== undefined) out.unshift(this.c0);
    this.c0 = undefined;
    return out;
  }

  /** Takes every buffered byte (for handing a connection to another owner). */
  takeAll(): Buffer {
    if (this.buffered === 0) return Buffer.alloc(0);
    const parts = this.drainChunks();
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
      this.c0 = this.c0!.subarray(this.headOff);
      this.headOff = 0;
    }
    this.unshiftChunk(b);
    this.buffered += b.length;
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
    if (this.takeDirect !== null) this.takeDirect = null;
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
    if (this.takeDirect !== null) this.takeDirect = null;
    this.sock.destroy();
    this.flushDrainWaiters(false);
  }
}
