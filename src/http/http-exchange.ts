/**
 * What a request handler of the HTTP server (http-connection.ts) is given: the request, its
 * response writer, the connection's output queue, and the way out of HTTP (takeOver).
 */
import type { Socket } from 'node:net';
import type { BodyStream } from './body-stream.js';
import type { RequestHead } from './request-parser.js';
import type { ResponseWriter } from './response-writer.js';

/** One request as the handler sees it. */
export interface HttpExchange {
  readonly head: RequestHead;
  /** The whole request body (empty when there is none, or when it is streamed). */
  readonly body: Buffer;
  /** The body while it arrives, for large bodies (see streamThreshold); else null. */
  readonly bodyStream: BodyStream | null;
  readonly response: ResponseWriter;
  readonly socket: Socket;
  /** True on a TLS connection. */
  readonly secure: boolean;
  /** True once the connection is closed or taken over. */
  readonly closed: boolean;
  /** Response bytes accepted and not yet handed to the kernel. */
  readonly queued: number;
  /** Calls `cb(true)` once nothing is queued, `cb(false)` when the connection goes first. */
  whenDrained(cb: (ok: boolean) => void): void;
  removeDrainWaiter(cb: (ok: boolean) => void): void;
  /**
   * Takes the connection out of HTTP: unflushed response output is discarded, nothing more
   * is written, and the caller owns the socket (paused, no listeners of ours). `pending` are
   * the bytes read past the request head (body included). Null when the connection is
   * already gone (ba.socket.req2sock then returns nil, "socketclosed").
   */
  takeOver(): { socket: Socket; pending: Buffer } | null;
}

export type HttpHandler = (exchange: HttpExchange) => void | Promise<void>;

/** Output queued above which a writer of a long response waits (Node's stream high-water mark). */
const PIECE_HIGH_WATER = 16 * 1024;

/**
 * For a writer of a long response, after each piece: null while little is queued, else a
 * promise fulfilled once the output has reached the kernel or the connection is gone.
 */
export function backlog(ex: HttpExchange): Promise<void> | null {
  if (ex.queued < PIECE_HIGH_WATER) return null;
  return new Promise((resolve) => ex.whenDrained(() => resolve()));
}
