/**
 * Frame encoding (RFC 6455 §5.2): every message goes out as one unfragmented frame with the
 * smallest length encoding. Client frames are masked with a fresh random key
 * per frame (RFC 6455 §5.3, docs/compat.md: BAS used a constant key); server frames are not
 * masked.
 *
 * Each method returns the bytes of one frame as one or two buffers, ready for one `writev`
 * (or `cork`, `write`..., `uncork`): a single buffer when the payload is small or masked (masking
 * needs a copy anyway), else a header buffer plus the caller's payload, uncopied. A returned
 * payload buffer shares memory with the caller's data, which must not change until written.
 */
import { randomFillSync } from 'node:crypto';
import { CloseCode, isValidWireCloseCode } from './close-code.js';
import { applyMask } from './mask.js';
import { MAX_CONTROL_PAYLOAD, Opcode } from './opcode.js';
import { DEFAULT_MAX_MESSAGE_SIZE } from './receiver.js';
import type { Deflater } from './permessage-deflate.js';

export interface SenderOptions {
  /** This side is the server: frames go out unmasked. The client masks every frame. */
  readonly isServer: boolean;
  /** Largest message accepted by `message` (wsmaxsize, docs/compat.md). */
  readonly maxMessageSize?: number;
  /**
   * permessage-deflate was negotiated (RFC 7692) and this side may compress: non-empty data
   * messages go out compressed with RSV1 set. Control frames never are (§6.1).
   */
  readonly deflater?: Deflater | null;
}

/**
 * A payload too long for its frame. The message is exactly the Lua error BAS raises:
 * "Max len 0x1000000" for a message (limit in upper-case hex, as BAS words it) and
 * "Max len 125" for a ping or pong.
 */
export class FrameTooLargeError extends RangeError {
  readonly code = 'WS_MAX_LEN';
  constructor(readonly limit: number, message: string) {
    super(message);
    this.name = 'FrameTooLargeError';
  }
}

/** Below this size a server payload is copied behind its header: one small buffer is cheaper. */
const COPY_LIMIT = 4096;

/** Masking keys are cut from this pool so that `randomFillSync` runs once per 1024 frames. */
const MASK_POOL_SIZE = 4096;
const maskPool = Buffer.allocUnsafe(MASK_POOL_SIZE);
let maskPoolUsed = MASK_POOL_SIZE;

/** A fresh, unpredictable 4-byte masking key (RFC 6455 §5.3, §10.3). */
function nextMask(): Buffer {
  if (maskPoolUsed === MASK_POOL_SIZE) {
    randomFillSync(maskPool);
    maskPoolUsed = 0;
  }
  const key = maskPool.subarray(maskPoolUsed, maskPoolUsed + 4);
  maskPoolUsed += 4;
  return key;
}

const EMPTY: Buffer = Buffer.alloc(0);
/** RFC 7692 §6: "Per-Message Compressed" bit of a message's first frame. */
const RSV1 = 0x40;

export class Sender {
  private readonly masked: boolean;
  readonly maxMessageSize: number;
  private readonly deflater: Deflater | null;

  constructor(options: SenderOptions) {
    this.masked = !options.isServer;
    this.maxMessageSize = options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
    this.deflater = options.deflater ?? null;
  }

  /** Whether data messages are compressed: their frames never share the caller's buffer. */
  get compressing(): boolean {
    return this.deflater !== null;
  }

  /**
   * One text or binary message. Text bytes are not checked. An empty payload
   * is a valid, empty message (docs/compat.md). Throws FrameTooLargeError above
   * `maxMessageSize`.
   */
  message(payload: Uint8Array, isText: boolean): Buffer[] {
    if (payload.length > this.maxMessageSize) {
      throw new FrameTooLargeError(this.maxMessageSize, `Max len 0x${this.maxMessageSize.toString(16).toUpperCase()}`);
    }
    const opcode = isText ? Opcode.Text : Opcode.Binary;
    // An empty message is sent as it is (RSV1 clear is always allowed, RFC 7692 §6).
    if (this.deflater !== null && payload.length > 0) return this.frame(opcode, this.deflater.compress(payload), RSV1);
    return this.frame(opcode, payload);
  }

  /**
   * For a server: writes the header of an unfragmented text/binary frame of `len` bytes into
   * `out` (10 bytes suffice) and returns its length; the payload follows it unchanged. Null for
   * a client (its frames are masked) and when messages are compressed (permessage-deflate).
   * The caller checks `maxMessageSize`.
   */
  serverHeader(isText: boolean, len: number, out: Uint8Array): number | null {
    if (this.masked || this.compressing) return null;
    out[0] = 0x80 | (isText ? Opcode.Text : Opcode.Binary);
    if (len < 126) {
      out[1] = len;
      return 2;
    }
    if (len <= 0xffff) {
      out[1] = 126;
      out[2] = len >>> 8;
      out[3] = len & 0xff;
      return 4;
    }
    out[1] = 127;
    const hi = Math.floor(len / 0x100000000);
    const lo = len >>> 0;
    for (let i = 0; i < 4; i++) {
      out[2 + i] = (hi >>> (24 - 8 * i)) & 0xff;
      out[6 + i] = (lo >>> (24 - 8 * i)) & 0xff;
    }
    return 10;
  }

  /** A ping; throws FrameTooLargeError("Max len 125") above 125 bytes (RFC 6455 §5.5). */
  ping(payload: Uint8Array): Buffer[] {
    return this.frame(Opcode.Ping, checkControl(payload));
  }

  /** A pong echoing a ping's payload (RFC 6455 §5.5.3). */
  pong(payload: Uint8Array): Buffer[] {
    return this.frame(Opcode.Pong, checkControl(payload));
  }

  /**
   * A close frame (RFC 6455 §5.5.1): empty when `code` is null or undefined, else the code in
   * network byte order followed by the UTF-8 `reason`. Throws a RangeError for a code that may
   * not be sent or a body above 125 bytes: both are bugs in the caller.
   */
  close(code?: number | null, reason = ''): Buffer[] {
    if (code === null || code === undefined) {
      if (reason !== '') throw new RangeError('a close reason needs a close code');
      return this.frame(Opcode.Close, EMPTY);
    }
    if (!isValidWireCloseCode(code)) throw new RangeError(`close code ${code} may not be sent`);
    const reasonLength = Buffer.byteLength(reason);
    if (2 + reasonLength > MAX_CONTROL_PAYLOAD) {
      throw new FrameTooLargeError(MAX_CONTROL_PAYLOAD, `Max len ${MAX_CONTROL_PAYLOAD}`);
    }
    const body = Buffer.allocUnsafe(2 + reasonLength);
    body.writeUInt16BE(code, 0);
    body.write(reason, 2, 'utf8');
    return this.frame(Opcode.Close, body);
  }

  /** A close frame with status 1000, what `sock:close()` sends. */
  normalClose(): Buffer[] {
    return this.close(CloseCode.Normal);
  }

  private frame(opcode: number, payload: Uint8Array, rsv = 0): Buffer[] {
    const len = payload.length;
    // RFC 6455 §5.2: 7-bit length up to 125, 126 + 16-bit up to 65535, 127 + 64-bit above;
    // "the minimal number of bytes MUST be used to encode the length".
    const lengthBytes = len < 126 ? 0 : len <= 0xffff ? 2 : 8;
    const headerLength = 2 + lengthBytes + (this.masked ? 4 : 0);
    const copy = this.masked || len <= COPY_LIMIT;
    const out = Buffer.allocUnsafe(copy ? headerLength + len : headerLength);
    out[0] = 0x80 | rsv | opcode; // FIN=1: never fragmented; RSV1 only for compressed data
    if (lengthBytes === 0) {
      out[1] = len;
    } else if (lengthBytes === 2) {
      out[1] = 126;
      out.writeUInt16BE(len, 2);
    } else {
      out[1] = 127;
      out.writeUInt32BE(Math.floor(len / 0x100000000), 2);
      out.writeUInt32BE(len >>> 0, 6);
    }
    if (this.masked) {
      out[1] |= 0x80;
      const key = nextMask();
      out.set(key, 2 + lengthBytes);
      out.set(payload, headerLength);
      applyMask(out.subarray(headerLength), key, 0);
      return [out];
    }
    if (copy) {
      out.set(payload, headerLength);
      return [out];
    }
    return [out, Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, len)];
  }
}

function checkControl(payload: Uint8Array): Uint8Array {
  if (payload.length > MAX_CONTROL_PAYLOAD) {
    throw new FrameTooLargeError(MAX_CONTROL_PAYLOAD, `Max len ${MAX_CONTROL_PAYLOAD}`);
  }
  return payload;
}
