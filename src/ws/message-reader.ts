/**
 * What one Lua `read` on a WebSocket returns, without
 * any Lua: the socket layer converts a ReadResult into Lua values.
 *
 * `read(maxsize)` is also the availability check: it returns a result when one is complete now
 * and null when the socket must wait for more bytes. A null costs nothing and loses nothing:
 * parsing progress and payload bytes already received stay here for the next call, so the socket
 * layer simply calls `read` again after each `push`, and suspends the Lua reader only on null
 * (: never yield when the answer is already there).
 *
 * Copies: a message that arrives in one chunk is returned as a subarray of that chunk (the only
 * copy is the one into a Lua string); a message or piece that spans chunks is copied once.
 *
 * Shapes (`maxsize` is the read chunk, default 8192):
 *  - message of at most `maxsize` bytes: { kind: 'message', data, isText }, even when it arrived
 *    in several TCP segments or several frames (D2);
 *  - longer message: one { kind: 'piece', data, isText, bytesRead, frameLen } per read, every
 *    piece at most `maxsize` bytes, `bytesRead` cumulative, `bytesRead === frameLen` on the last.
 *    A single frame's pieces go out as its bytes arrive; a fragmented message is assembled first;
 *    pieces of a text message end on character boundaries (up to 3 bytes shorter than
 *    `maxsize`), so each is valid UTF-8 by itself;
 *  - compressed message (permessage-deflate, RFC 7692): inflated as its frames arrive, then
 *    returned like an assembled message, lengths being those of the inflated bytes;
 *  - peer close: { kind: 'closed', code: peerCode (1000 without a code), reply: { code } } where
 *    `reply` asks the socket layer to answer with a close frame echoing the code (null code: an
 *    empty close frame), D3;
 *  - protocol violation: { kind: 'closed', code, reply: { code } } with the code to send.
 * After a close frame was sent or received, data frames are discarded: the only result left is
 * the peer's close (with `reply: null` when this side already sent its close).
 */
import { ChunkQueue } from './chunk-queue.js';
import { CloseCode } from './close-code.js';
import { DEFAULT_MAX_MESSAGE_SIZE, Receiver, type DataFrameEvent, type ReceiverOptions } from './receiver.js';
import type { Inflater } from './permessage-deflate.js';
import { Utf8Validator } from './utf8-validator.js';

/** Default read chunk (`sock:maxsize()`). */
export const DEFAULT_READ_CHUNK = 8192;

export interface MessageReaderOptions extends ReceiverOptions {
  /**
   * Called synchronously from `read` with the complete payload of each ping, so the socket layer
   * can queue a pong with the same payload (RFC 6455 §5.5.2; as in BAS, queued
   * without waiting). `payload` may be a subarray of a received chunk; copy it to keep it.
   */
  readonly onPing?: (payload: Buffer) => void;
  /**
   * permessage-deflate was negotiated (RFC 7692): compressed messages are inflated with this,
   * each bounded by `maxMessageSize` (1009 beyond it). Results have the inflated lengths.
   */
  readonly inflater?: Inflater;
}

/** A whole message of at most `maxsize` bytes: Lua `payload, isText`. */
export interface MessageResult {
  readonly kind: 'message';
  readonly data: Buffer;
  readonly isText: boolean;
}

/** One piece of a longer message: Lua `piece, isText, bytesRead, frameLen`. */
export interface PieceResult {
  readonly kind: 'piece';
  readonly data: Buffer;
  readonly isText: boolean;
  /** Bytes of the message returned so far, this piece included. */
  readonly bytesRead: number;
  /** Length of the whole message. */
  readonly frameLen: number;
}

/** The close frame to send in answer; `code` null means an empty close frame. */
export interface CloseReply {
  readonly code: number | null;
}

/** Lua `nil, "socketclosed", code`. */
export interface ClosedResult {
  readonly kind: 'closed';
  /** The peer's code (1000 when its close frame had none) or the code this side sent. */
  readonly code: number;
  /** The close frame the socket layer must send now, or null when one was sent already. */
  readonly reply: CloseReply | null;
  /** The peer's close reason, or what the peer did wrong (for traces). */
  readonly reason: string;
}

export type ReadResult = MessageResult | PieceResult | ClosedResult;

const enum Mode {
  /** Between messages. */
  Idle,
  /** A single frame of at most `maxsize` bytes, waiting for the rest of its payload. */
  Whole,
  /** A single frame longer than `maxsize`, handed out as its bytes arrive. */
  Pieces,
  /** A fragmented message, collecting its frames (RFC 6455 §5.4). */
  Assembling,
  /** An assembled message longer than `maxsize`, handed out piece by piece. */
  Serving,
  /** A compressed message, inflated frame by frame as its bytes arrive (RFC 7692). */
  Inflating,
  /** The peer's close was reported or the stream is unreadable: nothing more to return. */
  Closed,
}

export class MessageReader {
  private readonly receiver: Receiver;
  private readonly onPing: ((payload: Buffer) => void) | undefined;
  private mode = Mode.Idle;
  private isText = false;
  private frameLen = 0;
  private bytesRead = 0;
  /** Payload collected for the message (Whole, Assembling) or the piece (Pieces) in progress. */
  private parts: Buffer[] = [];
  private partsLen = 0;
  /** An assembled message being served (Serving). */
  private readonly assembled = new ChunkQueue();
  private closeSent = false;
  private readonly inflater: Inflater | null;
  private readonly maxMessageSize: number;
  /** UTF-8 check of inflated text (the receiver checks uncompressed text itself). */
  private readonly utf8 = new Utf8Validator();

  constructor(options: MessageReaderOptions) {
    this.inflater = options.inflater ?? null;
    this.receiver = new Receiver({ ...options, perMessageDeflate: this.inflater !== null });
    this.onPing = options.onPing;
    this.maxMessageSize = options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
  }

  /** Queues a received TCP chunk; the reader owns it from now on (it is unmasked in place). */
  push(chunk: Buffer): void {
    this.receiver.push(chunk);
  }

  /** Received bytes held here, parsed or not (for read back-pressure). */
  get bufferedAmount(): number {
    return this.receiver.bufferedAmount + this.partsLen + this.assembled.length;
  }

  /** Whether a close frame was sent (by a reply this reader asked for, or `markCloseSent`). */
  get closing(): boolean {
    return this.closeSent;
  }

  /**
   * Between messages, nothing buffered, no close sent: the next frame may be taken straight
   * from a chunk with simple-frame.ts (a whole message, returned without this reader).
   */
  get atMessageStart(): boolean {
    return this.mode === Mode.Idle && !this.closeSent && this.receiver.atFrameStart;
  }

  /** Whether no further result can come: only the end of TCP is left to report. */
  get finished(): boolean {
    return this.mode === Mode.Closed;
  }

  /**
   * The socket layer sent a close frame itself: data frames are discarded from now on, including
   * a message partly received, and a later peer close is reported with `reply: null`.
   */
  markCloseSent(): void {
    if (this.closeSent) return;
    this.closeSent = true;
    this.receiver.markCloseSent();
    if (this.mode !== Mode.Closed) this.dropMessage();
  }

  /**
   * Returns the next read result if it is complete now, else null (wait for more bytes and call
   * again). `maxsize` is the read chunk and may differ from call to call.
   */
  read(maxsize: number = DEFAULT_READ_CHUNK): ReadResult | null {
    if (!(maxsize >= 1)) throw new RangeError(`read chunk must be at least 1 byte, got ${maxsize}`);
    if (this.mode === Mode.Closed) return null;
    if (this.mode === Mode.Serving) return this.servePiece(maxsize);
    const receiver = this.receiver;
    for (;;) {
      // Idle: at most `maxsize`, so a long single frame never comes as one oversized segment;
      // Pieces: what is missing from the current piece; otherwise everything available.
      const limit =
        this.mode === Mode.Idle ? maxsize : this.mode === Mode.Pieces ? maxsize - this.partsLen : Infinity;
      const ev = receiver.next(limit);
      if (ev === null) {
        // A long frame's bytes go out as they arrive, as BAS returns them.
        if (this.mode === Mode.Pieces && this.partsLen > 0) return this.piece(maxsize);
        return null;
      }
      switch (ev.type) {
        case 'data': {
          const result = this.data(ev, maxsize);
          if (result !== null) return result;
          continue;
        }
        case 'ping':
          this.onPing?.(ev.data);
          continue;
        case 'pong':
          continue;
        case 'close':
          // As in BAS, a close without a code reads as 1000; the reply echoes the peer's
          // code, or is empty when the peer sent none (docs/compat.md, RFC 6455 §5.5.1).
          return this.closed(ev.code ?? CloseCode.Normal, ev.code, ev.reason, true);
        case 'error':
          return this.closed(ev.code, ev.code, ev.reason, this.receiver.finished);
      }
    }
  }

  private data(ev: DataFrameEvent, maxsize: number): ReadResult | null {
    if (ev.first) {
      this.isText = ev.isText;
      this.bytesRead = 0;
      if (ev.compressed) {
        this.mode = Mode.Inflating;
        if (ev.isText) this.utf8.reset();
      } else if (ev.messageLength < 0) {
        this.mode = Mode.Assembling;
      } else {
        // The usual case: a whole single frame in one segment, returned without a copy.
        if (ev.last) return { kind: 'message', data: ev.data, isText: ev.isText };
        this.frameLen = ev.messageLength;
        this.mode = ev.messageLength <= maxsize ? Mode.Whole : Mode.Pieces;
      }
    }
    if (this.mode === Mode.Inflating) return this.inflate(ev, maxsize);
    if (ev.data.length > 0) {
      this.parts.push(ev.data);
      this.partsLen += ev.data.length;
    }
    switch (this.mode) {
      case Mode.Whole:
        // D2: a message of at most one chunk is returned whole, however many segments it took.
        if (!ev.last) return null;
        this.mode = Mode.Idle;
        return { kind: 'message', data: this.takeParts(), isText: this.isText };
      case Mode.Pieces:
        return ev.last || this.partsLen >= maxsize ? this.piece(maxsize) : null;
      default:
        // Assembling (D2): the message is returned only once its final frame is complete.
        return ev.last ? this.complete(maxsize) : null;
    }
  }

  /** The collected parts are a whole message: returned whole, or served piece by piece. */
  private complete(maxsize: number): ReadResult {
    this.frameLen = this.partsLen;
    if (this.partsLen <= maxsize) {
      this.mode = Mode.Idle;
      return { kind: 'message', data: this.takeParts(), isText: this.isText };
    }
    for (const part of this.parts) this.assembled.push(part);
    this.parts = [];
    this.partsLen = 0;
    this.mode = Mode.Serving;
    return this.servePiece(maxsize);
  }

  /**
   * Compressed bytes of the message being inflated. Its length is known only once inflated, so
   * like a fragmented message it is returned when complete (whole or in pieces); inflating as
   * frames arrive keeps at most the limit in memory and fails a zip bomb early.
   */
  private inflate(ev: DataFrameEvent, maxsize: number): ReadResult | null {
    const inflater = this.inflater!;
    const start = this.parts.length;
    let r = ev.data.length > 0 ? inflater.write(ev.data, this.parts, this.maxMessageSize - this.partsLen) : 0;
    if (typeof r === 'number' && ev.last) {
      const f = inflater.finish(this.parts, this.maxMessageSize - this.partsLen);
      r = typeof f === 'number' ? r + f : f;
    }
    if (r === 'toolarge') return this.violation(CloseCode.MessageTooBig, `the peer sent a compressed message that inflates beyond ${this.maxMessageSize} bytes`);
    if (r === 'error') return this.violation(CloseCode.InvalidPayload, 'the peer sent a compressed message that is not valid deflate data');
    this.partsLen += r;
    if (this.isText) {
      // RFC 6455 §8.1 on the inflated bytes, as they come.
      let ok = true;
      for (let i = start; i < this.parts.length && ok; i++) ok = this.utf8.write(this.parts[i]!);
      if (ok && ev.last) ok = this.utf8.end();
      if (!ok) return this.violation(CloseCode.InvalidPayload, 'the peer sent a text message that is not valid UTF-8');
    }
    return ev.last ? this.complete(maxsize) : null;
  }

  /** A violation found above the frame parser: closes as the parser's errors do. */
  private violation(code: number, reason: string): ClosedResult {
    this.receiver.markCloseSent();
    return this.closed(code, code, reason, false);
  }

  /** Emits the bytes collected for the current piece of a long single frame. */
  private piece(maxsize: number): PieceResult | null {
    const collected = this.partsLen;
    const data = this.endOnCharacter(this.takeParts(), collected >= maxsize);
    // Only the start of a character is here so far: wait for the rest of it.
    if (data === null) return null;
    this.bytesRead += data.length;
    if (this.bytesRead === this.frameLen) this.mode = Mode.Idle;
    return { kind: 'piece', data, isText: this.isText, bytesRead: this.bytesRead, frameLen: this.frameLen };
  }

  /** Emits the next piece of an assembled message (after the bytes carried from the last one). */
  private servePiece(maxsize: number): PieceResult {
    const want = Math.min(maxsize, this.frameLen - this.bytesRead);
    let data: Buffer;
    if (this.partsLen > 0) {
      const carried = this.takeParts();
      data = Buffer.concat([carried, this.assembled.take(Math.max(0, want - carried.length))]);
    } else data = this.assembled.take(want);
    data = this.endOnCharacter(data, true)!;
    this.bytesRead += data.length;
    if (this.bytesRead === this.frameLen) this.mode = Mode.Idle;
    return { kind: 'piece', data, isText: this.isText, bytesRead: this.bytesRead, frameLen: this.frameLen };
  }

  /**
   * A piece of a text message ends on a character boundary, so that each piece is valid UTF-8
   * by itself (an echo of pieces as text messages stays valid): the bytes of a character cut
   * at the end are kept in `parts` for the next piece. The last piece, binary pieces, and a
   * piece that holds no whole character are left as they are; the latter only when `full`
   * (a read chunk under 4 bytes), else null (wait for the rest of the character).
   */
  private endOnCharacter(data: Buffer, full: boolean): Buffer | null {
    if (!this.isText || this.bytesRead + data.length >= this.frameLen) return data;
    const cut = characterBoundary(data);
    if (cut === data.length) return data;
    if (cut === 0) {
      if (full) return data;
      this.parts = [data];
      this.partsLen = data.length;
      return null;
    }
    // Copied: the carried bytes may be a view of a chunk the next piece is not part of.
    const rest = Buffer.from(data.subarray(cut));
    this.parts = [rest];
    this.partsLen = rest.length;
    return data.subarray(0, cut);
  }

  /** The collected parts as one buffer: no copy for one part, one copy otherwise. */
  private takeParts(): Buffer {
    const parts = this.parts;
    const data = parts.length === 1 ? parts[0]! : Buffer.concat(parts, this.partsLen);
    this.parts = [];
    this.partsLen = 0;
    return data;
  }

  private closed(code: number, replyCode: number | null, reason: string, final: boolean): ClosedResult {
    // Only one close frame is ever sent (RFC 6455 §5.5.1).
    const reply = this.closeSent ? null : { code: replyCode };
    this.closeSent = true;
    this.dropMessage();
    // After a violation the receiver keeps looking for the peer's close; after a close frame
    // (or a broken length) it has stopped for good.
    if (final) this.mode = Mode.Closed;
    return { kind: 'closed', code, reply, reason };
  }

  private dropMessage(): void {
    if (this.mode === Mode.Inflating) this.inflater!.abort();
    this.mode = Mode.Idle;
    this.parts = [];
    this.partsLen = 0;
    this.assembled.clear();
  }
}

/**
 * Where the last character of valid UTF-8 `b` would be cut: the index of the lead byte of an
 * unfinished character at its end, or `b.length` when it ends on a character boundary.
 */
export function characterBoundary(b: Uint8Array): number {
  const n = b.length;
  // A character has at most 3 continuation bytes (RFC 3629): look back that far for its lead.
  for (let i = n - 1; i >= 0 && i >= n - 4; i--) {
    const c = b[i]!;
    if ((c & 0xc0) === 0x80) continue; // continuation byte
    const len = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
    return i + len > n ? i : n;
  }
  return n;
}
