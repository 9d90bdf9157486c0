/**
 * What every request-body decoder offers (Content-Length or chunked framing), in a file of its
 * own so the decoders and the factory in body-decoder.ts do not import each other.
 */
import type { HttpError } from './http-error.js';

export interface BodyFeedResult {
  /** Bytes of the input that belonged to the body (framing included). */
  consumed: number;
  /** Decoded body bytes; views into the input, valid until the caller reuses it. */
  data: Buffer[];
  /** True once the whole body has been seen. */
  done: boolean;
  /** Set when the peer's framing is broken; the connection must be closed. */
  error: HttpError | null;
}

export interface BodyDecoder {
  feed(chunk: Uint8Array): BodyFeedResult;
  readonly done: boolean;
  /** Body bytes delivered so far. */
  readonly received: number;
}
