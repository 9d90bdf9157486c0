/**
 * What one Lua `read` on a WebSocket returns (ba-socket.md §9, compat-decisions D2, D3), without
 * any Lua: the socket layer converts a ReadResult into Lua values.
 *
 * `read(maxsize)` is also the availability check: it returns a result when one is complete now
 * and null when the socket must wait for more bytes. A null costs nothing and loses nothing:
 * parsing progress and payload bytes already received stay here for the next call, so the socket
 * layer simply calls `read` again after each `push`, and suspends the Lua reader only on null
 * (style.md item 3: never yield when the answer is already there).
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
 *  - peer close: { kind: 'closed', code: peerCode (1000 without a code), reply: { code } } where
 *    `reply` asks the socket layer to answer with a close frame echoing the code (null code: an
 *    empty close frame), D3;
 *  - protocol violation: { kind: 'closed', code, reply: { code } } with the code to send.
 * After a close frame was sent or received, data frames are discarded: the only result left is
 * the peer's close (with `reply: null` when this side already sent its close).
 */
import { ChunkQueue } from './chunk-queue.js';
import { CloseCode } from './close-code.js';
import { Receiver, type DataFrameEvent, type ReceiverOptions } from './receiver.js';

/** Default read chunk (`maxsize`, ba-socket.md §3). */
export const DEFAULT_READ_CHUNK = 8192;

export interface MessageReaderOptions extends ReceiverOptions {
  /**
   * Called synchronously from `read` with the complete payload of each ping, so the socket layer
   * can queue a pong with the same payload (RFC 6455 §5.5.2; ba-socket.md §5 item 3: queued
   * without waiting). `payload` may be a subarray of a received chunk; copy it to keep it.
   */
  readonly onPing?: (payload: Buffer) => void;
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

  constructor(options: MessageReaderOptions) {
    this.receiver = new Receiver(options);
    this.onPing = options.onPing;
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
        // A long frame's bytes go out as they arrive (ba-socket.md §9).
        if (this.mode === Mode.Pieces && this.partsLen > 0) return this.piece();
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
          // ba-socket.md §9: a close without a code reads as 1000; the reply echoes the peer's
          // code, or is empty when the peer sent none (compat-decisions D3, RFC 6455 §5.5.1).
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
      if (ev.messageLength < 0) {
        this.mode = Mode.Assembling;
      } else {
        // The usual case: a whole single frame in one segment, returned without a copy.
        if (ev.last) return { kind: 'message', data: ev.data, isText: ev.isText };
        this.frameLen = ev.messageLength;
        this.mode = ev.messageLength <= maxsize ? Mode.Whole : Mode.Pieces;
      }
    }
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
        return ev.last || this.partsLen >= maxsize ? this.piece() : null;
      default: {
        // Assembling (D2): the message is returned only once its final frame is complete.
        if (!ev.last) return null;
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
    }
  }

  /** Emits the bytes collected for the current piece of a long single frame. */
  private piece(): PieceResult {
    const data = this.takeParts();
    this.bytesRead += data.length;
    if (this.bytesRead === this.frameLen) this.mode = Mode.Idle;
    return { kind: 'piece', data, isText: this.isText, bytesRead: this.bytesRead, frameLen: this.frameLen };
  }

  /** Emits the next piece of an assembled message. */
  private servePiece(maxsize: number): PieceResult {
    const data = this.assembled.take(Math.min(maxsize, this.frameLen - this.bytesRead));
    this.bytesRead += data.length;
    if (this.bytesRead === this.frameLen) this.mode = Mode.Idle;
    return { kind: 'piece', data, isText: this.isText, bytesRead: this.bytesRead, frameLen: this.frameLen };
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
    this.mode = Mode.Idle;
    this.parts = [];
    this.partsLen = 0;
    this.assembled.clear();
  }
}
