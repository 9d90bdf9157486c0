/**
 * The HTTP request pipeline as small composable stages: each stage gets the
 * request context and `next`, and either answers or calls `next()`. The server composes
 * logging, start-up gate, authentication, routing, static files and LSP pages; an app server
 * embedding remora can add its own.
 */
import type { HttpExchange, HttpHandler } from '../http/http-connection.js';
import { parseUrlPath, PathMemo } from '../http/safe-path.js';
import type { RequestAuth } from '../ba/request.js';
import type { Stats } from 'node:fs';
import type { Dir } from '../ba/dir.js';
import type { IoSource } from '../fs/io-source.js';

/** Whose page a file is: an app, or a resource reader with lspfilter (its table as `app`). */
export interface PageOwner {
  /** Directory the file names are relative to. */
  readonly path: string;
  /** Registry ref of the pages' `app` table; 0 = a fresh table. */
  readonly envRef: number;
  /** The app's CPU budget in ms, when it has its own. */
  readonly cpuBudgetMs?: number;
}

/** A file chosen by routing: static content or a page of `app`. */
export interface RoutedFile {
  app: PageOwner;
  /** Real path on disk; with `io`, the file's name in that IO. */
  path: string;
  stat: Stats;
  isLsp: boolean;
  /** Path of the file within the app ("/dir/index.lsp"). */
  pathname: string;
  /** The resource reader that found it, when it is not an app's own directory. */
  dir?: Dir;
  /** The IO the file is read from when it is not on disk (src/server/io-files.ts). */
  io?: IoSource;
  /** With `io`: the URL of the directory that serves the IO ("/", "/name/"). */
  ioBase?: string;
}

export interface RequestContext {
  readonly exchange: HttpExchange;
  /**
   * The request path, percent-decoded segment by segment, for matching URL prefixes (auth
   * rules); null when the path is malformed (routing answers 400 or 404).
   */
  readonly decodedPath: string | null;
  /** Login and session state of this request (set by the auth stage). */
  auth: RequestAuth | null;
  /** Set by the routing stage. */
  file: RoutedFile | null;
  /** response:forward: how many times the request was forwarded, and the path it went on at. */
  forwards?: number;
  /** response:redirect hops so far (they do not make request:isforward true). */
  redirects?: number;
  forwardPath?: string;
  /** Registry ref of the command environment a forward carries to the next page (0/none). */
  cmdEnvRef?: number;
}

/**
 * A stage returns a promise only when it has to wait: a request that every stage can answer
 * at once (a page that never waits, a known file) costs no promise per stage.
 */
export type Next = () => void | Promise<void>;
export type Stage = (rc: RequestContext, next: Next) => void | Promise<void>;

const decoded = new PathMemo<string | null>();

/** Decodes a raw request path for prefix matching; null when it is not a valid path. */
export function decodePath(rawPath: string): string | null {
  return decoded.get(rawPath, decodeUncached);
}

function decodeUncached(rawPath: string): string | null {
  const p = parseUrlPath(rawPath);
  if (!p.ok) return null;
  const joined = '/' + p.segments.join('/');
  return p.trailingSlash && joined !== '/' ? joined + '/' : joined;
}

/** The request context; `decodedPath` is decoded when a stage first asks for it. */
class Context implements RequestContext {
  auth: RequestAuth | null = null;
  file: RoutedFile | null = null;
  private decoded: string | null | undefined;

  constructor(readonly exchange: HttpExchange) {}

  get decodedPath(): string | null {
    if (this.decoded === undefined) this.decoded = decodePath(this.exchange.head.path);
    return this.decoded;
  }
}

/** Runs the stages in order; a request no stage answered gets 404. */
export function compose(stages: readonly Stage[]): HttpHandler {
  return (exchange) => {
    const rc = new Context(exchange);
    const run = (i: number): void | Promise<void> => {
      const stage = stages[i];
      if (!stage) {
        exchange.response.sendError(404);
        return;
      }
      return stage(rc, () => run(i + 1));
    };
    return run(0);
  };
}

/** Holds requests until start-up (every .preload) has finished. */
export function startupGate(ready: Promise<void>): Stage {
  let open = false;
  void ready.then(() => (open = true));
  return (_rc, next) => (open ? next() : ready.then(next));
}

/** Access log: one line per request (method, path without query, status, body bytes). */
export function accessLog(write: (line: string) => void): Stage {
  return async (rc, next) => {
    const { head, response } = rc.exchange;
    try {
      await next();
    } finally {
      // The query is left out: it may carry credentials or tokens.
      write(`${head.method} ${head.path} ${rc.exchange.closed && !response.headersSent ? '-' : response.status} ${response.bodyBytesSent}\n`);
    }
  };
}
