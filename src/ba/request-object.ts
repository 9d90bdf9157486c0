/**
 * The state of one page request as Lua sees it (`LRequest`), without its Lua methods (those are
 * in request.ts, request-body.ts, request-extra.ts), so the files that read or change it need
 * not import request.ts.
 */
import type { HttpExchange } from '../http/http-connection.js';
import { decodeRequestParams, type FormParams } from '../http/form-decoder.js';
import type { MultipartParser, MultipartEvent } from '../http/multipart-parser.js';
import type { Task } from '../sched/scheduler.js';
import { addrOf } from '../net/sock-addr.js';
import { isIPv6 } from '../net/resolve.js';
import type { RequestSession } from './auth-core.js';
import type { IoSource } from '../fs/io-source.js';

/** Session and login state of a request (auth-core.ts). */
export type RequestAuth = RequestSession;

/** A request:multipart() in progress. */
interface MultipartState {
  parser: MultipartParser;
  events: MultipartEvent[];
  /** Next byte of a received-whole body to feed. */
  pos: number;
  /** Largest piece read from a streamed body. */
  size: number;
}

/** How the page runner lets a request stop its page (one object per run, not a closure each). */
export interface PageStopper {
  /** request:abort(): the page stops and its output is the response; `close` drops the connection instead. */
  abort(close?: boolean): void;
  /** The page stops where it is; the response is left to whoever took the request. */
  stop(): void;
}

/** One page request as Lua sees it. */

export class LRequest {
  /** Parameters from the query and an urlencoded body, decoded on first use. */
  private paramsCache: FormParams | null = null;
  /** The page task running for this request. */
  task: Task | null = null;
  /** False once the page has ended: the object's output methods do nothing any more. */
  live = true;
  /** The connection was taken over by ba.socket.req2sock. */
  taken = false;
  /** request:multipart() in progress, if any. */
  multipart: MultipartState | null = null;
  /** Position of each request:rawrdr() reader in the body (readers are independent, as in Mako). */
  readonly readers: number[] = [];
  /** Bytes of a streamed body taken from the stream so far (src/ba/request-body.ts). */
  seen = 0;
  /**
   * The first bytes of a streamed body, kept while at most 64 KiB were taken so that each
   * reader starts at the beginning; null once more were (readers then share the stream).
   * Undefined until the first bytes are kept.
   */
  kept: Buffer | null | undefined = undefined;
  /**
   * Stops the page (the page runner sets it): request:abort() ends the response with what the
   * page wrote, as Mako does; `close` drops the connection unanswered instead.
   */
  onAbort: PageStopper | null = null;
  /** Where the running page lives, for include (set by the page runner). */
  place: { root: string; dir: string; envRef: number; ioRef?: number; io?: IoSource; owner?: object } | null = null;
  /** Registry ref of the first page's _ENV (the command environment include and forward share). */
  cmdEnvRef = 0;
  /** Runs a directory function (dir:setfunc), not a page. */
  inDirFunction = false;
  /** response:forward(path) in a directory function: where the request goes once it has ended. */
  forwardTo: string | null = null;
  /** forwardTo came from response:redirect: the target does not count as forwarded (isforward). */
  forwardIsRedirect = false;
  /** The page ended itself (forward, a refused request:allow): its raised nil is no error. */
  exited = false;
  /** Forwards that led to this page (request:isforward), include nesting (isinclude). */
  forwards = 0;
  includes = 0;
  /**
   * Ends the page where it is without touching the response (the page runner sets it; an
   * upload that took the request calls it, as BAS stops the page at the uploader's call).
   */
  onStop: PageStopper | null = null;
  /**
   * Set when something outlives the page and owns the response (an upload, a deferred
   * response): the runner answers the HTTP connection only once it resolves.
   */
  hold: Promise<void> | null = null;

  constructor(
    readonly id: number,
    readonly exchange: HttpExchange,
    /** Login state; the auth library makes it on first use when the pipeline gave none. */
    public auth: RequestAuth | null,
  ) {}

  get params(): FormParams {
    if (!this.paramsCache) {
      const h = this.exchange.head;
      this.paramsCache = decodeRequestParams(h.query, h.headers.get('content-type'), this.exchange.body);
    }
    return this.paramsCache;
  }

  /** Absolute URL without the query (`request:url()`). */
  url(): string {
    return originOf(this.exchange) + this.exchange.head.path;
  }
}

/** "scheme://host[:port]" of a request: its Host field, else the address it came in on. */
export function originOf(exchange: HttpExchange): string {
  const scheme = exchange.secure ? 'https' : 'http';
  let host = exchange.head.headers.get('host');
  if (!host) {
    const [ip, port] = addrOf(exchange.socket, false) ?? ['localhost', 0];
    host = isIPv6(ip) ? `[${ip}]:${port}` : `${ip}:${port}`;
  }
  return `${scheme}://${host}`;
}
