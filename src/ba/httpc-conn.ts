/**
 * An httpc object (one HTTP/1.1 client connection of `require"httpc"`) and how its connection
 * is opened: directly, through an HTTP proxy (CONNECT tunnel) or a SOCKS5 proxy, then TLS for
 * https/wss. Opening suspends only the calling coroutine; the connect, proxy and TLS events
 * resume it.
 */
import { layerError, type BaError } from './errors.js';
import { clampTimeout } from './args.js';
import { LuaRaise } from '../vm/lua-error.js';
import { T_FUNCTION, type LState } from '../vm/lua-vm.js';
import { TcpConn } from '../net/tcp-conn.js';
import { httpConnect, socks5Connect, type HeadStatusParser } from '../net/proxy-connect.js';
import { ResponseHeadParser } from '../http/response-head-parser.js';
import { basicAuth, type ClientUrl } from '../http/client-request.js';
import type { Exchange } from '../http/client-exchange.js';
import type { SocketLib } from './socket.js';
import { dialTcp, type NetSocket, type TLSSocket } from '../net/tcp-dial.js';
import { connectDefaultTls } from '../net/tls-socket.js';
import { Wait } from '../sched/waiter.js';
import type { BaContext } from './context.js';

/** Connect (and TLS handshake) limit when the script set no `h:timeout`. */
const DEFAULT_CONNECT_TIMEOUT = 10_000;
export interface CreateOptions {
  persistent: boolean;
  sendHost: boolean;
  intf?: string;
  ipv6: boolean;
  /** Registry ref of the `shark` TLS context, or 0. */
  sharkRef: number;
  proxy?: string;
  proxyport: number;
  proxyuser?: string;
  proxypass?: string;
  proxycon: boolean;
  socks: boolean;
}

export class HttpcObj {
  conn: TcpConn | null = null;
  /** scheme://host:port the connection goes to (for keep-alive reuse). */
  origin = '';
  ex: Exchange | null = null;
  /** h:timeout(ms); 0 = none (connects then use DEFAULT_CONNECT_TIMEOUT). */
  timeoutMs = 0;
  /** A coroutine is waiting in a call on this object. */
  busy = false;
  /** Closed by h:close() or taken by http2sock. */
  closed = false;
  /** TLS socket of the current connection, if any. */
  tlsSock: TLSSocket | null = null;
  /** Why the last connect failed: status()/read() report it, as BAS does ("cannotconnect"). */
  connectError: BaError | null = null;
  constructor(
    readonly id: number,
    readonly opts: CreateOptions,
  ) {}

  dropConn(): void {
    const c = this.conn;
    this.conn = null;
    this.tlsSock = null;
    this.origin = '';
    if (c) {
      c.onReadable = null;
      c.destroy();
    }
  }
}

/**
 * Opens the connection for `url` (directly, through an HTTP proxy or a SOCKS5 proxy, then TLS
 * when the URL is secure) and runs `then` on the caller's coroutine. `sharkRef` (released
 * here) is the TLS context for the tlsConnect hook.
 */
export function connectHttpc(
  ctx: BaContext,
  sockets: SocketLib,
  L: LState,
  h: HttpcObj,
  url: ClientUrl,
  trusted: boolean,
  sharkRef: number,
  attach: (conn: TcpConn, tlsSock: TLSSocket | null) => void,
  then: (L: LState) => number,
): number {
  const { vm, sched } = ctx;
  const task = sched.current;
  if (!task) throw new LuaRaise('httpc: no coroutine to suspend');
  const w = new Wait('connect', task);
  h.busy = true;
  let sock: NetSocket | null = null;
  const release = (): void => {
    if (sharkRef) vm.unref(sharkRef);
    sharkRef = 0;
  };
  h.connectError = null;
  // BAS returns the error alone (no resolver text) and repeats it for status() and read().
  const fail = (err: BaError): void => {
    sock?.destroy();
    release();
    h.busy = false;
    h.connectError = err;
    w.complete((L) => sockets.nilErr(L, err));
  };
  w.timer = setTimeout(() => fail('timeout'), h.timeoutMs > 0 ? clampTimeout(h.timeoutMs) : DEFAULT_CONNECT_TIMEOUT);
  w.onAbort = () => {
    sock?.destroy();
    release();
    h.busy = false;
  };
  const o = h.opts;
  const viaHttpProxy = o.proxy !== undefined && !o.socks;
  const tunnel = viaHttpProxy && (url.secure || o.proxycon);
  const dialHost = o.proxy ?? url.host;
  const dialPort = o.proxy !== undefined ? o.proxyport : url.port;

  const established = (so: NetSocket): void => {
    if (w.done) {
      so.destroy();
      return;
    }
    if (!url.secure) return done(so, null);
    startTls(ctx, sockets, so, url.host, sharkRef, (err, ts) => {
      if (w.done) {
        ts?.destroy();
        return;
      }
      if (err || !ts) return fail(err ? layerError(err) : 'sslhandshake');
      if (trusted && !ts.authorized) return fail('sslnottrusted');
      done(ts, ts);
    });
  };
  const done = (so: NetSocket, ts: TLSSocket | null): void => {
    release();
    so.removeAllListeners('error');
    const conn = new TcpConn(so);
    // A proxy handshake may have paused the socket; the TcpConn reads from now on.
    so.resume();
    attach(conn, ts);
    h.busy = false;
    w.complete(then);
  };
  const start = (ip: string): void => {
    if (w.done) return;
    const so = dialTcp(ip, dialPort, o.intf);
    sock = so;
    so.setNoDelay(true);
    so.once('error', () => fail('cannotconnect'));
    so.once('connect', () => {
      if (w.done) {
        so.destroy();
        return;
      }
      if (o.socks && o.proxy !== undefined) {
        socks5Connect(so, url.host, url.port, o.proxyuser, o.proxypass, (err) => (err ? fail(layerError(err)) : established(so)));
      } else if (tunnel) {
        httpConnect(so, url.host, url.port, o.proxyuser !== undefined ? basicAuth(o.proxyuser, o.proxypass ?? '') : undefined, connectHeadParser(), (err) => (err ? fail(layerError(err)) : established(so)));
      } else established(so);
    });
  };
  const ip = sockets.resolve(dialHost, o.ipv6, (err, ip, text) => {
    if (err) fail(err);
    else start(ip);
  });
  if (ip !== null) start(ip);
  return sched.suspend(L, w, 'request');
}

/** TLS over `so`: the TLS module's hook when installed (shark contexts), else node:tls. */
export function startTls(ctx: BaContext, sockets: SocketLib, so: NetSocket, host: string, sharkRef: number, cb: (err: string | null, ts?: TLSSocket) => void): void {
  const { vm } = ctx;
  const hook = sockets.tlsConnect;
  if (hook) {
    // The hook reads `shark` from an option table, as ba.socket.connect's third argument
    // (read while the hook runs: the table is popped when it returns).
    const L = vm.L;
    const top = vm.top(L);
    vm.newTable(L);
    if (sharkRef) {
      vm.pushRef(L, sharkRef);
      vm.setField(L, -2, 'shark');
    } else {
      // As BAS: without `shark`, the default client context, ba.sharkclient().
      ctx.pushBa(L);
      vm.getField(L, -1, 'sharkclient');
      vm.rotate(L, -2, 1);
      vm.pop(L, 1);
      if (vm.type(L, -1) === T_FUNCTION && vm.pcall(L, 0, 1) === null) vm.setField(L, -2, 'shark');
      else vm.settop(L, top + 1);
    }
    try {
      hook(L, top + 1, so, host, (err, ts) => cb(err, ts as TLSSocket | undefined));
    } finally {
      vm.settop(L, top);
    }
    return;
  }
  connectDefaultTls(so, host, cb);
}

/** Parses a CONNECT response head for net/proxy-connect. */
function connectHeadParser(): HeadStatusParser {
  const parser = new ResponseHeadParser();
  return (buf) => {
    parser.reset();
    const r = parser.feed(buf);
    if (r.state === 'complete') return { status: r.head.status, consumed: r.consumed };
    return r.state === 'error' ? 'error' : null;
  };
}
