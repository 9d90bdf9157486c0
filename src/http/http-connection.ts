/**
 * One HTTP/1.1 server connection on a raw net.Socket (or tls.TLSSocket): reads request
 * heads and bodies, hands each request to a handler, keeps the connection alive or closes it,
 * and processes pipelined requests one after the other.
 *
 * It works on the raw socket, not on node:http, because a page may take the connection over
 * (ba.socket.req2sock) — takeOver() returns the socket plus the bytes already
 * read past the request head — and give it back later (ba.socket.sock2req): a new
 * HttpConnection on that socket, with the pushback bytes parsed as the start of the next
 * request.
 *
 * A peer's malformed request is answered with its error status and closes this connection
 * only.
 *
 * On a plain TCP socket the connection reads and writes below Node's stream layer
 * (src/net/direct-io.ts): reads arrive in a buffer shared by all connections, parsed where
 * they lie; what is kept of them past the read (an unparsed rest, body bytes) is copied.
 */
import type { Socket } from 'node:net';
import { isShared, readDirect, readView, releaseReads, type DirectReader } from '../net/direct-io.js';
import { SocketWriter } from '../net/socket-writer.js';
import type { HttpExchange, HttpHandler } from './http-exchange.js';
import { createBodyDecoder, type BodyDecoder } from './body-decoder.js';
import { BodyStream } from './body-stream.js';
import { HttpError } from './http-error.js';
import { RequestParser, type RequestHead, type RequestParserOptions } from './request-parser.js';
import { ResponseWriter } from './response-writer.js';
import type { Phase, PolicyConn } from './connection-policy.js';

export interface HttpConnectionOptions extends RequestParserOptions {
  /**
   * Largest request body the server holds or skips on its own: a body received whole before
   * the handler runs (forms, small bodies) above it is answered 413; the rest of a streamed
   * body the handler did not read is skipped to keep the connection if it is no larger, else
   * the connection closes. What a handler reads from `bodyStream` is not limited. Default 16 MiB.
   */
  maxBodySize?: number;
  /**
   * Bodies with a Content-Length above this, and chunked bodies, are streamed: the handler
   * starts when the head is complete and reads the body from `bodyStream` as it arrives. Form
   * bodies (application/x-www-form-urlencoded) are read whole first, up to maxBodySize.
   * Default: Infinity (never; chunked bodies are then read whole too).
   */
  streamThreshold?: number;
  /**
   * Milliseconds without traffic after which a connection that is not running a handler is
   * closed: idle keep-alive connections and slow request heads (slowloris). Default 30000;
   * 0 disables.
   */
  idleTimeout?: number;
  /** Value of the Server response header; none when absent. */
  server?: string;
  /** Told about peer errors and handler failures (for tracing); never about normal closes. */
  onError?: (error: Error) => void;
  /**
   * Called when a new connection receives its first byte (src/http/connection-policy.ts: it
   * now needs a slot): true goes on, 'wait' holds the bytes until grantSlot(), false closes.
   */
  onFirstByte?: (conn: HttpConnection) => boolean | 'wait';
  /** Called when the connection has finished a request and waits idle for the next one. */
  onIdle?: (conn: HttpConnection) => void;
}

export type { HttpExchange, HttpHandler } from './http-exchange.js';

const EMPTY = Buffer.alloc(0);
const RESOLVED = Promise.resolve();

/** The HttpExchange of one request: a class, so that a request costs no closures. */
class Exchange implements HttpExchange {
  readonly secure: boolean;
  constructor(
    private readonly conn: HttpConnection,
    readonly head: RequestHead,
    readonly body: Buffer,
    readonly bodyStream: BodyStream | null,
    readonly response: ResponseWriter,
  ) {
    this.secure = (conn.socket as Socket & { encrypted?: boolean }).encrypted === true;
  }

  get socket(): Socket {
    return this.conn.socket;
  }

  get closed(): boolean {
    return this.conn.closed;
  }

  get queued(): number {
    return this.conn.out.queued;
  }

  whenDrained(cb: (ok: boolean) => void): void {
    this.conn.out.whenDrained(cb);
  }

  removeDrainWaiter(cb: (ok: boolean) => void): void {
    this.conn.out.removeDrainWaiter(cb);
  }

  takeOver(): { socket: Socket; pending: Buffer } | null {
    return this.conn.takeOver(this.response);
  }
}

const enum State {
  Head,
  Body,
  Handling,
  Closing,
  Closed,
  Taken,
}

const DEFAULT_MAX_BODY = 16 * 1024 * 1024;
const DEFAULT_STREAM_THRESHOLD = Infinity;
/**
 * While a handler runs, input is still read (so a peer that goes away is noticed and
 * takeOver() can say so) but only up to this many bytes of pipelined data; then reading
 * pauses until the handler is done.
 */
const INBOX_HIGH_WATER = 64 * 1024;
/** Bytes of response output queued on the socket above which the next request waits. */
const OUT_HIGH_WATER = 256 * 1024;
/** How long a closing connection keeps draining the peer's input; see closeAfterError. */
const LINGER_MS = 2000;

export class HttpConnection implements PolicyConn, DirectReader {
  private state = State.Head;
  /** performance.now() when the current phase began (src/http/connection-policy.ts). */
  phaseSince = performance.now();
  /** Requests dispatched on this connection (0: still new). */
  private requests = 0;
  private readonly parser: RequestParser;
  /** Received bytes not yet given to the parser or body decoder. */
  private inbox: Buffer[] = [];
  private head: RequestHead | null = null;
  private decoder: BodyDecoder | null = null;
  private body: Buffer[] = [];
  /** The body of the request being handled, when it is streamed. */
  private stream: BodyStream | null = null;
  /**
   * Raw bytes after the head, kept for takeOver() until a reader takes from a streamed body
   * (then only the raw bytes not yet decoded are handed over).
   */
  private afterHead: Buffer[] = [];
  /** Skipping the rest of a body the handler did not read (see finish). */
  private skipping = false;
  private peerEnded = false;
  private readonly maxBody: number;
  private readonly onData = (b: Buffer): void => this.receive(b);
  private readonly onEnd = (): void => this.peerEnd();
  private readonly onSocketError = (e: Error): void => this.socketError(e);
  private readonly onClose = (): void => {
    this.stream?.fail('socketreadfailed');
    this.state = this.state === State.Taken ? State.Taken : State.Closed;
    this.out.gone(false);
  };
  private readonly onTimeout = (): void => this.timeout();

  constructor(
    readonly socket: Socket,
    private readonly handler: HttpHandler,
    private readonly options: HttpConnectionOptions = {},
    pushback?: Uint8Array,
  ) {
    this.parser = new RequestParser(options);
    this.maxBody = options.maxBodySize ?? DEFAULT_MAX_BODY;
    this.out = new SocketWriter(socket);
    this.out.writeDirect();
    readDirect(socket, this);
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('error', this.onSocketError);
    socket.on('close', this.onClose);
    socket.on('timeout', this.onTimeout);
    const idle = options.idleTimeout ?? 30000;
    if (idle > 0) socket.setTimeout(idle);
    // The peer's half-close must not close our side before the response is written.
    socket.allowHalfOpen = true;
    if (pushback) this.requests = 1; // given back by sock2req: it held a slot already
    if (pushback && pushback.byteLength > 0) {
      this.inbox.push(Buffer.from(pushback));
      this.headStartedAt = performance.now();
    }
    socket.resume();
    if (this.inbox.length > 0) queueMicrotask(() => this.pump());
  }

  /** The response output (the socket's write side). */
  readonly out: SocketWriter;

  /** True while a direct read's bytes (in the shared read buffer) are being received. */
  private borrowing = false;

  /**
   * @internal A direct read (src/net/direct-io.ts): the bytes are parsed where they lie, and
   * whatever is kept of them afterwards (or when a handler starts) is copied.
   */
  onDirectRead(buf: Buffer, n: number): boolean {
    this.borrowing = true;
    this.receive(readView(buf, n));
    this.borrowing = false;
    this.ownBorrowed();
    return true;
  }

  /** `b`, copied when it is a view of the shared read buffer (body bytes kept past a read). */
  private kept(b: Buffer): Buffer {
    return this.borrowing && isShared(b) ? Buffer.from(b) : b;
  }

  /**
   * Copies the unparsed rest of a read: only the inbox's first entry (a rest put back) and last
   * (a chunk not reached) can be a view of the shared read buffer (nothing else is looked at).
   */
  private ownBorrowed(): void {
    const inbox = this.inbox;
    const last = inbox.length - 1;
    if (last >= 0 && isShared(inbox[0]!)) inbox[0] = Buffer.from(inbox[0]!);
    if (last > 0 && isShared(inbox[last]!)) inbox[last] = Buffer.from(inbox[last]!);
  }

  /** True once the connection is closed or was taken over. */
  get closed(): boolean {
    return this.state === State.Closed || this.state === State.Taken || this.socket.destroyed;
  }

  /** Closes the connection now (server shutdown). */
  destroy(): void {
    if (this.state === State.Taken) return;
    this.state = State.Closed;
    this.socket.destroy();
  }

  /**
   * performance.now() when the first byte of the request head now being read arrived; 0 when
   * no head is in progress. The server uses it for a total head deadline and to pick which
   * connection to drop when it is full (slowloris: a trickled head keeps idleTimeout from
   * ever firing).
   */
  headStartedAt = 0;

  /** The phase for the server's deadline and eviction policy (src/http/connection-policy.ts). */
  get phase(): Phase {
    switch (this.state) {
      case State.Head:
        if (this.slotWait) return 'queued';
        if (this.drainWait) return 'busy'; // its response is still being delivered
        return this.headStartedAt !== 0 ? 'head' : this.requests === 0 ? 'new' : 'idle';
      case State.Body:
        return 'body';
      case State.Handling:
        // A page reading a streamed body that the peer is slow to send (R.U.D.Y. against a
        // page): the body deadline applies. When the page lags behind, the slowness is its own.
        return this.stream && !this.stream.complete && !this.stream.full ? 'upload' : 'busy';
      default:
        return 'closing';
    }
  }

  /** Body bytes received so far for the request being read. */
  get bodyReceived(): number {
    return this.state === State.Body || this.stream ? (this.decoder?.received ?? 0) : 0;
  }

  /** True while the connection waits for (the rest of) a request head, i.e. runs no handler. */
  get awaitingHead(): boolean {
    return this.state === State.Head;
  }

  /** True when no request is in progress: safe to close for shutdown. */
  get idle(): boolean {
    return this.state === State.Head && !this.parser.inProgress && this.inbox.length === 0;
  }

  /** True while the request's first bytes wait for a `conncnt` slot (see onFirstByte). */
  private slotWait = false;

  /** The server has a slot for a connection that waits for one: its request is read now. */
  grantSlot(): void {
    if (!this.slotWait) return;
    this.slotWait = false;
    if (this.closed) return;
    this.socket.resume();
    this.pump();
  }

  private receive(chunk: Buffer): void {
    if (this.state === State.Closing) return; // draining after an error
    if (this.slotWait || this.drainWait) {
      this.inbox.push(chunk);
      if (this.inboxBytes() > INBOX_HIGH_WATER) this.socket.pause();
      return;
    }
    if (this.state === State.Head && this.headStartedAt === 0) {
      const wasNew = this.requests === 0;
      this.headStartedAt = this.phaseSince = performance.now();
      const r = wasNew && this.options.onFirstByte ? this.options.onFirstByte(this) : true;
      if (r === false) {
        this.destroy();
        return;
      }
      if (r === 'wait') {
        // Every slot runs a page: the request waits (not read further) until one frees.
        this.slotWait = true;
        this.inbox.push(chunk);
        this.socket.pause();
        return;
      }
    }
    this.inbox.push(chunk);
    if (this.state === State.Head || this.state === State.Body) {
      // A request completed by this chunk runs right after pump(), from this data event:
      // no microtask for it (see dispatch).
      this.inReceive = true;
      try {
        this.pump();
      } finally {
        this.inReceive = false;
      }
      if (this.runNow) {
        this.runNow = false;
        if (this.borrowing) this.ownBorrowed();
        this.runHandler();
      }
    } else if (this.state === State.Handling) {
      if (this.stream && !this.stream.complete) this.pumpStream();
      else if (this.inboxBytes() > INBOX_HIGH_WATER) this.socket.pause();
    }
  }

  /**
   * Moves received bytes into the streamed body while the handler runs; stops reading the
   * socket while the stream is full (the reader's pace is the upload's pace).
   */
  private pumpStream(): void {
    const stream = this.stream;
    if (!stream || this.state !== State.Handling) return;
    const decoder = this.decoder as BodyDecoder;
    while (this.inbox.length > 0 && !stream.complete && !stream.full) {
      const chunk = this.inbox.shift() as Buffer;
      const r = decoder.feed(chunk);
      if (stream.touched) this.afterHead = [];
      else if (r.consumed > 0) this.afterHead.push(this.kept(chunk.subarray(0, r.consumed)));
      for (const d of r.data) stream.push(this.kept(d));
      if (r.error) {
        // Broken framing: the reader gets what came before, then an error; the connection
        // closes once the handler has answered (finish).
        this.options.onError?.(r.error);
        stream.fail('socketreadfailed');
        this.inbox = [];
        return;
      }
      if (r.consumed < chunk.length) this.inbox.unshift(chunk.subarray(r.consumed));
      if (r.done) stream.end();
    }
    if (stream.complete) {
      if (this.inboxBytes() > INBOX_HIGH_WATER) this.socket.pause();
      else this.socket.resume();
    } else if (stream.full) this.socket.pause();
    else this.socket.resume();
  }

  private inboxBytes(): number {
    let n = 0;
    for (const b of this.inbox) n += b.length;
    return n;
  }

  /** Feeds buffered bytes to the parser and body decoder until a request is complete. */
  private pump(): void {
    while (this.inbox.length > 0 && (this.state === State.Head || this.state === State.Body)) {
      const chunk = this.inbox.shift() as Buffer;
      const skipping = this.skipping;
      const used = this.state === State.Head ? this.feedHead(chunk) : this.feedBody(chunk);
      if (used < chunk.length) this.inbox.unshift(chunk.subarray(used));
      if (this.closed || (this.state as State) === State.Closing) return;
      if (skipping && !this.skipping) {
        this.nextRequest();
        return;
      }
    }
  }

  private feedHead(chunk: Buffer): number {
    const r = this.parser.feed(chunk);
    if (r.state === 'error') {
      this.reject(r.error);
      return chunk.length;
    }
    if (r.state === 'incomplete') return r.consumed;
    this.headStartedAt = 0;
    this.head = r.head;
    const framing = r.head.body;
    const threshold = this.options.streamThreshold ?? DEFAULT_STREAM_THRESHOLD;
    // Bodiless requests (most) skip the form check.
    const isForm = framing.kind !== 'none' && /^application\/x-www-form-urlencoded\b/i.test(r.head.headers.getKey('content-type') ?? '');
    // Chunked and large bodies reach the handler as they arrive; forms and small ones whole.
    const streamed =
      !isForm && ((framing.kind === 'chunked' && threshold !== Infinity) || (framing.kind === 'length' && framing.length > threshold));
    if (!streamed && framing.kind === 'length' && framing.length > this.maxBody) {
      this.reject(new HttpError(413, 'BODY_TOO_LARGE', `peer announced a ${framing.length}-byte body; the limit is ${this.maxBody}`));
      return chunk.length;
    }
    this.decoder = createBodyDecoder(framing);
    // Usually empty already: no new arrays per request.
    if (this.body.length > 0) this.body = [];
    if (this.afterHead.length > 0) this.afterHead = [];
    this.state = State.Body;
    const now = (this.phaseSince = performance.now());
    if (r.head.expectContinue && framing.kind !== 'none') {
      // RFC 9110 §10.1.1: the client waits for this before sending the body.
      this.write('HTTP/1.1 100 Continue\r\n\r\n');
    }
    if (streamed) {
      // The handler starts now and reads the body as it arrives (pumpStream).
      this.stream = new BodyStream();
      this.stream.onDrain = () => this.pumpStream();
      this.dispatch(now);
      return r.consumed;
    }
    if (this.decoder.done) this.dispatch(now);
    return r.consumed;
  }

  private feedBody(chunk: Buffer): number {
    const decoder = this.decoder as BodyDecoder;
    const r = decoder.feed(chunk);
    if (this.skipping) {
      // The rest of a body the handler left: counted against maxBodySize, then dropped.
      this.skipped += r.data.reduce((n, d) => n + d.length, 0);
      if (r.error || this.skipped > this.maxBody) {
        this.options.onError?.(r.error ?? new Error('handler ended before the request body; connection closed'));
        this.closeAfterError();
        return chunk.length;
      }
      if (r.done) this.skipping = false; // pump() goes on with the next request
      return r.consumed;
    }
    if (r.consumed > 0) this.afterHead.push(this.kept(chunk.subarray(0, r.consumed)));
    for (const d of r.data) this.body.push(this.kept(d));
    if (r.error) {
      this.reject(r.error);
      return chunk.length;
    }
    if (decoder.received > this.maxBody) {
      this.reject(new HttpError(413, 'BODY_TOO_LARGE', `peer sent a body above the ${this.maxBody}-byte limit`));
      return chunk.length;
    }
    if (r.done) this.dispatch();
    return r.consumed;
  }

  /** Body bytes skipped after the handler ended (see finish). */
  private skipped = 0;

  /**
   * Runs the handler for the complete request; parsing waits until it is done. The handler
   * starts outside pump() (after it, from receive(), or in a microtask): a handler that
   * finishes at once would otherwise re-enter pump() while the current chunk's unparsed rest
   * is not back in the inbox yet.
   */
  private dispatch(now = performance.now()): void {
    this.state = State.Handling;
    this.requests++;
    this.phaseSince = now;
    if (this.inReceive) {
      // pump() was called by a data event: receive() runs the handler once pump() has put
      // the chunk's rest back, outside any Lua resume (a socket event). A request that
      // completes otherwise (the next pipelined one, after the handler) takes a microtask.
      this.runNow = true;
      return;
    }
    // A promise reaction, not queueMicrotask: Node wraps each queueMicrotask callback in an
    // AsyncResource (an allocation and an async-hooks scope per request).
    void RESOLVED.then(this.runHandlerFn);
  }

  /** receive() is running pump() (see dispatch). */
  private inReceive = false;
  /** dispatch() left the handler to receive(). */
  private runNow = false;

  private runHandler(): void {
    if (this.state !== State.Handling) return; // closed meanwhile
    const head = this.head as RequestHead;
    const opts = { method: head.method, versionMinor: head.versionMinor, keepAlive: head.keepAlive && !head.upgrade, server: this.options.server };
    const response = new ResponseWriter(this.sink, opts, this.sinkParts);
    const body = this.body.length === 0 ? EMPTY : this.body.length === 1 ? this.body[0]! : Buffer.concat(this.body);
    if (this.body.length > 0) this.body = [];
    const exchange = new Exchange(this, head, body, this.stream, response);
    if (exchange.bodyStream) this.pumpStream();
    let result: void | Promise<void>;
    try {
      result = this.handler(exchange);
    } catch (e) {
      this.handlerFailed(e, response);
      return;
    }
    if (result && typeof (result as Promise<void>).then === 'function') {
      (result as Promise<void>).then(
        () => this.finish(response),
        (e: unknown) => this.handlerFailed(e, response),
      );
    } else {
      this.finish(response);
    }
  }

  private write(b: Buffer | string): void {
    if (this.socket.destroyed || !this.socket.writable) return;
    this.out.send(b);
  }

  private readonly runHandlerFn = (): void => this.runHandler();

  /** Where every response of this connection writes (one function for all of them). */
  private readonly sink = (b: Buffer | string): void => this.write(b);
  /** The same for the pieces of one small output, sent as one write. */
  private readonly sinkParts = (parts: ReadonlyArray<Buffer | string>, total: number): void => {
    if (!this.socket.destroyed && this.socket.writable) this.out.sendParts(parts, total);
  };

  private handlerFailed(e: unknown, response: ResponseWriter): void {
    const err = e instanceof Error ? e : new Error(String(e));
    this.options.onError?.(err);
    if (this.state === State.Taken || this.closed) return;
    // If nothing was sent yet the client gets a 500; otherwise the response is cut off and
    // closing is the only way to tell it.
    if (!response.sendError(500)) {
      this.destroy();
      return;
    }
    this.finish(response);
  }

  /** After the handler: complete the response, then keep alive or close. */
  private finish(response: ResponseWriter): void {
    if (this.state !== State.Handling) return; // taken over, or closed meanwhile
    if (!response.finished) response.end();
    const head = this.head as RequestHead;
    const stream = this.stream;
    let skip = false;
    if (stream) {
      this.stream = null;
      const unread = stream.pending;
      stream.discard();
      const decoder = this.decoder as BodyDecoder;
      if (!stream.endedWell || !decoder.done) {
        // The handler ended before the body did (or the body broke). The rest is skipped to
        // keep the connection when it is no more than maxBodySize (a Content-Length says so
        // up front); otherwise, or when the body broke, the connection closes.
        const framing = head.body;
        const rest = framing.kind === 'length' ? unread + framing.length - decoder.received : unread;
        const keep = !stream.complete && rest <= this.maxBody && response.keepAlive && !this.peerEnded && !head.upgrade && !this.socket.destroyed;
        if (!keep) {
          // A broken body was told already (pumpStream); a page that left too much is worth a
          // line, unless its answer closes the connection anyway (a refused upload).
          if (!stream.complete && response.keepAlive) this.options.onError?.(new Error('handler ended before the request body; connection closed'));
          this.closeAfterError();
          return;
        }
        skip = true;
        this.skipped = unread;
      }
    }
    if (!response.keepAlive || this.peerEnded || head.upgrade || this.socket.destroyed) {
      this.state = State.Closing;
      this.socket.end();
      return;
    }
    if (skip) {
      this.skipping = true;
      this.afterHead = [];
      this.state = State.Body;
      this.phaseSince = performance.now();
      this.socket.resume();
      this.pump();
      return;
    }
    this.nextRequest();
  }

  /** Keep-alive: reads the next request (pipelined bytes may be waiting). */
  private nextRequest(): void {
    this.parser.reset();
    this.head = null;
    this.decoder = null;
    if (this.afterHead.length > 0) this.afterHead = [];
    this.state = State.Head;
    // Pipelined bytes already buffered start the next head's clock now.
    this.phaseSince = performance.now();
    this.headStartedAt = this.inbox.length > 0 ? this.phaseSince : 0;
    if (this.out.queued > OUT_HIGH_WATER) {
      // Issue 14: a client that pipelines requests and never reads would have every response
      // queued in memory. The next request is read once this response has drained.
      this.drainWait = true;
      const go = (): void => {
        this.drainWait = false;
        if (this.closed || this.state !== State.Head) return;
        this.socket.resume();
        this.pump();
        if (this.phase === 'idle') this.options.onIdle?.(this);
      };
      this.out.whenDrained(go);
      return;
    }
    this.socket.resume();
    this.pump();
    if (this.phase === 'idle') this.options.onIdle?.(this);
  }

  /** True while the next request waits for the previous response to drain. */
  private drainWait = false;

  /** @internal (Exchange) */
  takeOver(response: ResponseWriter): { socket: Socket; pending: Buffer } | null {
    if (this.state !== State.Handling || this.socket.destroyed) return null;
    response.detach();
    const s = this.socket;
    s.off('data', this.onData);
    s.off('end', this.onEnd);
    s.off('error', this.onSocketError);
    s.off('close', this.onClose);
    s.off('timeout', this.onTimeout);
    s.setTimeout(0);
    s.pause();
    releaseReads(s, this);
    this.out.gone(false);
    // Once a reader took from a streamed body, only the raw bytes not yet decoded go along.
    const raw = this.stream?.touched ? this.inbox : [...this.afterHead, ...this.inbox];
    this.stream?.fail('socketclosed');
    this.stream = null;
    const pending = Buffer.concat(raw);
    this.afterHead = [];
    this.inbox = [];
    this.state = State.Taken;
    return { socket: s, pending };
  }

  /** Answers a broken request and closes. */
  private reject(error: HttpError): void {
    this.options.onError?.(error);
    const head = this.head;
    const response = new ResponseWriter(this.sink, {
      method: head?.method ?? 'GET',
      versionMinor: head?.versionMinor ?? 1,
      keepAlive: false,
      server: this.options.server,
    });
    response.sendError(error.status);
    this.closeAfterError();
  }

  /**
   * Ends our side but keeps reading (and discarding) for a moment: closing a socket with
   * unread input makes the kernel send RST, which can destroy the error response before the
   * client reads it (the "lingering close" of RFC 9112 §9.6).
   */
  private closeAfterError(): void {
    this.state = State.Closing;
    this.inbox = [];
    this.socket.resume();
    this.socket.end();
    const timer = setTimeout(() => this.socket.destroy(), LINGER_MS);
    timer.unref();
    this.socket.once('close', () => clearTimeout(timer));
  }

  private peerEnd(): void {
    this.peerEnded = true;
    this.stream?.fail('socketreadfailed');
    if (this.state === State.Handling) return; // answer first, then close (allowHalfOpen)
    if (this.state === State.Head || this.state === State.Body) {
      // EOF in the middle of a request head or body: nothing sensible to answer.
      this.state = State.Closing;
      this.socket.end();
      return;
    }
    this.socket.destroy();
  }

  private socketError(e: Error): void {
    this.stream?.fail('socketreadfailed');
    if ((e as NodeJS.ErrnoException).code !== 'ECONNRESET' && (e as NodeJS.ErrnoException).code !== 'EPIPE') this.options.onError?.(e);
    this.state = State.Closed;
    this.out.gone(true);
    this.socket.destroy();
  }

  private timeout(): void {
    // A running page may take as long as it likes; only idle or slow peers are cut off, and
    // a client that has taken none of the queued response for idleTimeout (issue 14: a page
    // waiting in response:write for it would wait forever).
    if (this.state === State.Handling && this.out.queued === 0) return;
    this.destroy();
  }
}
