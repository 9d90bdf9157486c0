/**
 * WebSocket sockets for `ba.socket`: a socket object of kind 'ws' over a TcpConn, and the
 * WebSocket transport (transport.ts): what read, write, close and enable do on it (setoption,
 * sendto and the addresses are TCP's). The frame codec is src/ws/ (no Lua); this file maps its
 * results to Lua values and its frames to the write queue.
 *
 * Modes are those of TCP (as in BAS: the same three modes and the same queue rules): data frames go
 * through `SocketLib.writeBytes` with its frame hook, so blocking, "r"-mode and "s"-mode sockets
 * keep the TCP queue rules; pongs and close replies are written straight away, never waiting
 *
 * Reads: received bytes stay in the TcpConn (whose read buffer pauses the socket at its high
 * water mark) until a read wants them; only then are they moved into the MessageReader. A
 * waiting read is completed only when a whole result is there (a frame may arrive in many TCP
 * segments), so `sockets.onReadable` is called only when the read can complete.
 */
import { LuaRaise } from '../vm/lua-error.js';
import { T_NIL, T_NONE, T_TABLE, T_USERDATA, type LState, type LuaVM } from '../vm/lua-vm.js';
import type { TcpConn } from '../net/tcp-conn.js';
import { MessageReader, type ReadResult } from '../ws/message-reader.js';
import { Sender } from '../ws/sender.js';
import { serverHandshakeResponse, verifyServerAccept } from '../ws/handshake.js';
import { parseSimpleFrame, unmaskInto, type SimpleFrame } from '../ws/simple-frame.js';
import { Deflater, Inflater, acceptClientAnswer, negotiateServer, type DeflateParams } from '../ws/permessage-deflate.js';
import type { LSock, SocketLib } from './socket.js';
import type { NetSocket } from '../net/tcp-dial.js';
import type { BaContext } from './context.js';
import type { Transport } from './transport.js';

/** Largest slice moved from the TCP buffer into the frame parser at once. */
const PUMP_CHUNK = 256 * 1024;
/** Default ping payload. */
const DEFAULT_PING = Buffer.from('BAS');

/**
 * What `read` reports once the TCP connection has ended and no result is left ('ended'), or
 * that a simple frame (src/ws/simple-frame.ts) waits in `fastSrc`, to be copied into a Lua
 * string as it is unmasked ('fast').
 */
type Pending = ReadResult | 'ended' | 'fast';

/**
 * Header bytes of a simple frame (16-bit length and masking key): up to a read's size plus
 * this much buffered is read with `TcpConn.readInto`, the frame taken straight from the chunk.
 */
const SIMPLE_HEADER_MAX = 8;

/** The WsState whose pump runs `takeChunk` (one sink function for every connection). */
let sinkState: WsState | null = null;
function chunkSink(src: Buffer, start: number, end: number): void {
  sinkState!.takeChunk(src, start, end);
}

/** A copy of `src[start..end)`: the chunk `readInto` lends may be reused once it returns. */
function copyOf(src: Buffer, start: number, end: number): Buffer {
  const b = Buffer.allocUnsafe(end - start);
  src.copy(b, 0, start, end);
  return b;
}

/** `TcpConn.takeDirect` of every WebSocket connection (its `readableArg` is the WsState). */
function takeDirect(arg: unknown, buf: Buffer, n: number): boolean {
  const st = arg as WsState;
  return st.lib !== null && st.lib.takeFrame(st, buf, n);
}

/** Queued bytes above which pongs are dropped (see onPing). */
const PONG_QUEUE_LIMIT = 64 * 1024;

/** The WebSocket side of one socket object (its `transportState`). */
export class WsState implements SimpleFrame {
  readonly reader: MessageReader;
  readonly sender: Sender;
  /** A result computed ahead (to know a waiting read can complete), not yet returned. */
  pending: Pending | null = null;

  /** The chunk holding a simple frame ('fast' pending) and where its payload is (SimpleFrame). */
  private fastSrc: Buffer | null = null;
  payloadStart = 0;
  payloadLength = 0;
  isText = false;
  maskKey = -1;

  /** The library whose `takeFrame` serves this socket's direct reads (set by `wire`). */
  lib: WebSocketLib | null = null;

  /** The negotiated permessage-deflate extension (RFC 7692), or null. */
  readonly deflate: DeflateParams | null;
  private readonly deflater: Deflater | null = null;
  private readonly inflater: Inflater | null = null;

  constructor(
    /** The object that owns the connection (changes when `s:event` moves it). */
    public sock: LSock,
    readonly isServer: boolean,
    maxMessageSize: number,
    deflate: DeflateParams | null = null,
  ) {
    this.deflate = deflate;
    if (deflate) {
      // This side's sending window and reset rule, and the peer's reset rule for inflating.
      const bits = isServer ? deflate.serverMaxWindowBits : deflate.clientMaxWindowBits;
      const ownNoCtx = isServer ? deflate.serverNoContextTakeover : deflate.clientNoContextTakeover;
      const peerNoCtx = isServer ? deflate.clientNoContextTakeover : deflate.serverNoContextTakeover;
      if (Deflater.canCompress(bits)) this.deflater = new Deflater(bits, ownNoCtx);
      this.inflater = new Inflater(peerNoCtx);
    }
    this.sender = new Sender({ isServer, maxMessageSize, deflater: this.deflater });
    this.reader = new MessageReader({
      isServer,
      maxMessageSize,
      inflater: this.inflater ?? undefined,
      // RFC 6455 §5.5.2, and as in BAS: the pong is queued without waiting. A peer
      // that floods pings and never reads would grow the queue without bound (issue 14):
      // while more than PONG_QUEUE_LIMIT bytes wait, pongs are dropped (RFC 6455 §5.5.3 lets
      // an endpoint answer only the most recent ping).
      onPing: (payload) => {
        if ((this.sock.conn?.queued ?? 0) > PONG_QUEUE_LIMIT) return;
        this.sendControl(this.sender.pong(payload));
      },
    });
  }

  /** Frees the zlib streams (the socket is closed). */
  release(): void {
    this.deflater?.close();
    this.inflater?.close();
  }

  /**
   * Writes a control frame at once, whatever the queue holds (pong, close). `closing`: the
   * socket object is being closed (closeSock marks it closed before its onClose hook runs).
   */
  sendControl(frame: Buffer[], closing = false): void {
    const conn = this.sock.conn;
    if (!conn || !conn.writable || (this.sock.closed && !closing)) return;
    writeFrame(conn, frame);
  }

  /**
   * The next read result if one can be had now: moves buffered TCP bytes into the parser until
   * a result is complete. Null when a read must wait.
   */
  pump(): Pending | null {
    if (this.pending !== null) return this.pending;
    const conn = this.sock.conn;
    for (;;) {
      // The common case: a whole small frame in the next chunk, with no message in progress.
      if (conn !== null) {
        const n = conn.buffered;
        if (n <= this.sock.maxSize + SIMPLE_HEADER_MAX && this.reader.atMessageStart) {
          // Nothing received and nothing parsed: the read waits (or the connection ended).
          if (n === 0) return conn.ended ? (this.pending = 'ended') : null;
          sinkState = this;
          conn.readInto(n, chunkSink);
          sinkState = null;
          if (this.fastSrc !== null) return (this.pending = 'fast');
          continue;
        }
      }
      const r = this.reader.read(this.sock.maxSize);
      if (r !== null) return (this.pending = r);
      if (!conn) return (this.pending = 'ended');
      const b = conn.read(PUMP_CHUNK);
      if (b !== null) {
        this.reader.push(b);
        continue;
      }
      if (conn.ended) return (this.pending = 'ended');
      return null;
    }
  }

  /**
   * @internal (pump's sink) Bytes taken from the connection: a simple frame at their start is
   * kept for `pushFast`; the rest goes to the frame parser, copied (see copyOf).
   */
  takeChunk(src: Buffer, start: number, end: number): void {
    const max = Math.min(this.sock.maxSize, this.sender.maxMessageSize);
    const next = parseSimpleFrame(src, start, end, this.isServer, max, this);
    if (next < 0) {
      this.reader.push(copyOf(src, start, end));
      return;
    }
    this.fastSrc = src;
    if (next < end) this.reader.push(copyOf(src, next, end));
  }

  /** Pushes the 'fast' pending frame: its payload as a string, unmasked while copied, and isText. */
  pushFast(vm: LuaVM, L: LState): void {
    const n = this.payloadLength;
    const p = vm.stringSlot(L, n);
    unmaskInto(vm.heap(), p, this.fastSrc!, this.payloadStart, n, this.maskKey);
    vm.commitString(L, p, n);
    this.fastSrc = null;
    this.pending = null;
    vm.pushBoolean(L, this.isText);
  }

  /** A 'fast' pending frame not read at once becomes a message of its own bytes. */
  ownFast(): void {
    if (this.pending !== 'fast') return;
    const data = Buffer.allocUnsafe(this.payloadLength);
    unmaskInto(data, 0, this.fastSrc!, this.payloadStart, this.payloadLength, this.maskKey);
    this.fastSrc = null;
    this.pending = { kind: 'message', data, isText: this.isText };
  }
}

/**
 * A frame whose payload is safe to keep: `writeBytes` hands its frame hook a view into WASM
 * memory (no copy), and Sender returns a large unmasked payload uncopied as the frame's second
 * buffer; that one is copied here. Small and masked frames are already one fresh buffer.
 */
function owned(frame: Buffer[]): Buffer[] {
  if (frame.length === 2) frame[1] = Buffer.from(frame[1]!);
  return frame;
}

/** Scratch space for a frame header on its way into a write batch. */
const frameHead = new Uint8Array(10);

/** Hands one frame (one or two buffers) to the connection in one go. */
function writeFrame(conn: TcpConn, frame: Buffer[]): void {
  if (frame.length === 1) {
    conn.write(frame[0]!);
    return;
  }
  const so = conn.sock;
  so.cork();
  for (const b of frame) conn.write(b);
  so.uncork();
}

/** What a server socket may negotiate (ba.socket.req2sock). */
export interface WsServerExtensions {
  /** The request's `Sec-WebSocket-Extensions` value, if any. */
  readonly offer: string | undefined;
  /** The app allows permessage-deflate on this connection. */
  readonly deflate: boolean;
}

/** What ba.socket.http2sock needs from an httpc object. */
export interface HttpcHandoff {
  /** The `Sec-WebSocket-Key` sent by a ws:// or wss:// request, else null. */
  readonly wsKey: string | null;
  /** The response's `Sec-WebSocket-Accept` values (empty when absent). */
  readonly accept: readonly string[];
  /** The response's `Sec-WebSocket-Extensions` values (empty when absent). */
  readonly extensions: readonly string[];
  /** The request offered permessage-deflate. */
  readonly deflateOffered: boolean;
  /** The host the request went to (expected certificate name for TLS sockets). */
  readonly host: string;
  /**
   * A proxy tunnel (proxycon) or a proxy's connection, no response: bytes that came after the
   * proxy's answer stay in the socket instead of being the second value.
   */
  readonly tunnel: boolean;
  /**
   * Takes the connection away from the httpc object, which is unusable afterwards. Bytes read
   * past the response head are still buffered in the returned TcpConn.
   */
  take(): TcpConn;
}

/** Finds the httpc object at stack index `idx` with a live connection and a received response. */
export type HttpcLookup = (L: LState, idx: number) => HttpcHandoff | null;

export class WebSocketLib implements Transport {
  /** Set by the HTTP client module: resolves an httpc userdata for http2sock. */
  httpcLookup: HttpcLookup | null = null;

  constructor(
    readonly ctx: BaContext,
    readonly sockets: SocketLib,
  ) {
    sockets.transports.ws = this;
  }

  // ---- the WebSocket transport: `s` has a WsState (SocketCore.transportOf) ------------------

  read(s: LSock, L: LState): number {
    return this.readMessage(s.transportState as WsState, L);
  }

  hasData(s: LSock): boolean {
    const st = s.transportState as WsState;
    const r = st.pump();
    st.ownFast();
    return r !== null;
  }

  write(s: LSock, L: LState, data: Uint8Array, isText: boolean): number {
    return this.writeMessage(s.transportState as WsState, L, data, isText);
  }

  writeString(s: LSock, L: LState, isText: boolean, _top: number, p: number, n: number): number {
    return this.writeStringFrame(s.transportState as WsState, L, isText, p, n);
  }

  /** As on the TCP connection underneath ("Not a DGRAM socket"). */
  sendto(s: LSock, L: LState): number {
    return this.sockets.transports.tcp.sendto(s, L);
  }

  /** The options of the TCP connection underneath. */
  setoption(s: LSock, L: LState, name: string, on: boolean): number {
    return this.sockets.transports.tcp.setoption(s, L, name, on);
  }

  /** The addresses of the TCP connection underneath. */
  addr(s: LSock, peer: boolean): [string, number, boolean] | null {
    return this.sockets.transports.tcp.addr(s, peer);
  }

  /** close(): a close frame with 1000 first, unless one was sent. */
  close(s: LSock): void {
    if (s.conn) this.sendCloseFrame(s.transportState as WsState);
  }

  rebind(s: LSock): void {
    const st = s.transportState as WsState;
    st.sock = s;
    this.wire(st);
  }

  install(L: LState): void {
    const { sockets } = this;
    // sock:ping([data="BAS"]) replaces the "Not WS" stub for every socket.
    sockets.addMethod(L, 'ping', (L) => this.ping(L));
    sockets.addFunction(L, 'http2sock', (L) => this.http2sock(L));
  }

  /**
   * Makes `s` (with `s.conn` set) a WebSocket of the given side: reads, writes, ping, close
   * behave as a BAS WebSocket from now on.
   */
  attach(s: LSock, isServer: boolean, deflate: DeflateParams | null = null): WsState {
    const st = new WsState(s, isServer, this.ctx.config.wsmaxsize, deflate);
    // Messages are latency-bound: no Nagle delay (as the ws package and browsers do).
    s.conn?.sock.setNoDelay(true);
    s.kind = 'ws';
    s.hadNet = true;
    s.transportState = st;
    this.wire(st);
    return st;
  }

  /** Routes the connection's read events through the frame parser. */
  private wire(st: WsState): void {
    const conn = st.sock.conn;
    if (!conn) return;
    st.lib = this;
    conn.readableArg = st;
    conn.takeDirect = takeDirect;
    conn.onReadable = () => {
      const s = st.sock;
      const r = s.reader;
      // Only a waiting read that can complete now is resumed (a frame may span segments).
      if (!r || r.state !== 'read' || s.disabled === 'outside') return;
      if (st.pump() === null) return;
      this.sockets.onReadable(s);
      // Not read at once (the wait completes later): keep the frame's own bytes.
      st.ownFast();
    };
  }

  /**
   * A direct read of `n` bytes in `buf` (TcpConn.takeDirect, nothing else buffered): when they
   * are exactly one simple frame and the socket's coroutine waits in `read` with nothing in
   * the way (no timer, no Lua running, no message in progress), its payload goes straight into
   * the Lua string the read returns, and the coroutine runs. False: the bytes are queued and
   * take the usual path (`wire`'s read event, `pump`).
   */
  takeFrame(st: WsState, buf: Buffer, n: number): boolean {
    const s = st.sock;
    const r = s.reader;
    if (r === null || r.state !== 'read' || r.done || r.timer !== null || s.disabled === 'outside' || s.closed) return false;
    const sched = this.ctx.sched;
    if (sched.current !== null || st.pending !== null || n > s.maxSize + SIMPLE_HEADER_MAX || !st.reader.atMessageStart) return false;
    if (parseSimpleFrame(buf, 0, n, st.isServer, Math.min(s.maxSize, st.sender.maxMessageSize), st) !== n) return false;
    // As `sockets.onReadable` completes a waiting read (settle: no closures).
    if (!r.settle()) return false;
    s.spareWait = r;
    const L = r.task.co;
    const { vm } = this.ctx;
    const len = st.payloadLength;
    const p = vm.stringSlot(L, len);
    unmaskInto(vm.heap(), p, buf, st.payloadStart, len, st.maskKey);
    vm.commitString(L, p, len);
    vm.pushBoolean(L, st.isText);
    sched.resume(r.task, 2);
    if (s.spareWait === r) s.spareWait = null;
    return true;
  }

  /** `sock:read` on an open WebSocket: one message (or a piece of a long one), or -1 to wait. */
  private readMessage(st: WsState, L: LState): number {
    const { vm } = this.ctx;
    const s = st.sock;
    if (s.closed) return this.sockets.deadRead(L, s);
    const r = st.pump();
    if (r === null) return -1;
    if (r === 'fast') {
      st.pushFast(vm, L);
      return 2;
    }
    st.pending = null;
    if (r === 'ended') {
      // TCP gone: the dead-socket protocol (this read closes the socket).
      const conn = s.conn;
      const err = conn?.ended === 'closenotify' ? 'sslclosenotify' : 'socketreadfailed';
      st.reader.markCloseSent(); // no close frame to a peer that is gone
      this.sockets.closeSock(s);
      s.dead = 1;
      return this.sockets.nilErr(L, err);
    }
    switch (r.kind) {
      case 'message':
        vm.pushBytes(L, r.data);
        vm.pushBoolean(L, r.isText);
        return 2;
      case 'piece':
        vm.pushBytes(L, r.data);
        vm.pushBoolean(L, r.isText);
        vm.pushInteger(L, r.bytesRead);
        vm.pushInteger(L, r.frameLen);
        return 4;
      case 'closed':
        // The peer's close is echoed, a violation answered with its code (D3); the library
        // does not close TCP itself.
        if (r.reply !== null) st.sendControl(st.sender.close(r.reply.code));
        return this.sockets.nilErr(L, 'socketclosed', r.code);
    }
  }

  /**
   * The common cosocket case of `write` (a string, an "s"-mode socket with nothing queued, a
   * server): header and payload copied from WASM memory into the run's write batch, as `write`
   * would, without a view, a result object or closures. -1 when any of that does not hold.
   */
  private writeStringFrame(st: WsState, L: LState, isText: boolean, p: number, n: number): number {
    const s = st.sock;
    const conn = s.conn;
    if (!s.sMode || s.closed || st.reader.closing || conn === null || conn.queued !== 0 || !conn.writable || conn.ended) return -1;
    const { vm } = this.ctx;
    if (p < 0) {
      p = vm.strPtr(L, 2);
      n = vm.strLen;
    }
    if (p < 0 || n > st.sender.maxMessageSize) return -1;
    const hl = st.sender.serverHeader(isText, n, frameHead);
    if (hl === null) return -1;
    conn.writeBatchedFrom(frameHead, 0, hl);
    if (n > 0) conn.writeBatchedFrom(vm.heap(), p, n);
    vm.pushOk(L, conn.queued);
    return 2;
  }

  /** write(data [, isText]): one unfragmented frame through BAS's write-queue rules. */
  private writeMessage(st: WsState, L: LState, data: Uint8Array, isText: boolean): number {
    const { sender } = st;
    // D2: above wsmaxsize write raises "Max len 0x…" (before anything is queued).
    if (data.length > sender.maxMessageSize) {
      throw new LuaRaise(`Max len 0x${sender.maxMessageSize.toString(16).toUpperCase()}`);
    }
    const s = st.sock;
    // RFC 6455 §5.5.1: no data frame after our close frame.
    if (!s.closed && st.reader.closing) return this.sockets.nilErr(L, 'socketclosed');
    return this.sockets.writeBytes(L, s, data, (b, batch) => {
      const conn = s.conn!;
      const hl = batch ? sender.serverHeader(isText, b.length, frameHead) : null;
      if (hl !== null) {
        // A server frame joining the run's batch: header and payload copied straight in.
        conn.writeBatchedFrom(frameHead, 0, hl);
        conn.writeBatched(b);
        return;
      }
      const frame = sender.message(b, isText);
      // Joining the run's batch copies the bytes: several messages leave in one syscall.
      if (batch) for (const part of frame) s.conn!.writeBatched(part);
      else writeFrame(s.conn!, sender.compressing ? frame : owned(frame));
    });
  }

  /** close() on a WebSocket: a close frame with 1000 first, unless one was sent. */
  private sendCloseFrame(st: WsState): void {
    const { reader } = st;
    if (!reader.closing) {
      st.sendControl(st.sender.normalClose(), true);
      reader.markCloseSent();
    }
    st.ownFast();
    st.pending = null;
    st.release();
  }

  /** sock:ping([data="BAS"]): like write; "Not WS" on other sockets, "Max len 125" above 125. */
  private ping(L: LState): number {
    const { vm, args } = this.ctx;
    const s = this.sockets.checkSock(L, 1, 'ping');
    const st = s.transportState;
    if (s.kind !== 'ws' || !(st instanceof WsState)) throw new LuaRaise('Not WS');
    let data: Uint8Array = DEFAULT_PING;
    const t = vm.type(L, 2);
    if (t !== T_NONE && t !== T_NIL) {
      const b = this.ctx.dataBytes(L, 2);
      if (b) data = b;
      else {
        if (t === T_TABLE) args.typeError(L, 2, 'ping', 'string');
        vm.pushToString(L, 2);
        data = vm.viewBytes(L, -1)!;
      }
    }
    if (data.length > 125) throw new LuaRaise('Max len 125');
    if (!s.closed && st.reader.closing) return this.sockets.nilErr(L, 'socketclosed');
    return this.sockets.writeBytes(L, s, data, (b) => writeFrame(s.conn!, owned(st.sender.ping(b))));
  }

  /**
   * `ba.socket.http2sock(h)`: `h` is an httpc object or the `require"http"`
   * wrapper (its `.raw`). A live connection with a received response is required; a
   * `Sec-WebSocket-Accept` must be the full value for the key sent (D1). Without that header
   * the connection becomes a plain socket, with the bytes already buffered as second value.
   * After `h:request` returned nil, "prxready" (`proxycon`), it is a plain socket over the
   * proxy tunnel.
   */
  private http2sock(L: LState): number {
    const { vm } = this.ctx;
    const sockets = this.sockets;
    let idx = 1;
    const t = vm.type(L, 1);
    // Mako: a value that is no object at all is an argument error; an httpc object without a
    // usable response is nil, "invalidsocketcon".
    if (t !== T_TABLE && t !== T_USERDATA) this.ctx.args.typeError(L, 1, '?', 'HTTPCLIENT');
    if (t === T_TABLE) {
      vm.getField(L, 1, 'raw');
      idx = vm.top(L);
    }
    const h = this.httpcLookup?.(L, idx) ?? null;
    if (!h) return sockets.nilErr(L, 'invalidsocketcon');
    if (h.accept.length > 0) {
      if (h.wsKey === null || !verifyServerAccept(h.wsKey, h.accept)) return sockets.nilErr(L, 'invalidsocketcon');
      // RFC 7692 §5: an extension answer the client did not offer, or one the RFC forbids,
      // fails the connection.
      let deflate: DeflateParams | null = null;
      if (h.extensions.length > 0) {
        const r = h.deflateOffered ? acceptClientAnswer(h.extensions) : 'the server answered with an extension that was not offered';
        if (typeof r === 'string') {
          this.ctx.log.write(`WebSocket handshake failed: ${r}\n`);
          h.take().destroy();
          return sockets.nilErr(L, 'invalidsocketcon');
        }
        deflate = r;
      }
      const s = sockets.newSock('ws');
      s.conn = h.take();
      s.host = h.host;
      this.attach(s, false, deflate);
      sockets.pushSock(L, s);
      return 1;
    }
    const s = sockets.newSock('tcp');
    const conn = h.take();
    s.conn = conn;
    s.host = h.host;
    s.hadNet = true;
    conn.onReadable = () => sockets.onReadable(s);
    sockets.pushSock(L, s);
    if (conn.buffered === 0 || h.tunnel) return 1;
    vm.pushBytes(L, conn.takeAll());
    return 2;
  }

  /**
   * A server WebSocket over a connection taken from the HTTP server (ba.socket.req2sock): writes
   * the 101 answer for `key`, feeds `pending` (bytes read past the request head)
   * to the frame parser and returns a blocking-mode socket. `so` may be paused; it is resumed.
   */
  serverSocket(so: NetSocket, pending: Buffer, key: string, ext?: WsServerExtensions): LSock {
    const sockets = this.sockets;
    const agreed = ext?.deflate ? negotiateServer(ext.offer) : null;
    so.write(serverHandshakeResponse({ key, extensions: agreed?.response }));
    const s = sockets.newSock('ws');
    sockets.attachConn(s, so);
    s.conn!.unshift(pending);
    this.attach(s, true, agreed?.params ?? null);
    so.resume();
    return s;
  }

  /** A client WebSocket over a connection whose 101 answer was read (bytes after it buffered). */
  clientSocket(conn: TcpConn, host: string): LSock {
    const s = this.sockets.newSock('ws');
    s.conn = conn;
    s.host = host;
    this.attach(s, false);
    return s;
  }
}

const libs = new WeakMap<SocketLib, WebSocketLib>();

/** Installs ping and http2sock; returns the library (runtime composition root). */
export function installWebSocket(ctx: BaContext, sockets: SocketLib): WebSocketLib {
  const lib = new WebSocketLib(ctx, sockets);
  lib.install(ctx.vm.L);
  libs.set(sockets, lib);
  return lib;
}

/**
 * For ba.socket.req2sock: answers the upgrade for `key` on `so` (taken from the HTTP server,
 * listeners removed, possibly paused) and returns a blocking-mode server WebSocket whose frame
 * parser starts with `pending`. Push it with `sockets.pushSock(L, s)`.
 */
export function wsServerSocket(ctx: BaContext, sockets: SocketLib, so: NetSocket, pending: Buffer, key: string, ext?: WsServerExtensions): LSock {
  let lib = libs.get(sockets);
  if (!lib) {
    lib = new WebSocketLib(ctx, sockets);
    libs.set(sockets, lib);
  }
  return lib.serverSocket(so, pending, key, ext);
}
