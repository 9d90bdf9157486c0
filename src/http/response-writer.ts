/**
 * One HTTP response on a raw connection: the object behind request/response's setstatus,
 * setheader, write, flush, senderror and sendredirect, without Lua.
 *
 * Output is buffered. If the response ends before anything was flushed, it goes out with a
 * Content-Length and the connection can be kept alive. Once a page flushes (or the buffer
 * fills), the head goes out first and the rest follows chunked to an HTTP/1.1 client or,
 * for an HTTP/1.0 client, delimited by closing the connection (RFC 9112 §6.3).
 *
 * The writer never closes anything: after end() the caller reads `keepAlive` to decide whether
 * the connection goes on to the next request.
 */
import { errorPage, escapeHtml } from './error-page.js';
import { httpDate, httpDateNow } from './http-date.js';
import { CookieJar } from './cookies.js';
import { checkHeader, isHeaderValue, ResponseHeaders, responseHeadBytes, serializeResponseHead } from './response-head.js';

/**
 * Where the bytes go; normally the socket's write. A string is a byte string (one char per
 * byte, written as latin1): small responses leave as one, which Node's socket writes without
 * a Buffer.
 */
export type ResponseSink = (chunk: Buffer | string) => void;

/**
 * Takes the pieces of one small output (head and body, or a chunk and its framing) to send
 * as one write: `total` bytes, strings one char per byte. Without one, they are joined into
 * one string for the sink.
 */
export type ResponsePartsSink = (parts: ReadonlyArray<Buffer | string>, total: number) => void;

export interface ResponseWriterOptions {
  /** The request method; HEAD responses carry no body (RFC 9110 §9.3.2). */
  method: string;
  /** The request's minor version: chunked framing only for HTTP/1.1 clients. */
  versionMinor: 0 | 1;
  /** The client's keep-alive wish (RequestHead.keepAlive). */
  keepAlive: boolean;
  /** Value of the Server header; none is sent when absent. */
  server?: string;
  /** Buffered body bytes that trigger a flush. Default 64 KiB. */
  bufferSize?: number;
  /** Clock for the Date header (tests). */
  now?: () => Date;
}

type Phase = 'buffering' | 'streaming' | 'ended' | 'detached';
type Framing = 'length' | 'chunked' | 'close' | 'none';

const CRLF = Buffer.from('\r\n', 'latin1');
/** A Connection field naming "close" among its options (case-insensitive). */
const CONNECTION_CLOSE = /(^|,)\s*close\s*(,|$)/i;
/** Up to this many bytes, a response's pieces are copied into one buffer for one write. */
const COALESCE_LIMIT = 16 * 1024;

export class ResponseWriter {
  /** Response status; change it before the head is sent. */
  status = 200;
  /** Reason phrase; the registered one when undefined. */
  reason: string | undefined;
  /** Response header fields, in the order they will be sent. */
  readonly headers = new ResponseHeaders();
  /** Body bytes handed to the sink (after framing decisions, before chunk framing). */
  bodyBytesSent = 0;
  /**
   * A response that ends without a Content-Length goes out chunked (HTTP/1.1) or delimited
   * by closing (HTTP/1.0) even when it was never flushed, as Mako sends its pages.
   * Error pages, redirects and HEAD responses still carry a Content-Length.
   */
  streamOnEnd = false;
  /**
   * Output is collected whole (`response:setresponse()`): no flush when the buffer fills, so
   * the collected body can be compressed and sent with a Content-Length.
   */
  collect = false;

  /** The response's cookies (request:createcookie, the session's), made on first use; sent with the head. */
  private jar: CookieJar | null = null;

  private phase: Phase = 'buffering';
  private framing: Framing = 'none';
  private declaredLength = -1;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private keep: boolean;
  private readonly bufferSize: number;
  /**
   * While flush()/end() run: their output, handed to the sink as one piece (see out()).
   * Strings are byte strings (head, chunk framing), copied into that piece as latin1.
   */
  private batch: Array<Buffer | string> | null = null;

  constructor(
    private readonly sink: ResponseSink,
    private readonly options: ResponseWriterOptions,
    private readonly sinkParts: ResponsePartsSink | null = null,
  ) {
    this.keep = options.keepAlive;
    this.bufferSize = options.bufferSize ?? 64 * 1024;
  }

  /** True once the status line and headers went out. */
  get headersSent(): boolean {
    return this.phase !== 'buffering';
  }

  /** True after end() or detach(). */
  get finished(): boolean {
    return this.phase === 'ended' || this.phase === 'detached';
  }

  /** Whether the connection may carry another request; final after end(). */
  get keepAlive(): boolean {
    return this.keep;
  }

  /** Body bytes written but not yet flushed. */
  get bufferedBytes(): number {
    return this.pendingBytes;
  }

  /** The response's cookie list; its activated cookies go out as Set-Cookie fields with the head. */
  cookies(): CookieJar {
    return (this.jar ??= new CookieJar());
  }

  /** Returns false when the head was already sent (the status can no longer change). */
  setStatus(status: number, reason?: string): boolean {
    if (!Number.isInteger(status) || status < 100 || status > 999) throw new RangeError(`invalid HTTP status ${status}`);
    if (this.headersSent) return false;
    this.status = status;
    this.reason = reason;
    return true;
  }

  /** Replaces the field. Throws TypeError on CR/LF or other invalid input (a script bug). */
  setHeader(name: string, value: string): boolean {
    if (this.headersSent) {
      checkHeader(name, value);
      return false;
    }
    this.headers.set(name, value); // checks (ResponseHeaders)
    return true;
  }

  /**
   * setHeader() for a field the caller has checked already (isHeaderName, isHeaderValue),
   * with its name lower-cased.
   */
  setHeaderTrusted(name: string, value: string, key: string): boolean {
    if (this.headersSent) return false;
    this.headers.setTrusted(name, value, key);
    return true;
  }

  /** Adds a field alongside any of the same name (Set-Cookie). */
  addHeader(name: string, value: string): boolean {
    if (this.headersSent) {
      checkHeader(name, value);
      return false;
    }
    this.headers.add(name, value); // checks (ResponseHeaders)
    return true;
  }

  /** setHeader('Content-Type', type), without checking the constant name (most pages call it). */
  setContentType(type: string): boolean {
    if (this.headersSent || !isHeaderValue(type)) return this.setHeader('Content-Type', type);
    this.headers.setTrusted('Content-Type', type, 'content-type');
    return true;
  }

  /** Buffers body bytes (a string is UTF-8); returns false once the response is finished. */
  write(data: Uint8Array | string): boolean {
    if (this.finished) return false;
    if (data.length === 0) return true;
    // Bytes are copied: the caller's (a Lua string view into WASM memory) may change under us.
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
    this.pending.push(buf);
    this.pendingBytes += buf.length;
    if (this.pendingBytes >= this.bufferSize && !this.collect) this.flush();
    return true;
  }

  /** The written, not yet flushed body bytes (`response:getdata()`). */
  pendingData(): Buffer {
    return this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
  }

  /**
   * `response:send(data)`: the head goes out (if not yet) without chunked framing -- with the
   * page's Content-Length, else the body ends with the connection -- and then what is buffered
   * plus `data`, at once.
   */
  sendRaw(data: Uint8Array): boolean {
    if (this.finished) return false;
    this.write(data);
    this.batch = [];
    try {
      if (this.phase === 'buffering') this.sendHead(false, true);
      this.sendBody();
    } catch (e) {
      this.batch = null;
      throw e;
    }
    this.sendBatch();
    return true;
  }

  /** Sends the head if not yet sent, then the buffered body (`response:flush()`). */
  flush(): void {
    if (this.finished) return;
    this.batch = [];
    try {
      if (this.phase === 'buffering') this.sendHead(false);
      this.sendBody();
    } catch (e) {
      // A head that cannot be serialized (a script's bad reason phrase): nothing went out.
      this.batch = null;
      throw e;
    }
    this.sendBatch();
  }

  /** Completes the response. */
  end(data?: Uint8Array | string): void {
    if (this.finished) return;
    if (data !== undefined) this.write(data);
    this.batch = [];
    try {
      if (this.phase === 'buffering') this.sendHead(true);
      this.sendBody();
      if (this.framing === 'chunked') this.out('0\r\n\r\n');
    } catch (e) {
      this.batch = null;
      throw e;
    }
    this.sendBatch();
    if (this.framing === 'close') this.keep = false;
    // A page that declared a Content-Length and wrote less leaves the client waiting for the
    // rest; closing tells it the response is incomplete.
    if (this.framing === 'length' && this.bodyBytesSent !== this.declaredLength) this.keep = false;
    this.phase = 'ended';
  }

  /** Drops buffered, unflushed body bytes. */
  discard(): void {
    this.pending = [];
    this.pendingBytes = 0;
  }

  /**
   * The connection leaves HTTP (ba.socket.req2sock): unflushed output is
   * discarded and nothing more is written, not even the end of a chunked body.
   */
  detach(): void {
    this.discard();
    this.phase = 'detached';
    this.keep = false;
  }

  /** "HTTP/1.1 100 Continue" for a client waiting on Expect (RFC 9110 §10.1.1). */
  sendContinue(): void {
    if (this.phase === 'buffering') this.sink(serializeResponseHead(100, undefined, []));
  }

  /**
   * Replaces whatever the page prepared with an error page and ends the response. Returns
   * false when the head was already sent, the caller then can only close the connection.
   */
  sendError(status: number, message?: string, extraHeaders: Iterable<readonly [string, string]> = [], preformatted?: string): boolean {
    if (this.headersSent) return false;
    this.discard();
    this.headers.clear();
    this.streamOnEnd = false;
    this.setStatus(status);
    for (const [n, v] of extraHeaders) this.addHeader(n, v);
    const page = errorPage(status, message, preformatted);
    this.setContentType(page.contentType);
    this.end(page.body);
    return true;
  }

  /** A redirect with a short HTML body for clients that do not follow it. */
  sendRedirect(location: string, status = 302): boolean {
    if (this.headersSent) return false;
    this.discard();
    this.headers.clear();
    this.streamOnEnd = false;
    this.setStatus(status);
    this.setHeader('Location', location);
    this.setContentType('text/html; charset=utf-8');
    const href = escapeHtml(location);
    this.end(`<!DOCTYPE html>\n<html><body><a href="${href}">${href}</a></body></html>\n`);
    return true;
  }

  private sendHead(final: boolean, raw = false): void {
    const h = this.headers;
    const status = this.status;
    const bodiless = status < 200 || status === 204 || status === 304;
    // The writer does the framing; a field set by the page would contradict it.
    h.deleteKey('transfer-encoding');
    if (bodiless) {
      // RFC 9110 §8.6: no Content-Length in 1xx and 204; in a 304 it describes the
      // representation, so a page may keep one it set.
      if (status !== 304) h.deleteKey('content-length');
      this.framing = 'none';
    } else if (h.hasKey('content-length')) {
      const v = (h.getKey('content-length') ?? '').trim();
      if (/^\d{1,15}$/.test(v)) {
        this.framing = 'length';
        this.declaredLength = Number(v);
        // Normalise only when needed, keeping the page's spelling of the name otherwise.
        if (h.getKey('content-length') !== String(this.declaredLength)) h.setTrusted('Content-Length', String(this.declaredLength), 'content-length');
      } else {
        h.deleteKey('content-length');
      }
    }
    if (!bodiless && this.framing === 'none') {
      if (final && (!this.streamOnEnd || this.options.method === 'HEAD')) {
        this.framing = 'length';
        this.declaredLength = this.pendingBytes;
        h.setTrusted('Content-Length', String(this.pendingBytes), 'content-length');
      } else if (this.options.method === 'HEAD') {
        this.framing = 'none';
      } else if (this.options.versionMinor === 1 && !raw) {
        this.framing = 'chunked';
        h.setTrusted('Transfer-Encoding', 'chunked', 'transfer-encoding');
      } else {
        this.framing = 'close';
      }
    }
    if (this.options.method === 'HEAD' || bodiless) {
      // The fields above describe the body a GET would get; no body bytes follow.
      this.declaredLength = this.framing === 'length' ? 0 : -1;
      this.framing = this.framing === 'length' ? 'length' : 'none';
    }

    // The fields the writer adds itself are valid by construction (setTrusted: no check).
    const connection = h.getKey('connection');
    if (this.framing === 'close' || (connection !== undefined && CONNECTION_CLOSE.test(connection))) this.keep = false;
    if (!this.keep) h.setTrusted('Connection', 'close', 'connection');
    else if (this.options.versionMinor === 0) h.setTrusted('Connection', 'keep-alive', 'connection');
    if (!h.hasKey('date')) h.addTrusted('Date', this.options.now ? httpDate(this.options.now()) : httpDateNow(), 'date');
    if (this.options.server !== undefined && !h.hasKey('server')) h.set('Server', this.options.server);
    // As BAS: the cookies go out last, whatever the response is (error pages and redirects too).
    if (this.jar) for (const v of this.jar.fields(this.options.now ? this.options.now().getTime() : Date.now())) h.add('Set-Cookie', v);

    this.out(responseHeadBytes(status, this.reason, h));
    this.phase = 'streaming';
  }

  /** Output of flush()/end(): collected while they run, else straight to the sink. */
  private out(b: Buffer | string): void {
    if (this.batch) this.batch.push(b);
    else this.sink(b);
  }

  /**
   * Hands what flush()/end() produced to the sink in one piece: head and body leave in one
   * write (one syscall, one TLS record) instead of two; a large body is not copied for that.
   */
  private sendBatch(): void {
    const parts = this.batch;
    this.batch = null;
    if (!parts || parts.length === 0) return;
    let total = 0;
    for (const p of parts) total += p.length;
    if (parts.length === 1 || total > COALESCE_LIMIT) {
      // Large: piece by piece, as without batching, rather than copying the body.
      for (const p of parts) this.sink(p);
      return;
    }
    if (this.sinkParts !== null) {
      this.sinkParts(parts, total);
      return;
    }
    // Small: one byte string, written once (Node copies it straight into the socket).
    let text = '';
    for (const p of parts) text += typeof p === 'string' ? p : p.toString('latin1');
    this.sink(text);
  }

  private sendBody(): void {
    if (this.pendingBytes === 0) return;
    let body = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.pendingBytes);
    this.discard();
    const noBody = this.options.method === 'HEAD' || this.status < 200 || this.status === 204 || this.status === 304;
    if (noBody || this.framing === 'none') return;
    if (this.framing === 'length') {
      // Bytes beyond the declared length would be read as the start of the next response.
      const room = this.declaredLength - this.bodyBytesSent;
      if (body.length > room) {
        body = body.subarray(0, Math.max(0, room));
        this.keep = false;
      }
      if (body.length === 0) return;
      this.out(body);
    } else if (this.framing === 'chunked') {
      const size = body.length.toString(16) + '\r\n';
      if (this.batch && body.length <= COALESCE_LIMIT) {
        // Copied once, with the rest of the batch (sendBatch).
        this.out(size);
        this.out(body);
        this.out('\r\n');
      } else this.out(Buffer.concat([Buffer.from(size, 'latin1'), body, CRLF]));
    } else {
      this.out(body);
    }
    this.bodyBytesSent += body.length;
  }
}
