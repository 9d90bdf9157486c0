/**
 * Incremental HTTP/1.1 request-head parser (RFC 9112 §2–§7), an explicit state machine in the
 * manner of: it takes whatever chunks the socket delivers — one byte at a time
 * included — keeps the unfinished line, and returns early when bytes are missing.
 *
 * It parses the head only. On success it reports how many bytes of the last chunk belong to the
 * head; the rest is the body, a pipelined next request, or, after a page calls
 * ba.socket.req2sock, bytes that belong to the page's new socket. That is why
 * the server runs on raw net.Socket and not on node:http.
 *
 * Strings produced here are byte strings (one char per byte, latin1); see header-list.ts.
 */
import { HeaderList } from './header-list.js';
import { HttpError } from './http-error.js';

export interface RequestParserOptions {
  /** Largest head in bytes, request line and the final empty line included. Default 16 KiB. */
  maxHeadSize?: number;
  /** Most header fields accepted. Default 100. */
  maxHeaders?: number;
  /**
   * Answer 400 to an HTTP/1.1 request without exactly one Host field, as RFC 9112 §3.2 says a
   * server MUST. Off by default: BAS serves such requests, and hand-written test peers and
   * scripts (`GET / HTTP/1.1\r\n\r\n`) rely on that.
   */
  requireHost?: boolean;
}

/** How the request body is delimited (RFC 9112 §6.3). */
export type BodyFraming =
  | { kind: 'none' }
  | { kind: 'length'; length: number }
  | { kind: 'chunked' };

/** The four request-target forms of RFC 9112 §3.2. */
export type TargetForm = 'origin' | 'absolute' | 'authority' | 'asterisk';

export interface RequestHead {
  method: string;
  /** The request-target exactly as received. */
  target: string;
  targetForm: TargetForm;
  /** Path part of the target, still percent-encoded ("/" for absolute-form without a path). */
  path: string;
  /** Query without the "?", still encoded; null when the target has no "?". */
  query: string | null;
  versionMajor: 1;
  /** 0 or 1; a higher 1.x minor is handled as 1.1 (RFC 9110 §2.5). */
  versionMinor: 0 | 1;
  headers: HeaderList;
  body: BodyFraming;
  /** The client's wish: HTTP/1.1 unless "Connection: close", HTTP/1.0 only with "keep-alive". */
  keepAlive: boolean;
  /** Connection: upgrade plus an Upgrade field, or a CONNECT: the connection may change hands. */
  upgrade: boolean;
  /** "Expect: 100-continue" on an HTTP/1.1 request. */
  expectContinue: boolean;
  /** Bytes the head occupied on the wire, leading empty lines included. */
  headSize: number;
}

export type ParseResult =
  | { state: 'incomplete'; consumed: number }
  | { state: 'complete'; consumed: number; head: RequestHead }
  | { state: 'error'; consumed: number; error: HttpError };

const enum Phase {
  RequestLine,
  Headers,
  Done,
  Failed,
}

const DEFAULT_MAX_HEAD = 16 * 1024;
const DEFAULT_MAX_HEADERS = 100;
const LF = 0x0a;
const CR = 0x0d;
const HEAD_END = Buffer.from('\r\n\r\n', 'latin1');
/** Chunks up to this size are turned into one string before the head's end is looked for. */
const SMALL_CHUNK = 2048;

// tchar of RFC 9110 §5.6.2, the alphabet of methods and field names.
const TCHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~") TCHAR[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) TCHAR[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TCHAR[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TCHAR[c] = 1;

function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (!TCHAR[s.charCodeAt(i)]) return false;
  return true;
}

/** Field values may hold VCHAR, SP, HTAB and obs-text, never other controls (RFC 9110 §5.5). */
function isFieldValue(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) return false;
  }
  return true;
}

/** Targets may not contain controls, DEL or a fragment; bytes above 0x7f are tolerated. */
function isTarget(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f || c === 0x23 /* # */) return false;
  }
  return true;
}

function trimOws(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && (s.charCodeAt(a) === 0x20 || s.charCodeAt(a) === 0x09)) a++;
  while (b > a && (s.charCodeAt(b - 1) === 0x20 || s.charCodeAt(b - 1) === 0x09)) b--;
  return s.slice(a, b);
}

/** Splits a comma-separated list field (RFC 9110 §5.6.1), dropping empty elements. */
function listTokens(values: string[]): string[] {
  const out: string[] = [];
  for (const v of values) {
    for (const part of v.split(',')) {
      const t = trimOws(part).toLowerCase();
      if (t) out.push(t);
    }
  }
  return out;
}

const VERSION = /^HTTP\/(\d)\.(\d)$/;
const NO_TOKENS: readonly string[] = [];
const NO_BODY: BodyFraming = Object.freeze({ kind: 'none' });
const ABSOLUTE = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;

export class RequestParser {
  private readonly maxHeadSize: number;
  private readonly maxHeaders: number;
  private readonly requireHost: boolean;

  private phase = Phase.RequestLine;
  /** Bytes of the current line received in earlier chunks. */
  private partial: Buffer[] = [];
  private headSize = 0;
  private method = '';
  private target = '';
  private minor: 0 | 1 = 1;
  private headers = new HeaderList();

  constructor(options: RequestParserOptions = {}) {
    this.maxHeadSize = options.maxHeadSize ?? DEFAULT_MAX_HEAD;
    this.maxHeaders = options.maxHeaders ?? DEFAULT_MAX_HEADERS;
    this.requireHost = options.requireHost ?? false;
  }

  /** True between the first byte of a head and its end: EOF now means a truncated request. */
  get inProgress(): boolean {
    return this.phase !== Phase.Done && this.phase !== Phase.Failed && this.headSize > 0;
  }

  /** Prepares for the next request on the same connection. */
  reset(): void {
    this.phase = Phase.RequestLine;
    this.partial = [];
    this.headSize = 0;
    this.method = '';
    this.target = '';
    this.minor = 1;
    this.headers = new HeaderList();
  }

  /**
   * Consumes bytes of `chunk` up to the end of the head. `consumed` says how many; bytes past it
   * were not looked at and belong to whoever reads next. After 'complete' or 'error', call
   * reset() before feeding again.
   */
  feed(chunk: Uint8Array): ParseResult {
    if (this.phase === Phase.Done || this.phase === Phase.Failed) {
      throw new Error('RequestParser.feed after the head ended; call reset() first');
    }
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let off = 0;
    if (this.partial.length === 0) {
      // Fast path: the whole head is in this chunk (the usual case). One latin1 string for
      // it, cut into lines, instead of a view and a string per line. Lines are the same as
      // the general loop's, so are the answers; it stops at the empty line, whatever follows.
      // A small chunk is searched as a string (no call into Buffer's native indexOf).
      let text: string | null = null;
      let end: number;
      if (buf.length <= SMALL_CHUNK) {
        const all = buf.toString('latin1');
        end = all.indexOf('\r\n\r\n');
        text = all;
      } else end = buf.indexOf(HEAD_END);
      if (end >= 0 && this.headSize + end + 4 <= this.maxHeadSize) {
        if (text === null) text = buf.toString('latin1', 0, end + 4);
        const stop = end + 4;
        let at = 0;
        while (at < stop) {
          const lf = text.indexOf('\n', at);
          this.headSize += lf + 1 - at;
          const cut = lf > at && text.charCodeAt(lf - 1) === CR ? lf - 1 : lf;
          const step = this.onText(text.slice(at, cut));
          at = lf + 1;
          if (step instanceof HttpError) return this.fail(at, step);
          if (step === 'done') {
            try {
              return { state: 'complete', consumed: at, head: this.finish() };
            } catch (e) {
              if (e instanceof HttpError) return this.fail(at, e);
              throw e;
            }
          }
        }
        off = at;
      }
    }
    while (off < buf.length) {
      const lf = buf.indexOf(LF, off);
      const end = lf < 0 ? buf.length : lf + 1;
      // Checked before waiting for the line end, so an endless line is refused early; the
      // error is reported at the first byte past the limit, whatever the chunking.
      if (this.headSize + (end - off) > this.maxHeadSize) {
        return this.fail(off + (this.maxHeadSize - this.headSize) + 1, this.tooLarge());
      }
      this.headSize += end - off;
      if (lf < 0) {
        // Copy: the caller may reuse its buffer once feed returns.
        this.partial.push(Buffer.from(buf.subarray(off)));
        return { state: 'incomplete', consumed: buf.length };
      }
      let line = buf.subarray(off, lf);
      if (this.partial.length > 0) {
        this.partial.push(line);
        line = Buffer.concat(this.partial);
        this.partial = [];
      }
      off = end;
      const step = this.onLine(line);
      if (step instanceof HttpError) return this.fail(off, step);
      if (step === 'done') {
        try {
          return { state: 'complete', consumed: off, head: this.finish() };
        } catch (e) {
          if (e instanceof HttpError) return this.fail(off, e);
          throw e;
        }
      }
    }
    return { state: 'incomplete', consumed: buf.length };
  }

  private fail(consumed: number, error: HttpError): ParseResult {
    this.phase = Phase.Failed;
    this.partial = [];
    return { state: 'error', consumed, error };
  }

  private tooLarge(): HttpError {
    // RFC 9112 §3: an over-long request line is answered 414; an over-long head 431 (RFC 6585 §5).
    return this.phase === Phase.RequestLine
      ? new HttpError(414, 'URI_TOO_LONG', `peer sent a request line longer than ${this.maxHeadSize} bytes`)
      : new HttpError(431, 'HEAD_TOO_LARGE', `peer sent a request head larger than ${this.maxHeadSize} bytes`);
  }

  /** One line without its LF. Returns an error, 'done' at the empty line, or null to go on. */
  private onLine(raw: Buffer): HttpError | 'done' | null {
    // RFC 9112 §2.2: CRLF ends a line; a bare LF is accepted, a bare CR elsewhere is invalid.
    const body = raw.length > 0 && raw[raw.length - 1] === CR ? raw.subarray(0, raw.length - 1) : raw;
    return this.onText(body.toString('latin1'));
  }

  /** A line as a byte string, without its LF and the CR before it. */
  private onText(line: string): HttpError | 'done' | null {
    // Any other CR is a bare CR.
    if (line.indexOf('\r') >= 0) {
      return new HttpError(400, this.phase === Phase.RequestLine ? 'BAD_REQUEST_LINE' : 'BAD_HEADER', 'peer sent a bare CR in the request head');
    }
    if (this.phase === Phase.RequestLine) {
      // RFC 9112 §2.2: empty lines before the request line are ignored (old clients send an
      // extra CRLF after a POST body). They still count against maxHeadSize.
      if (line.length === 0) return null;
      return this.requestLine(line);
    }
    if (line.length === 0) {
      this.phase = Phase.Done;
      return 'done';
    }
    return this.headerLine(line);
  }

  private requestLine(line: string): HttpError | null {
    // RFC 9112 §3: exactly one SP between the parts. Being strict here leaves no room for
    // disagreement with a proxy about where the target ends.
    // Three parts split by indexOf (no array per request).
    const sp1 = line.indexOf(' ');
    const sp2 = sp1 < 0 ? -1 : line.indexOf(' ', sp1 + 1);
    if (sp2 < 0 || line.indexOf(' ', sp2 + 1) >= 0) {
      return new HttpError(400, 'BAD_REQUEST_LINE', 'peer sent a malformed request line');
    }
    const method = line.slice(0, sp1);
    const target = line.slice(sp1 + 1, sp2);
    const version = line.slice(sp2 + 1);
    if (!isToken(method)) return new HttpError(400, 'BAD_METHOD', 'peer sent an invalid method');
    if (!isTarget(target)) return new HttpError(400, 'BAD_TARGET', 'peer sent an invalid request target');
    let minor: 0 | 1;
    if (version === 'HTTP/1.1') minor = 1;
    else if (version === 'HTTP/1.0') minor = 0;
    else {
      const v = VERSION.exec(version);
      if (!v) return new HttpError(400, 'BAD_VERSION', 'peer sent a malformed HTTP version');
      if (v[1] !== '1') {
        return new HttpError(505, 'UNSUPPORTED_VERSION', `peer asked for HTTP/${v[1]}.${v[2]}; only HTTP/1.x is served`);
      }
      minor = v[2] === '0' ? 0 : 1;
    }
    this.method = method;
    this.target = target;
    this.minor = minor;
    this.phase = Phase.Headers;
    return null;
  }

  private headerLine(line: string): HttpError | null {
    const c0 = line.charCodeAt(0);
    if (c0 === 0x20 || c0 === 0x09) {
      // obs-fold: RFC 9112 §5.2 lets a server reject it with 400 instead of unfolding.
      return new HttpError(400, 'BAD_HEADER', 'peer sent an obsolete folded header line');
    }
    const colon = line.indexOf(':');
    // A name with whitespace before the colon MUST be rejected (RFC 9112 §5.1, smuggling).
    const name = colon < 0 ? '' : line.slice(0, colon);
    if (!isToken(name)) return new HttpError(400, 'BAD_HEADER', 'peer sent a malformed header line');
    // The value without the whitespace around it, cut once.
    let a = colon + 1;
    let z = line.length;
    while (a < z && (line.charCodeAt(a) === 0x20 || line.charCodeAt(a) === 0x09)) a++;
    while (z > a && (line.charCodeAt(z - 1) === 0x20 || line.charCodeAt(z - 1) === 0x09)) z--;
    const value = line.slice(a, z);
    if (!isFieldValue(value)) return new HttpError(400, 'BAD_HEADER', `peer sent a control character in header ${name}`);
    if (this.headers.size >= this.maxHeaders) {
      return new HttpError(431, 'TOO_MANY_HEADERS', `peer sent more than ${this.maxHeaders} header fields`);
    }
    this.headers.add(name, value);
    return null;
  }

  /** Turns the collected fields into a head; invalid framing fails the whole request. */
  private finish(): RequestHead {
    const h = this.headers;
    const target = this.target;
    let targetForm: TargetForm;
    let path: string;
    let query: string | null = null;
    if (target.charCodeAt(0) === 0x2f /* / */) {
      targetForm = 'origin';
      path = target;
    } else if (target === '*') {
      targetForm = 'asterisk';
      path = '*';
    } else if (ABSOLUTE.test(target)) {
      targetForm = 'absolute';
      const afterScheme = target.indexOf('//') + 2;
      const slash = target.indexOf('/', afterScheme);
      const qm = target.indexOf('?', afterScheme);
      const pathStart = slash >= 0 && (qm < 0 || slash < qm) ? slash : -1;
      path = pathStart < 0 ? '/' + (qm >= 0 ? target.slice(qm) : '') : target.slice(pathStart);
    } else if (this.method === 'CONNECT') {
      targetForm = 'authority';
      path = target;
    } else {
      throw this.abort(new HttpError(400, 'BAD_TARGET', 'peer sent a request target of unknown form'));
    }
    if (targetForm === 'asterisk' && this.method !== 'OPTIONS') {
      throw this.abort(new HttpError(400, 'BAD_TARGET', 'peer sent "*" as the target of a non-OPTIONS request'));
    }
    if (targetForm === 'origin' || targetForm === 'absolute') {
      const qm = path.indexOf('?');
      if (qm >= 0) {
        query = path.slice(qm + 1);
        path = path.slice(0, qm);
      }
    }

    if (this.requireHost && this.minor === 1 && h.getAllKey('host').length !== 1) {
      throw this.abort(new HttpError(400, 'MISSING_HOST', 'peer sent an HTTP/1.1 request without exactly one Host field'));
    }

    const body = this.framing();
    const connection = h.hasKey('connection') ? listTokens(h.getAllKey('connection')) : NO_TOKENS;
    const close = connection.includes('close');
    const keepAlive = this.minor === 1 ? !close : !close && connection.includes('keep-alive');
    const upgrade = this.method === 'CONNECT' || (connection.length > 0 && connection.includes('upgrade') && h.hasKey('upgrade'));
    const expect = this.minor === 1 ? h.getKey('expect') : undefined;
    return {
      method: this.method,
      target,
      targetForm,
      path,
      query,
      versionMajor: 1,
      versionMinor: this.minor,
      headers: h,
      body,
      keepAlive,
      upgrade,
      expectContinue: this.minor === 1 && expect !== undefined && expect.trim().toLowerCase() === '100-continue',
      headSize: this.headSize,
    };
  }

  /** RFC 9112 §6.3: how long the body is, refusing every ambiguous combination. */
  private framing(): BodyFraming {
    const h = this.headers;
    // Most requests (GET) carry neither field.
    if (!h.hasKey('transfer-encoding') && !h.hasKey('content-length')) return NO_BODY;
    const te = h.getAllKey('transfer-encoding');
    const cl = h.getAllKey('content-length');
    if (te.length > 0) {
      // Both present is the classic smuggling vector; RFC 9112 §6.1 allows rejecting it.
      if (cl.length > 0) {
        throw this.abort(new HttpError(400, 'BAD_TRANSFER_ENCODING', 'peer sent both Transfer-Encoding and Content-Length'));
      }
      // RFC 9112 §6.1: Transfer-Encoding in an HTTP/1.0 message means faulty framing.
      if (this.minor === 0) {
        throw this.abort(new HttpError(400, 'BAD_TRANSFER_ENCODING', 'peer sent Transfer-Encoding in an HTTP/1.0 request'));
      }
      const codings = listTokens(te);
      const chunkedCount = codings.filter((c) => c === 'chunked').length;
      // chunked must be last (else the length is unknowable, RFC 9112 §6.3 item 4) and appear once.
      if (codings.length === 0 || codings[codings.length - 1] !== 'chunked' || chunkedCount !== 1) {
        throw this.abort(new HttpError(400, 'BAD_TRANSFER_ENCODING', 'peer sent a Transfer-Encoding not ending in a single chunked'));
      }
      if (codings.length > 1) {
        throw this.abort(new HttpError(501, 'UNSUPPORTED_TRANSFER_CODING', `peer sent transfer coding ${codings.slice(0, -1).join(', ')}, which is not implemented`));
      }
      return { kind: 'chunked' };
    }
    if (cl.length > 0) {
      // RFC 9110 §8.6: a list of identical values may be accepted; anything else is an error.
      let length = -1;
      for (const v of cl) {
        for (const part of v.split(',')) {
          const t = trimOws(part);
          if (!/^\d{1,15}$/.test(t)) {
            throw this.abort(new HttpError(400, 'BAD_CONTENT_LENGTH', 'peer sent an invalid Content-Length'));
          }
          const n = Number(t);
          if (length >= 0 && n !== length) {
            throw this.abort(new HttpError(400, 'BAD_CONTENT_LENGTH', 'peer sent conflicting Content-Length values'));
          }
          length = n;
        }
      }
      return length === 0 ? { kind: 'none' } : { kind: 'length', length };
    }
    return { kind: 'none' };
  }

  private abort(error: HttpError): HttpError {
    this.phase = Phase.Failed;
    return error;
  }
}
