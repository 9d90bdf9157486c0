/**
 * The HTTP/1.1 client engine: one request/response exchange on a connection, the response head
 * parsed from buffered bytes, the body decoded by its framing (RFC 9112 §6.3) into pending
 * bytes. Nothing here knows about Lua; src/ba/httpc.ts is the Lua face.
 */
import type { TcpConn } from '../net/tcp-conn.js';
import { ChunkedDecoder } from './chunked-decoder.js';
import { ResponseHeadParser, type ResponseHead } from './response-head-parser.js';
import type { ClientUrl } from './client-request.js';

/** How the response body is framed (RFC 9112 §6.3). */
export type BodyReader =
  | { kind: 'none' }
  | { kind: 'length'; left: number }
  | { kind: 'chunked'; dec: ChunkedDecoder }
  | { kind: 'close' };

/** One request/response on the connection. */
export interface Exchange {
  readonly url: ClientUrl;
  readonly method: string;
  readonly wsKey: string | null;
  /** The upgrade request offered permessage-deflate (RFC 7692). */
  readonly wsDeflate: boolean;
  /** Request body framing chosen by `request`. */
  reqBody: 'none' | 'length' | 'chunked';
  /** The request body is complete (chunked: the last chunk was sent). */
  reqDone: boolean;
  readonly parser: ResponseHeadParser;
  head: ResponseHead | null;
  body: BodyReader | null;
  /** Decoded body bytes not yet returned by `read`. */
  pending: Buffer[];
  pendingLen: number;
  bodyDone: boolean;
  /** The response asked to close the connection (or has no other end of body). */
  closeAfter: boolean;
}

/** A new exchange, before its response: `reqBody` is the request body's framing. */
export function newExchange(
  url: ClientUrl,
  method: string,
  reqBody: Exchange['reqBody'] = 'none',
  ws: { key: string | null; deflate: boolean } = { key: null, deflate: false },
): Exchange {
  return {
    url,
    method,
    wsKey: ws.key,
    wsDeflate: ws.deflate,
    reqBody,
    reqDone: reqBody === 'none',
    parser: new ResponseHeadParser(),
    head: null,
    body: null,
    pending: [],
    pendingLen: 0,
    bodyDone: false,
    closeAfter: false,
  };
}

/** The current exchange with its request body finished (chunked: the last chunk is sent). */
export function finishRequest(ex: Exchange, conn: TcpConn): Exchange {
  if (!ex.reqDone) {
    if (ex.reqBody === 'chunked' && conn.writable) conn.write(Buffer.from('0\r\n\r\n', 'latin1'));
    ex.reqDone = true;
  }
  return ex;
}

/**
 * Parses the response head from buffered bytes. Returns true when it is complete, an error
 * string when the response cannot come, false when more bytes are needed.
 */
export function parseHead(conn: TcpConn, ex: Exchange): true | false | string {
  if (ex.head) return true;
  for (;;) {
    const b = conn.read(64 * 1024);
    if (!b) return conn.ended ? (conn.ended === 'closenotify' ? 'sslclosenotify' : 'socketreadfailed') : false;
    const r = ex.parser.feed(b);
    if (r.state === 'incomplete') continue;
    if (r.state === 'error') return 'unknown';
    conn.unshift(b.subarray(r.consumed));
    const head = r.head;
    // RFC 9110 §15.2: interim responses before the final one (a 101 is final here).
    if (head.status >= 100 && head.status < 200 && head.status !== 101) continue;
    ex.head = head;
    ex.body = bodyReader(ex.method, head);
    ex.bodyDone = ex.body.kind === 'none' || (ex.body.kind === 'length' && ex.body.left === 0);
    const conn_ = fieldValues(head, 'connection').join(',').toLowerCase();
    ex.closeAfter = ex.body.kind === 'close' || head.status === 101 || conn_.includes('close') || (head.version === 'HTTP/1.0' && !conn_.includes('keep-alive'));
    return true;
  }
}

/**
 * Moves body bytes from the connection through the body decoder into `ex.pending`. Returns
 * an error string when the connection failed before the body's end.
 */
export function pumpBody(conn: TcpConn, ex: Exchange): string | null {
  const body = ex.body!;
  while (!ex.bodyDone) {
    const b = conn.read(64 * 1024);
    if (!b) {
      if (!conn.ended) return null;
      if (body.kind === 'close') {
        ex.bodyDone = true;
        return null;
      }
      return conn.ended === 'closenotify' ? 'sslclosenotify' : 'socketreadfailed';
    }
    let data: Buffer[];
    let consumed: number;
    if (body.kind === 'length') {
      consumed = Math.min(body.left, b.length);
      body.left -= consumed;
      data = consumed > 0 ? [b.subarray(0, consumed)] : [];
      if (body.left === 0) ex.bodyDone = true;
    } else if (body.kind === 'chunked') {
      const r = body.dec.feed(b);
      if (r.error) return 'unknown';
      consumed = r.consumed;
      data = r.data;
      if (r.done) ex.bodyDone = true;
    } else {
      consumed = b.length;
      data = [b];
    }
    if (consumed < b.length) conn.unshift(b.subarray(consumed));
    for (const d of data) {
      if (d.length === 0) continue;
      ex.pending.push(d);
      ex.pendingLen += d.length;
    }
  }
  return null;
}

/** Takes up to `max` decoded bytes (all with Infinity). */
export function takeBody(ex: Exchange, max: number): Buffer {
  if (ex.pendingLen <= max) {
    const out = ex.pending.length === 1 ? ex.pending[0]! : Buffer.concat(ex.pending, ex.pendingLen);
    ex.pending = [];
    ex.pendingLen = 0;
    return out;
  }
  const parts: Buffer[] = [];
  let n = 0;
  while (n < max) {
    const p = ex.pending[0]!;
    const take = Math.min(p.length, max - n);
    parts.push(p.subarray(0, take));
    n += take;
    if (take === p.length) ex.pending.shift();
    else ex.pending[0] = p.subarray(take);
  }
  ex.pendingLen -= n;
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts, n);
}

/** Values of a response field (case-insensitive name), in order. */
export function fieldValues(head: ResponseHead, name: string): string[] {
  const lower = name.toLowerCase();
  const out: string[] = [];
  for (const [n, v] of head.fields) if (n.toLowerCase() === lower) out.push(v);
  return out;
}

/** RFC 9112 §6.3: how the response body ends. */
export function bodyReader(method: string, head: ResponseHead): BodyReader {
  const s = head.status;
  if (method === 'HEAD' || (s >= 100 && s < 200) || s === 204 || s === 304) return { kind: 'none' };
  const te = fieldValues(head, 'transfer-encoding').join(',').toLowerCase();
  if (te.split(',').some((x) => x.trim() === 'chunked')) return { kind: 'chunked', dec: new ChunkedDecoder() };
  const cl = fieldValues(head, 'content-length');
  if (cl.length > 0 && /^[0-9]+$/.test(cl[0]!.trim())) return { kind: 'length', left: Number(cl[0]!.trim()) };
  return { kind: 'close' };
}
