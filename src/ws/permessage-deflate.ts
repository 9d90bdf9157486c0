/**
 * RFC 7692 permessage-deflate: the negotiation (server answer, client offer and the client's
 * check of the answer) and the per-connection compressor and decompressor. No Lua.
 *
 * Compression runs in Node's zlib, synchronously: a message is compressed or inflated in the
 * call that needs it, so a read whose message is already here completes without waiting, and a
 * write costs no extra turn of the event loop. zlib's public synchronous functions
 * (`deflateRawSync`, ...) start a fresh stream each time, which cannot carry the sliding window
 * from one message to the next (RFC 7692 §7.2.3 "context takeover"); so each direction keeps one
 * raw zlib stream object and drives its native handle with `writeSync`, the call Node's own
 * synchronous functions are built on. `ZlibStream` checks at construction that the handle has
 * it.
 *
 * Inflation is bounded (zip bombs): `Inflater.write` stops with 'toolarge' as soon as a
 * message's output would pass the limit, before the excess is copied anywhere; at most one
 * scratch buffer beyond the limit is ever written by zlib.
 */
import zlib from 'node:zlib';

/** The extension's token (RFC 7692 §7). */
export const EXTENSION_NAME = 'permessage-deflate';

/** RFC 7692 §7.2.1: the four octets a sender strips from the end of each compressed message. */
const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);

/** Output scratch of the synchronous zlib calls (one for all streams: the calls never overlap). */
const SCRATCH_SIZE = 64 * 1024;
let scratch: Buffer | null = null;

/** What the two sides agreed (RFC 7692 §7.1). Window bits are 8..15. */
export interface DeflateParams {
  /** The server resets its compressor after each message (§7.1.1.1). */
  readonly serverNoContextTakeover: boolean;
  /** The client resets its compressor after each message (§7.1.1.2). */
  readonly clientNoContextTakeover: boolean;
  /** The server's compression window (§7.1.2.1); 15 when not limited. */
  readonly serverMaxWindowBits: number;
  /** The client's compression window (§7.1.2.2); 15 when not limited. */
  readonly clientMaxWindowBits: number;
}

/** One extension of a `Sec-WebSocket-Extensions` list with its parameters in order. */
export interface ExtensionOffer {
  readonly name: string;
  /** Parameter name (lower case) and value; `true` for a parameter without a value. */
  readonly params: ReadonlyArray<readonly [string, string | true]>;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Parses a `Sec-WebSocket-Extensions` value (RFC 6455 §9.1: extension *( ";" param ), comma
 * separated; a parameter value is a token or a quoted string). Null when it is malformed.
 */
export function parseExtensions(header: string): ExtensionOffer[] | null {
  const out: ExtensionOffer[] = [];
  let i = 0;
  const n = header.length;
  const ws = (): void => {
    while (i < n && (header[i] === ' ' || header[i] === '\t')) i++;
  };
  const token = (): string | null => {
    const start = i;
    while (i < n && !' \t,;="'.includes(header[i]!)) i++;
    const t = header.slice(start, i);
    return TOKEN.test(t) ? t : null;
  };
  for (;;) {
    ws();
    if (i >= n) break;
    if (header[i] === ',') {
      i++;
      continue;
    }
    const name = token();
    if (name === null) return null;
    const params: Array<[string, string | true]> = [];
    ws();
    while (i < n && header[i] === ';') {
      i++;
      ws();
      const p = token();
      if (p === null) return null;
      ws();
      let value: string | true = true;
      if (header[i] === '=') {
        i++;
        ws();
        if (header[i] === '"') {
          i++;
          let v = '';
          while (i < n && header[i] !== '"') {
            if (header[i] === '\\') i++;
            v += header[i] ?? '';
            i++;
          }
          if (i >= n) return null;
          i++;
          // §9.1: a quoted value must still be a token once unquoted.
          if (!TOKEN.test(v)) return null;
          value = v;
        } else {
          const v = token();
          if (v === null) return null;
          value = v;
        }
        ws();
      }
      params.push([p.toLowerCase(), value]);
    }
    if (i < n && header[i] !== ',') return null;
    out.push({ name: name.toLowerCase(), params });
  }
  return out;
}

/** A window-bits value of RFC 7692 §7.1.2: 1*DIGIT, 8..15 (no leading zero). */
function windowBits(v: string | true): number | null {
  if (v === true || !/^[1-9][0-9]?$/.test(v)) return null;
  const b = Number(v);
  return b >= 8 && b <= 15 ? b : null;
}

export interface ServerDeflateOptions {
  /** Reset the server's compressor after each message even when the client did not ask. */
  readonly serverNoContextTakeover?: boolean;
}

/** The server's choice: the parameters to use and the `Sec-WebSocket-Extensions` answer. */
export interface ServerAgreement {
  readonly params: DeflateParams;
  readonly response: string;
}

/**
 * The server side of RFC 7692 §5/§7.1: accepts the first permessage-deflate offer in
 * `header` that is valid and returns the parameters and the answer, or null (no compression:
 * no offer, or every offer declined). An offer with an unknown, repeated or invalid parameter
 * is declined (§7.1: "a server MUST decline").
 */
export function negotiateServer(header: string | undefined, options: ServerDeflateOptions = {}): ServerAgreement | null {
  if (header === undefined) return null;
  const offers = parseExtensions(header);
  if (offers === null) return null;
  for (const offer of offers) {
    if (offer.name !== EXTENSION_NAME) continue;
    const seen = new Set<string>();
    let ok = true;
    let serverNoCtx = options.serverNoContextTakeover === true;
    let clientNoCtx = false;
    let serverBits = 15;
    let serverBitsAsked = false;
    for (const [name, value] of offer.params) {
      if (seen.has(name)) ok = false;
      seen.add(name);
      switch (name) {
        case 'server_no_context_takeover':
          if (value !== true) ok = false;
          serverNoCtx = true;
          break;
        case 'client_no_context_takeover':
          if (value !== true) ok = false;
          clientNoCtx = true;
          break;
        case 'server_max_window_bits': {
          const b = windowBits(value);
          if (b === null) ok = false;
          else {
            serverBits = b;
            serverBitsAsked = true;
          }
          break;
        }
        case 'client_max_window_bits':
          // §7.1.2.2: the client may receive a limit; this server inflates with any window.
          if (value !== true && windowBits(value) === null) ok = false;
          break;
        default:
          ok = false;
      }
    }
    if (!ok) continue;
    let response = EXTENSION_NAME;
    if (serverNoCtx) response += '; server_no_context_takeover';
    if (clientNoCtx) response += '; client_no_context_takeover';
    // §7.1.2.1: an offered limit is answered with the same value.
    if (serverBitsAsked) response += `; server_max_window_bits=${serverBits}`;
    return {
      params: {
        serverNoContextTakeover: serverNoCtx,
        clientNoContextTakeover: clientNoCtx,
        serverMaxWindowBits: serverBits,
        clientMaxWindowBits: 15,
      },
      response,
    };
  }
  return null;
}

/** The client's offer: like browsers, it lets the server limit the client's window. */
export const CLIENT_OFFER = `${EXTENSION_NAME}; client_max_window_bits`;

/**
 * The client's check of the server's answer to `CLIENT_OFFER` (RFC 7692 §5, §7.1): `values` are
 * the answer's `Sec-WebSocket-Extensions` fields. Returns the parameters, null when the server
 * accepted no extension, or an error message when the answer is one the RFC makes the client
 * fail the connection for (an extension not offered, an unknown, repeated or invalid parameter).
 */
export function acceptClientAnswer(values: readonly string[]): DeflateParams | null | string {
  if (values.length === 0) return null;
  const exts = parseExtensions(values.join(', '));
  if (exts === null) return 'malformed Sec-WebSocket-Extensions answer';
  if (exts.length === 0) return null;
  if (exts.length > 1) return 'the server accepted more than one extension';
  const ext = exts[0]!;
  if (ext.name !== EXTENSION_NAME) return `the server accepted extension '${ext.name}', which was not offered`;
  const seen = new Set<string>();
  let serverNoCtx = false;
  let clientNoCtx = false;
  let serverBits = 15;
  let clientBits = 15;
  for (const [name, value] of ext.params) {
    if (seen.has(name)) return `repeated parameter ${name}`;
    seen.add(name);
    switch (name) {
      case 'server_no_context_takeover':
        if (value !== true) return `${name} takes no value`;
        serverNoCtx = true;
        break;
      case 'client_no_context_takeover':
        if (value !== true) return `${name} takes no value`;
        clientNoCtx = true;
        break;
      case 'server_max_window_bits': {
        const b = windowBits(value);
        if (b === null) return `invalid ${name}`;
        serverBits = b;
        break;
      }
      case 'client_max_window_bits': {
        // Offered without a value, so the server may answer with one (§7.1.2.2).
        const b = windowBits(value);
        if (b === null) return `invalid ${name}`;
        clientBits = b;
        break;
      }
      default:
        return `unknown parameter ${name}`;
    }
  }
  return {
    serverNoContextTakeover: serverNoCtx,
    clientNoContextTakeover: clientNoCtx,
    serverMaxWindowBits: serverBits,
    clientMaxWindowBits: clientBits,
  };
}

// ---- zlib streams --------------------------------------------------------------------------

/** The native handle behind a Node zlib stream object (what `zlib.*Sync` calls drive). */
interface NativeHandle {
  writeSync(flush: number, input: Uint8Array, inOff: number, inLen: number, out: Uint8Array, outOff: number, outLen: number): void;
}

interface ZlibInternals {
  _handle: NativeHandle | null;
  /** [avail_out, avail_in] after each write, filled by the handle. */
  _writeState: Uint32Array;
}

/** A zlib error or the output limit while inflating. */
export type ZlibFailure = 'toolarge' | 'error';

/** A raw deflate or inflate stream driven synchronously; see the file comment. */
class ZlibStream {
  private readonly z: zlib.DeflateRaw | zlib.InflateRaw;
  private failed = false;

  constructor(z: zlib.DeflateRaw | zlib.InflateRaw) {
    this.z = z;
    // Errors are reported by the handle during writeSync; the stream object also emits them.
    z.on('error', () => {
      this.failed = true;
    });
    const internals = z as unknown as ZlibInternals;
    if (typeof internals._handle?.writeSync !== 'function' || !(internals._writeState instanceof Uint32Array)) {
      throw new Error('this Node.js zlib has no synchronous stream handle');
    }
  }

  /**
   * Runs `input` through the stream with `flush` and appends the output to `out`. Stops with
   * 'toolarge' when the output so far would pass `limit` bytes (nothing past the limit is kept).
   * Returns the number of bytes appended, or a failure.
   */
  run(input: Uint8Array, flush: number, out: Buffer[], limit: number): number | ZlibFailure {
    const internals = this.z as unknown as ZlibInternals;
    const handle = internals._handle;
    if (this.failed || handle === null) return 'error';
    const state = internals._writeState;
    const buf = (scratch ??= Buffer.allocUnsafe(SCRATCH_SIZE));
    let inOff = 0;
    let inLen = input.length;
    let total = 0;
    for (;;) {
      handle.writeSync(flush, input, inOff, inLen, buf, 0, SCRATCH_SIZE);
      if (this.failed || internals._handle === null) {
        this.failed = true;
        return 'error';
      }
      const availOut = state[0]!;
      const availIn = state[1]!;
      const have = SCRATCH_SIZE - availOut;
      if (have > 0) {
        if (total + have > limit) return 'toolarge';
        out.push(Buffer.from(buf.subarray(0, have)));
        total += have;
      }
      inOff += inLen - availIn;
      inLen = availIn;
      // A full output buffer means zlib may have more; otherwise all input is consumed.
      if (availOut !== 0) return total;
    }
  }

  reset(): void {
    if (!this.failed) this.z.reset();
  }

  close(): void {
    this.z.close();
  }
}

/** Compresses messages for one connection direction (RFC 7692 §7.2.1). */
export class Deflater {
  private stream: ZlibStream | null = null;

  constructor(
    /** Window bits; 9..15 (8 is never used for sending: see `canCompress`). */
    private readonly windowBits: number,
    /** Reset the window after each message (no context takeover). */
    private readonly noContextTakeover: boolean,
    private readonly level: number = zlib.constants.Z_DEFAULT_COMPRESSION,
  ) {}

  /**
   * Whether messages can be compressed with this window: zlib cannot produce raw deflate
   * data with a 256-byte window (8 bits), so such a peer gets uncompressed messages, which
   * RFC 7692 §6 always allows (RSV1 clear).
   */
  static canCompress(windowBits: number): boolean {
    return windowBits >= 9;
  }

  /** The compressed payload of one message, its final 00 00 FF FF removed (§7.2.1). */
  compress(payload: Uint8Array): Buffer {
    this.stream ??= new ZlibStream(zlib.createDeflateRaw({ windowBits: this.windowBits, level: this.level }));
    const out: Buffer[] = [];
    const r = this.stream.run(payload, zlib.constants.Z_SYNC_FLUSH, out, Infinity);
    if (typeof r !== 'number') throw new Error('deflate failed');
    if (this.noContextTakeover) this.stream.reset();
    const all = out.length === 1 ? out[0]! : Buffer.concat(out, r);
    // Z_SYNC_FLUSH ends the data with an empty stored block, 00 00 FF FF.
    return all.subarray(0, all.length - 4);
  }

  close(): void {
    this.stream?.close();
    this.stream = null;
  }
}

/** Inflates the messages of one connection direction (RFC 7692 §7.2.2), bounded. */
export class Inflater {
  private stream: ZlibStream | null = null;
  /** Output of the current message so far. */
  private produced = 0;

  constructor(
    /** Reset the window after each message: the peer does not take over its context. */
    private readonly noContextTakeover: boolean,
  ) {}

  /**
   * Inflates the next compressed bytes of the current message, appending the output to `out`.
   * Returns the bytes appended, 'toolarge' once the message's output would pass `limit`,
   * 'error' for data that is not deflate data. After a failure the inflater is unusable.
   */
  write(data: Uint8Array, out: Buffer[], limit: number): number | ZlibFailure {
    // Any window up to 15 bits is inflated with a 15-bit window (RFC 7692 §7.1.2).
    this.stream ??= new ZlibStream(zlib.createInflateRaw({ windowBits: 15 }));
    const r = this.stream.run(data, zlib.constants.Z_SYNC_FLUSH, out, limit - this.produced);
    if (typeof r === 'number') this.produced += r;
    return r;
  }

  /** Ends the current message: adds the stripped 00 00 FF FF and flushes (§7.2.2). */
  finish(out: Buffer[], limit: number): number | ZlibFailure {
    const r = this.write(TAIL, out, limit);
    this.produced = 0;
    if (typeof r === 'number' && this.noContextTakeover) this.stream!.reset();
    return r;
  }

  /** Forgets a message partly inflated (the connection is closing). */
  abort(): void {
    this.produced = 0;
  }

  close(): void {
    this.stream?.close();
    this.stream = null;
  }
}
