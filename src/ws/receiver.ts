/**
 * The WebSocket frame parser: an explicit state machine over a queue of TCP chunks. It
 * never assumes that a header, a payload or a frame arrives in one chunk: every state
 * returns early when the bytes it needs are not there yet and resumes on the next call.
 *
 * It is pull-based: `push` only queues bytes, `next` parses just far enough to produce one event.
 * The consumer (MessageReader) decides how many payload bytes it wants per event, which lets it
 * hand out a long frame piece by piece as the bytes arrive without the parser buffering anything.
 *
 * Everything RFC 6455 requires of a received frame is checked here; each violation is reported
 * once, as an `error` event carrying the close code to send. After that the parser keeps reading frames only to find the peer's close frame
 * (RFC 6455 §7.1.1: after sending a close, wait for the peer's), discarding everything else.
 *
 * Received chunks are unmasked in place: `push` takes ownership of them.
 */
import { ChunkQueue } from './chunk-queue.js';
import { CloseCode, isValidWireCloseCode } from './close-code.js';
import { applyMask } from './mask.js';
import { MAX_CONTROL_PAYLOAD, Opcode, isControlOpcode, isKnownOpcode } from './opcode.js';
import { Utf8Validator, isValidUtf8 } from './utf8-validator.js';

/** Default largest message, the `wsmaxsize` setting (docs/compat.md D2). */
export const DEFAULT_MAX_MESSAGE_SIZE = 16 * 1024 * 1024;

export interface ReceiverOptions {
  /**
   * This side is the server: frames must come masked (RFC 6455 §5.1). On the client side a
   * masked frame is the violation.
   */
  readonly isServer: boolean;
  /** Largest message (single frame or assembled) accepted; larger ones close with 1009. */
  readonly maxMessageSize?: number;
  /**
   * permessage-deflate was negotiated (RFC 7692): RSV1 on the first frame of a data message
   * marks it compressed. Its payload events carry the compressed bytes and `compressed: true`;
   * UTF-8 is then checked by whoever inflates them.
   */
  readonly perMessageDeflate?: boolean;
}

/** Payload bytes of a text or binary message, in order. */
export interface DataFrameEvent {
  readonly type: 'data';
  /** Unmasked payload; usually a subarray of a received chunk. Empty for an empty frame. */
  readonly data: Buffer;
  readonly isText: boolean;
  /** These are the first bytes of a message (an empty first frame still produces an event). */
  readonly first: boolean;
  /** The message is complete with these bytes (its final frame has been read to the end). */
  readonly last: boolean;
  /**
   * Total length of the message when it is a single frame (FIN=1 on its first frame); -1 for a
   * fragmented message, whose length is known only when its last frame has arrived.
   */
  readonly messageLength: number;
  /** The message is compressed (RSV1 on its first frame, RFC 7692 §6): `data` is deflate data. */
  readonly compressed: boolean;
}

/** A complete ping; the socket layer answers it with a pong carrying `data` (RFC 6455 §5.5.2). */
export interface PingFrameEvent {
  readonly type: 'ping';
  readonly data: Buffer;
}

/** A complete pong; nothing has to be done with it (RFC 6455 §5.5.3). */
export interface PongFrameEvent {
  readonly type: 'pong';
  readonly data: Buffer;
}

/** A well-formed close frame. The parser discards everything after it. */
export interface CloseFrameEvent {
  readonly type: 'close';
  /** Status code, or null when the frame had no payload (RFC 6455 §7.1.5: "1005"). */
  readonly code: number | null;
  readonly reason: string;
}

/** The peer broke the protocol; `code` is the close code to send. */
export interface ProtocolErrorEvent {
  readonly type: 'error';
  readonly code: number;
  /** Who did what, for traces; not sent to the peer. */
  readonly reason: string;
}

export type FrameEvent =
  | DataFrameEvent
  | PingFrameEvent
  | PongFrameEvent
  | CloseFrameEvent
  | ProtocolErrorEvent;

const enum State {
  /** Waiting for the 2 fixed header bytes. */
  Header,
  /** Waiting for the 16-bit extended payload length. */
  Length16,
  /** Waiting for the 64-bit extended payload length. */
  Length64,
  /** Waiting for the 4-byte masking key. */
  MaskKey,
  /** Handing out the payload of a data frame. */
  Payload,
  /** Waiting for the whole payload of a control frame (at most 125 bytes). */
  Control,
  /** Discarding the rest of a frame's payload. */
  Skip,
  /** A close frame was received or the framing is lost: every further byte is discarded. */
  Dead,
}

const EMPTY: Buffer = Buffer.alloc(0);

export class Receiver {
  private readonly queue = new ChunkQueue();
  private readonly isServer: boolean;
  private readonly maxMessageSize: number;
  private readonly deflate: boolean;
  private state = State.Header;

  // Current frame.
  private fin = false;
  private rsv = 0;
  private opcode = 0;
  private masked = false;
  private readonly mask = new Uint8Array(4);
  /** Payload bytes unmasked so far, modulo 4 (RFC 6455 §5.3: key octet i mod 4). */
  private maskPhase = 0;
  private payloadLength = 0;
  /** Payload bytes of the current frame not yet handed out or skipped. */
  private remaining = 0;

  // Current message.
  /** Opcode of a fragmented message in progress (text or binary), 0 when none. */
  private fragmentedOpcode = 0;
  private messageText = false;
  private messageFirst = false;
  /** Bytes of the message announced so far (headers of its frames), for the size limit. */
  private messageSize = 0;
  private messageLength = -1;
  private messageCompressed = false;
  private readonly utf8 = new Utf8Validator();

  /** A close frame was sent or an error reported: only the peer's close matters now. */
  private discarding = false;

  constructor(options: ReceiverOptions) {
    this.isServer = options.isServer;
    this.maxMessageSize = options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
    this.deflate = options.perMessageDeflate === true;
  }

  /** Received bytes not parsed yet (for read back-pressure in the socket layer). */
  get bufferedAmount(): number {
    return this.queue.length;
  }

  /**
   * Between two frames with nothing queued, no fragmented message in progress and nothing to
   * discard: a whole frame read elsewhere (simple-frame.ts) would change nothing here.
   */
  get atFrameStart(): boolean {
    return this.state === State.Header && this.queue.length === 0 && this.fragmentedOpcode === 0 && !this.discarding;
  }

  /** True once a close frame was received or the stream can no longer be parsed. */
  get finished(): boolean {
    return this.state === State.Dead;
  }

  /** Queues a received chunk. The receiver owns it from now on (it is unmasked in place). */
  push(chunk: Buffer): void {
    if (this.state !== State.Dead) this.queue.push(chunk);
  }

  /**
   * Tells the parser that this side has sent a close frame for its own reasons: from now on data
   * frames, pings and pongs are discarded and only the peer's close frame is reported
   * (RFC 6455 §1.4).
   */
  markCloseSent(): void {
    if (this.discarding) return;
    this.discarding = true;
    this.fragmentedOpcode = 0;
    if (this.state === State.Payload) this.state = State.Skip;
  }

  /**
   * Parses until one event is ready and returns it, or returns null when more bytes are needed.
   * A data event carries at most `limit` payload bytes (fewer when a chunk ends first).
   */
  next(limit = Infinity): FrameEvent | null {
    const queue = this.queue;
    for (;;) {
      switch (this.state) {
        case State.Header: {
          if (queue.length < 2) return null;
          const b0 = queue.readUInt8();
          const b1 = queue.readUInt8();
          this.fin = (b0 & 0x80) !== 0;
          this.rsv = b0 & 0x70;
          this.opcode = b0 & 0x0f;
          this.masked = (b1 & 0x80) !== 0;
          const len7 = b1 & 0x7f;
          // RFC 6455 §5.2 "Payload length": 126 and 127 announce 16- and 64-bit lengths.
          if (len7 === 126) {
            this.state = State.Length16;
            continue;
          }
          if (len7 === 127) {
            this.state = State.Length64;
            continue;
          }
          this.payloadLength = len7;
          const ev = this.afterLength();
          if (ev !== null) return ev;
          continue;
        }
        case State.Length16: {
          if (queue.length < 2) return null;
          // Non-minimal length encodings are accepted, like most peers do.
          this.payloadLength = queue.readUInt16BE();
          const ev = this.afterLength();
          if (ev !== null) return ev;
          continue;
        }
        case State.Length64: {
          if (queue.length < 8) return null;
          const hi = queue.readUInt32BE();
          const lo = queue.readUInt32BE();
          if (hi > 0x1fffff) {
            // At least 2^53 bytes: not representable, and the frame end can never be found.
            if (this.discarding) return this.die();
            // RFC 6455 §5.2: "the most significant bit MUST be 0".
            if (hi >= 0x80000000) return this.fatal(CloseCode.ProtocolError, 'the peer sent a 64-bit length with the most significant bit set');
            return this.fatal(CloseCode.MessageTooBig, `the peer sent a frame longer than ${this.maxMessageSize} bytes`);
          }
          this.payloadLength = hi * 0x100000000 + lo;
          const ev = this.afterLength();
          if (ev !== null) return ev;
          continue;
        }
        case State.MaskKey: {
          if (queue.length < 4) return null;
          queue.readInto(this.mask, 4);
          const ev = this.beginPayload();
          if (ev !== null) return ev;
          continue;
        }
        case State.Payload:
          return this.dataPayload(limit);
        case State.Control: {
          if (queue.length < this.remaining) return null;
          // Control frames are answered only once complete (docs/compat.md: a ping that
          // arrived in several TCP pieces is answered with its whole payload).
          const data = queue.take(this.remaining);
          if (this.masked) applyMask(data, this.mask, 0);
          this.remaining = 0;
          this.state = State.Header;
          const ev = this.controlFrame(data);
          if (ev !== null) return ev;
          continue;
        }
        case State.Skip: {
          this.remaining -= queue.skip(this.remaining);
          if (this.remaining > 0) return null;
          this.state = State.Header;
          continue;
        }
        case State.Dead:
          queue.clear();
          return null;
      }
    }
  }

  private afterLength(): FrameEvent | null {
    if (this.masked) {
      this.state = State.MaskKey;
      return null;
    }
    return this.beginPayload();
  }

  /** The header is complete: check it and choose how the payload is consumed. */
  private beginPayload(): FrameEvent | null {
    const op = this.opcode;
    const len = this.payloadLength;
    this.remaining = len;
    this.maskPhase = 0;
    if (this.discarding) {
      // Only the peer's close frame is of interest; a close longer than 125 bytes is broken.
      if (op !== Opcode.Close) this.state = State.Skip;
      else if (len <= MAX_CONTROL_PAYLOAD) this.state = State.Control;
      else return this.fatal(CloseCode.ProtocolError, 'the peer sent a close frame longer than 125 bytes');
      return null;
    }
    const violation = this.checkHeader();
    if (violation !== null) return violation;
    if (isControlOpcode(op)) {
      this.state = State.Control;
      return null;
    }
    if (op !== Opcode.Continuation) {
      this.messageText = op === Opcode.Text;
      this.messageFirst = true;
      this.messageSize = 0;
      this.messageLength = this.fin ? len : -1;
      this.messageCompressed = this.rsv !== 0; // checkHeader let only RSV1 through
      if (this.messageText) this.utf8.reset();
      if (!this.fin) this.fragmentedOpcode = op;
    } else if (this.fin) {
      this.fragmentedOpcode = 0;
    }
    this.messageSize += len;
    this.state = State.Payload;
    return null;
  }

  /** Frame rules in the order RFC 6455 §5.2 presents the header fields. */
  private checkHeader(): ProtocolErrorEvent | null {
    const op = this.opcode;
    const len = this.payloadLength;
    // §5.2: RSV1-3 "MUST be 0 unless an extension is negotiated". With permessage-deflate,
    // RSV1 is allowed on the first frame of a data message only (RFC 7692 §6).
    if (this.rsv !== 0) {
      const rsv1Ok = this.deflate && this.rsv === 0x40 && op !== Opcode.Continuation && !isControlOpcode(op);
      if (!rsv1Ok) return this.fail(CloseCode.ProtocolError, 'the peer set reserved (RSV) bits');
    }
    // §5.2: "If an unknown opcode is received, the receiving endpoint MUST _Fail the WebSocket
    // Connection_."
    if (!isKnownOpcode(op)) return this.fail(CloseCode.ProtocolError, `the peer sent reserved opcode 0x${op.toString(16)}`);
    if (isControlOpcode(op)) {
      // §5.5: "All control frames MUST have a payload length of 125 bytes or less and MUST NOT
      // be fragmented." (docs/compat.md)
      if (!this.fin) return this.fail(CloseCode.ProtocolError, 'the peer sent a fragmented control frame');
      if (len > MAX_CONTROL_PAYLOAD) return this.fail(CloseCode.ProtocolError, 'the peer sent a control frame longer than 125 bytes');
    } else if (op === Opcode.Continuation) {
      // §5.4: a continuation frame only continues a message started with FIN=0.
      if (this.fragmentedOpcode === 0) return this.fail(CloseCode.ProtocolError, 'the peer sent a continuation frame with no message in progress');
    } else if (this.fragmentedOpcode !== 0) {
      // §5.4: fragments of one message are not interleaved with another message.
      return this.fail(CloseCode.ProtocolError, 'the peer started a new message inside a fragmented message');
    }
    // §5.1: a server MUST close on an unmasked frame, a client on a masked one. An unmasked
    // empty frame carries nothing to unmask and is let through.
    if (this.isServer) {
      if (!this.masked && len > 0) return this.fail(CloseCode.ProtocolError, 'the client sent an unmasked frame');
    } else if (this.masked) {
      return this.fail(CloseCode.ProtocolError, 'the server sent a masked frame');
    }
    if (!isControlOpcode(op)) {
      const total = (op === Opcode.Continuation ? this.messageSize : 0) + len;
      // §7.4.1 code 1009; the limit is wsmaxsize (docs/compat.md). Checked on the header
      // so that an oversized message is refused before any of it is buffered.
      if (total > this.maxMessageSize) return this.fail(CloseCode.MessageTooBig, `the peer sent a message longer than ${this.maxMessageSize} bytes`);
    }
    return null;
  }

  private dataPayload(limit: number): FrameEvent | null {
    let data = EMPTY;
    if (this.remaining > 0) {
      data = this.queue.takeContiguous(Math.min(this.remaining, limit));
      if (data.length === 0) return null;
      if (this.masked) {
        applyMask(data, this.mask, this.maskPhase);
        this.maskPhase = (this.maskPhase + data.length) & 3;
      }
      this.remaining -= data.length;
    }
    const frameDone = this.remaining === 0;
    const last = frameDone && this.fin;
    // §8.1: text must be UTF-8; validated as it streams so a bad message fails early, and a
    // character cut at the end of the message is an error too (docs/compat.md D3).
    if (this.messageText && !this.messageCompressed && (!this.utf8.write(data) || (last && !this.utf8.end()))) {
      return this.fail(CloseCode.InvalidPayload, 'the peer sent a text message that is not valid UTF-8');
    }
    if (frameDone) this.state = State.Header;
    const first = this.messageFirst;
    this.messageFirst = false;
    return { type: 'data', data, isText: this.messageText, first, last, messageLength: this.messageLength, compressed: this.messageCompressed };
  }

  private controlFrame(data: Buffer): FrameEvent | null {
    switch (this.opcode) {
      case Opcode.Ping:
        // No pong once a close frame has been sent (RFC 6455 §5.5.1: it is the last frame).
        return this.discarding ? null : { type: 'ping', data };
      case Opcode.Pong:
        return this.discarding ? null : { type: 'pong', data };
      default:
        return this.closeFrame(data);
    }
  }

  /** RFC 6455 §5.5.1 close frame body: nothing, or a 2-byte code then a UTF-8 reason. */
  private closeFrame(data: Buffer): FrameEvent {
    if (data.length === 0) {
      this.die();
      return { type: 'close', code: null, reason: '' };
    }
    if (data.length === 1) return this.fatal(CloseCode.ProtocolError, 'the peer sent a close frame with a 1-byte payload');
    const code = data.readUInt16BE(0);
    if (!isValidWireCloseCode(code)) return this.fatal(CloseCode.ProtocolError, `the peer sent close code ${code}, which may not be sent on the wire`);
    const reason = data.subarray(2);
    if (!isValidUtf8(reason)) return this.fatal(CloseCode.ProtocolError, 'the peer sent a close reason that is not valid UTF-8');
    this.die();
    return { type: 'close', code, reason: reason.toString('utf8') };
  }

  /** A violation inside a frame: report it, then skip to the next frame (only a close counts). */
  private fail(code: number, reason: string): ProtocolErrorEvent {
    this.discarding = true;
    this.fragmentedOpcode = 0;
    this.state = this.remaining > 0 ? State.Skip : State.Header;
    return { type: 'error', code, reason };
  }

  /**
   * A violation after which nothing more is read: a malformed close frame (nothing follows a
   * close frame, §5.5.1) or a length that makes the next frame boundary unreachable.
   */
  private fatal(code: number, reason: string): ProtocolErrorEvent {
    this.die();
    return { type: 'error', code, reason };
  }

  private die(): null {
    this.discarding = true;
    this.state = State.Dead;
    this.queue.clear();
    return null;
  }
}
