/**
 * One interface for reading a request body whatever its framing (RFC 9112 §6.3), so the
 * connection code does not branch on Content-Length versus chunked.
 */
import { ChunkedDecoder, type ChunkedDecoderOptions } from './chunked-decoder.js';
import type { BodyDecoder, BodyFeedResult } from './body-feed.js';
import type { BodyFraming } from './request-parser.js';

export type { BodyDecoder, BodyFeedResult } from './body-feed.js';

/** Counts down a Content-Length. */
class LengthDecoder implements BodyDecoder {
  received = 0;

  constructor(private remaining: number) {}

  get done(): boolean {
    return this.remaining === 0;
  }

  feed(chunk: Uint8Array): BodyFeedResult {
    const take = Math.min(this.remaining, chunk.byteLength);
    this.remaining -= take;
    this.received += take;
    const data = take > 0 ? [Buffer.from(chunk.buffer, chunk.byteOffset, take)] : [];
    return { consumed: take, data, done: this.remaining === 0, error: null };
  }
}

/** A body of no bytes: nothing to count, so one decoder serves every bodiless request. */
const NO_BODY: BodyDecoder = Object.freeze({
  received: 0,
  done: true,
  feed: (): BodyFeedResult => ({ consumed: 0, data: [], done: true, error: null }),
});

/** A decoder for the framing the request head announced. */
export function createBodyDecoder(framing: BodyFraming, options: ChunkedDecoderOptions = {}): BodyDecoder {
  switch (framing.kind) {
    case 'chunked':
      return new ChunkedDecoder(options);
    case 'length':
      return new LengthDecoder(framing.length);
    case 'none':
      return NO_BODY;
  }
}
