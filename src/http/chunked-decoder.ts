/**
 * Decoder for the chunked transfer coding of a request body (RFC 9112 §7.1), a byte-level
 * state machine that accepts any chunking of its input and stops right after
 * the final CRLF, so a pipelined request that follows stays with the caller.
 *
 * Unlike the head parser it insists on CRLF everywhere: disagreement with a front proxy about a
 * bare LF after chunk data is a known request-smuggling vector, and real clients send CRLF.
 */
import type { BodyDecoder, BodyFeedResult } from './body-feed.js';
import { HeaderList } from './header-list.js';
import { HttpError } from './http-error.js';
import { hexDigit } from './percent-decode.js';

export interface ChunkedDecoderOptions {
  /** Largest chunk extension accepted, per chunk. Default 4096. */
  maxExtensionSize?: number;
  /** Largest trailer section accepted. Default 16 KiB. */
  maxTrailerSize?: number;
}

const enum S {
  Size,
  SizeWs,
  Ext,
  SizeLf,
  Data,
  DataCr,
  DataLf,
  TrailerStart,
  Trailer,
  TrailerLf,
  EndLf,
  Done,
  Failed,
}

const CR = 0x0d;
const LF = 0x0a;
// 13 hex digits stay below 2^53, so sizes remain exact JS numbers.
const MAX_SIZE_DIGITS = 13;

export class ChunkedDecoder implements BodyDecoder {
  private state = S.Size;
  private size = 0;
  private sizeDigits = 0;
  private remaining = 0;
  private extLen = 0;
  private trailerLen = 0;
  private line: number[] = [];
  /** Trailer fields, if the client sent any. */
  readonly trailers = new HeaderList();
  /** Body bytes delivered so far. */
  received = 0;
  private readonly maxExt: number;
  private readonly maxTrailer: number;

  constructor(options: ChunkedDecoderOptions = {}) {
    this.maxExt = options.maxExtensionSize ?? 4096;
    this.maxTrailer = options.maxTrailerSize ?? 16 * 1024;
  }

  get done(): boolean {
    return this.state === S.Done;
  }

  /**
   * Decodes as much of `chunk` as belongs to this body. `data` are views into `chunk`: copy
   * them if the caller reuses its buffer.
   */
  feed(chunk: Uint8Array): BodyFeedResult {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const data: Buffer[] = [];
    let i = 0;
    const n = buf.length;
    if (this.state === S.Failed) throw new Error('ChunkedDecoder.feed after an error');
    while (i < n && this.state !== S.Done) {
      if (this.state === S.Data) {
        const take = Math.min(this.remaining, n - i);
        data.push(buf.subarray(i, i + take));
        this.remaining -= take;
        this.received += take;
        i += take;
        if (this.remaining === 0) this.state = S.DataCr;
        continue;
      }
      const c = buf[i++];
      const err = this.step(c);
      if (err) {
        this.state = S.Failed;
        return { consumed: i, data, done: false, error: err };
      }
    }
    return { consumed: i, data, done: this.state === S.Done, error: null };
  }

  /** One framing byte. */
  private step(c: number): HttpError | null {
    switch (this.state) {
      case S.Size: {
        const h = hexDigit(c);
        if (h >= 0) {
          if (++this.sizeDigits > MAX_SIZE_DIGITS) return bad('peer sent a chunk size too large');
          this.size = this.size * 16 + h;
          return null;
        }
        if (this.sizeDigits === 0) return bad('peer sent a chunk without a size');
        return this.afterSize(c);
      }
      case S.SizeWs:
        // BWS before ";" (RFC 9112 §7.1.1).
        return this.afterSize(c);
      case S.Ext:
        if (c === CR) {
          this.state = S.SizeLf;
          return null;
        }
        if (c === LF || (c < 0x20 && c !== 0x09) || c === 0x7f) return bad('peer sent a control character in a chunk extension');
        if (++this.extLen > this.maxExt) return bad('peer sent a chunk extension too long');
        return null;
      case S.SizeLf:
        if (c !== LF) return bad('peer sent a chunk size line not ended by CRLF');
        if (this.size === 0) {
          this.state = S.TrailerStart;
        } else {
          this.remaining = this.size;
          this.state = S.Data;
        }
        return null;
      case S.DataCr:
        if (c !== CR) return bad('peer sent chunk data longer than its size');
        this.state = S.DataLf;
        return null;
      case S.DataLf:
        if (c !== LF) return bad('peer sent chunk data not followed by CRLF');
        this.size = 0;
        this.sizeDigits = 0;
        this.extLen = 0;
        this.state = S.Size;
        return null;
      case S.TrailerStart:
        if (c === CR) {
          this.state = S.EndLf;
          return null;
        }
        this.state = S.Trailer;
        return this.trailerByte(c);
      case S.Trailer:
        if (c === CR) {
          this.state = S.TrailerLf;
          return null;
        }
        return this.trailerByte(c);
      case S.TrailerLf: {
        if (c !== LF) return bad('peer sent a trailer line not ended by CRLF');
        const err = this.trailerField(Buffer.from(this.line).toString('latin1'));
        this.line = [];
        this.state = S.TrailerStart;
        return err;
      }
      case S.EndLf:
        if (c !== LF) return bad('peer sent a chunked body not ended by CRLF');
        this.state = S.Done;
        return null;
      default:
        return bad('chunked decoder in an impossible state');
    }
  }

  private afterSize(c: number): HttpError | null {
    if (c === 0x20 || c === 0x09) {
      this.state = S.SizeWs;
      return null;
    }
    if (c === 0x3b /* ; */) {
      this.state = S.Ext;
      return null;
    }
    if (c === CR) {
      this.state = S.SizeLf;
      return null;
    }
    return bad('peer sent an invalid chunk size');
  }

  private trailerByte(c: number): HttpError | null {
    if (++this.trailerLen > this.maxTrailer) {
      return new HttpError(431, 'TRAILERS_TOO_LARGE', `peer sent trailers larger than ${this.maxTrailer} bytes`);
    }
    if (c === LF) return bad('peer sent a bare LF in the trailer section');
    this.line.push(c);
    return null;
  }

  private trailerField(line: string): HttpError | null {
    const colon = line.indexOf(':');
    if (colon <= 0 || /[^!#$%&'*+\-.^_`|~0-9A-Za-z]/.test(line.slice(0, colon))) {
      return bad('peer sent a malformed trailer field');
    }
    const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
    if (/[\x00-\x08\x0a-\x1f\x7f]/.test(value)) return bad('peer sent a control character in a trailer field');
    this.trailers.add(line.slice(0, colon), value);
    return null;
  }
}

function bad(message: string): HttpError {
  return new HttpError(400, 'BAD_CHUNK', message);
}
