/**
 * `ba.socket.req2sock(request [, raw | options])` and `ba.socket.sock2req(sock [, pushback])`:
 * an HTTP request's connection becomes a socket object, and a raw socket's connection goes
 * back to the HTTP server as a keep-alive connection.
 *
 * A WebSocket upgrade request becomes a WebSocket server socket (src/ba/websocket.ts answers
 * the 101 handshake itself); `raw` or any other request becomes a plain TCP socket.
 */
import { T_TABLE, type LState } from '../vm/lua-vm.js';
import type { NetSocket } from '../net/tcp-dial.js';
import type { BaContext } from './context.js';
import type { SocketLib } from './socket.js';
import type { RequestLib } from './request.js';
import { wsServerSocket } from './websocket.js';

export interface Req2SockOptions {
  /** Hands a socket back to the HTTP server, `pushback` parsed as the next request's start. */
  giveBack(socket: NetSocket, pushback: Buffer): void;
}

export function installReq2Sock(ctx: BaContext, sockets: SocketLib, requests: RequestLib, opts: Req2SockOptions): void {
  const { vm, args } = ctx;
  const L0 = vm.L;

  sockets.addFunction(L0, 'req2sock', (L: LState) => {
    const r = requests.toRequest(L, 1);
    if (!r) {
      if (requests.isRequest(L, 1)) return sockets.nilErr(L, 'socketclosed');
      return args.typeError(L, 1, 'req2sock', 'request');
    }
    // The second argument: BAS's `raw` flag, or (this runtime) an options table
    // { raw = bool, deflate = bool }; `deflate` defaults to the configuration's wsdeflate.
    let raw: boolean;
    let deflate = ctx.config.wsdeflate === true;
    if (vm.type(L, 2) === T_TABLE) {
      raw = args.optField(L, 2, 'raw').bool === true;
      const d = args.optField(L, 2, 'deflate').bool;
      if (d !== undefined) deflate = d;
    } else raw = vm.toBoolean(L, 2);
    if (r.taken) return sockets.nilErr(L, 'socketclosed');
    const h = r.exchange.head.headers;
    const key = h.get('sec-websocket-key');
    const version = h.get('sec-websocket-version');
    // A peer that already finished sending (FIN or RST seen) cannot carry a socket protocol:
    // the connection counts as gone.
    const so = r.exchange.socket;
    if (so.destroyed || so.readableEnded) return sockets.nilErr(L, 'socketclosed');
    const taken = r.exchange.takeOver();
    if (!taken) return sockets.nilErr(L, 'socketclosed');
    r.taken = true;
    const { socket, pending } = taken;
    if (!raw && key !== undefined && version !== undefined) {
      const ws = wsServerSocket(ctx, sockets, socket, pending, key, { offer: h.get('sec-websocket-extensions'), deflate });
      sockets.pushSock(L, ws);
      return 1;
    }
    const s = sockets.newSock('tcp');
    s.hadNet = true;
    sockets.attachConn(s, socket);
    // takeOver() paused the socket; the TcpConn reads (with its own back-pressure) from now on.
    socket.resume();
    sockets.pushSock(L, s);
    if (pending.length === 0) return 1;
    vm.pushBytes(L, pending);
    return 2;
  });

  sockets.addFunction(L0, 'sock2req', (L: LState) => {
    const s = sockets.checkSock(L, 1, 'sock2req');
    const pushback = args.isNoneOrNil(L, 2) ? Buffer.alloc(0) : args.checkBytes(L, 2, 'sock2req');
    const conn = s.conn;
    if (s.closed || !conn || s.kind !== 'tcp' || !conn.writable) {
      sockets.closeSock(s);
      return 0;
    }
    conn.flush();
    const rest = conn.detach();
    s.conn = null;
    // Unusable afterwards; a coroutine waiting on it gets nil, "socketclosed".
    sockets.closeSock(s);
    opts.giveBack(conn.sock, Buffer.concat([pushback, rest]));
    return 0;
  });
}
