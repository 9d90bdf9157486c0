/**
 * An httpc object (one HTTP/1.1 client connection of `require"httpc"`) and how a client
 * connection is opened (`dialClient`, also the net IO's): directly, through an HTTP proxy
 * (CONNECT tunnel, for plain http too) or a SOCKS5 proxy, then TLS for https/wss (or, with
 * `proxycon`, the bare tunnel). For httpc, opening suspends only
 * the calling coroutine; the connect, proxy and TLS events resume it.
 */
import { layerError, type BaError } from './errors.js';
import { clampTimeout } from './args.js';
import { LuaRaise } from '../vm/lua-error.js';
import { T_FUNCTION, type LState } from '../vm/lua-vm.js';
import { TcpConn } from '../net/tcp-conn.js';
import { httpConnect, socks5Connect } from '../net/proxy-connect.js';
import { basicAuth, type ClientUrl } from '../http/client-request.js';
import type { Exchange } from '../http/client-exchange.js';
import type { SocketLib } from './socket.js';
import { dialTcp, type NetSocket, type TLSSocket } from '../net/tcp-dial.js';
import { ipVersion } from '../net/resolve.js';
import { connectDefaultTls, fullyTrusted } from '../net/tls-socket.js';
import { Wait } from '../sched/waiter.js';
import type { BaContext } from './context.js';

/** Connect (and TLS handshake) limit when the script set no `h:timeout`. */
const DEFAULT_CONNECT_TIMEOUT = 10_000;
export interface CreateOptions extends DialOptions {
  persistent: boolean;
  sendHost: boolean;
  /** Registry ref of the `shark` TLS context, or 0. */
  sharkRef: number;
}

export class HttpcObj {
  conn: TcpConn | null = null;
  /** scheme://host:port the connection goes to (for keep-alive reuse). */
  origin = '';
  /** The host of the URL the connection was opened for. */
  host = '';
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
  /** With connectError: the proxy answered CONNECT (its connection is kept for http2sock). */
  proxyAnswered = false;
  /** With proxyAnswered: the status of that answer, which status() returns (null: none). */
  proxyStatus: number | null = null;
  /**
   * `proxycon`: "ready" once h:request opened the tunnel (nil, "prxready"; status() 204);
   * "incorrectuse" after a request made in that state, as BAS (the next one starts over).
   */
  prx: 'ready' | 'incorrectuse' | null = null;
  /** The last h:request had a URL that is not http(s)/ws(s). */
  invalidUrl = false;
  /** Request body bytes still to write with h:write (Content-Length bodies). */
  bodyLeft = 0;
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

/** How a client connection is opened (an httpc object's options, the net IO's io:netconf). */
export interface DialOptions {
  intf?: string;
  ipv6: boolean;
  proxy?: string;
  proxyport: number;
  proxyuser?: string;
  proxypass?: string;
  /** With a proxy: stop once the tunnel is open (no TLS): httpc's `proxycon`, BAS's "prxready". */
  proxycon: boolean;
  socks: boolean;
}

/** What opening a connection needs from above: name resolution and TLS. */
export interface DialDeps {
  resolve(host: string, ipv6: boolean, cb: (err: BaError | null, ip: string) => void): string | null;
  /** TLS over the connected (and tunnelled) socket. */
  tls(so: NetSocket, host: string, cb: (err: string | null, ts?: TLSSocket) => void): void;
  /** Fail with "sslnottrusted" when the peer's certificate is not trusted. */
  trusted: boolean;
}

/**
 * How dialClient ends. With an error, `so` is set only when an HTTP proxy answered CONNECT
 * with something else than 200: as in BAS, that connection goes to the caller (who destroys
 * it or keeps it for http2sock), and `proxyStatus` is the answer's status (null when it had
 * no valid one).
 */
export type DialDone = (err: BaError | null, so?: NetSocket, ts?: TLSSocket | null, proxyStatus?: number | null) => void;

/**
 * Opens a client connection for `url`: directly, or as BAS does through a proxy: a CONNECT
 * tunnel through an HTTP proxy (for every URL, plain http too) or a SOCKS5 CONNECT (`socks`);
 * then TLS when the URL is secure, unless `proxycon` asked for the bare tunnel. Calls `cb`
 * once (never after the returned cancel function ran). Errors are BAS's: "cannotresolve",
 * "gethostbyname" (an `intf` that is no address), "bind" (an address not on this host),
 * "cannotconnect", the proxy errors, the TLS errors. Used by httpc and by the net IO.
 */
export function dialClient(o: DialOptions, url: ClientUrl, deps: DialDeps, cb: DialDone): () => void {
  let over = false;
  let sock: NetSocket | null = null;
  const finish = (err: BaError | null, so?: NetSocket, ts?: TLSSocket | null): void => {
    if (over) {
      (ts ?? so)?.destroy();
      return;
    }
    over = true;
    if (err) sock?.destroy();
    cb(err, so, ts);
  };
  const fail = (err: BaError): void => finish(err);
  const dialHost = o.proxy ?? url.host;
  const dialPort = o.proxy !== undefined ? o.proxyport : url.port;

  const established = (so: NetSocket): void => {
    if (over) return;
    if (!url.secure || (o.proxycon && o.proxy !== undefined)) return finish(null, so, null);
    deps.tls(so, url.host, (err, ts) => {
      if (over) {
        ts?.destroy();
        return;
      }
      if (err || !ts) return fail(err ? layerError(err) : 'sslhandshake');
      if (deps.trusted && !fullyTrusted(ts, url.host)) return fail('sslnottrusted');
      finish(null, ts, ts);
    });
  };
  const start = (ip: string): void => {
    if (over) return;
    const so = dialTcp(ip, dialPort, o.intf);
    sock = so;
    so.setNoDelay(true);
    // As BAS: an interface address that is not on this host fails to bind; a proxy that drops
    // the connection during its handshake is a failed read.
    let connected = false;
    so.once('error', (e: NodeJS.ErrnoException) => fail(connected ? 'socketreadfailed' : e.code === 'EADDRNOTAVAIL' ? 'bind' : 'cannotconnect'));
    so.once('connect', () => {
      if (over) return;
      if (o.proxy === undefined) return established(so);
      connected = true;
      if (o.socks) return socks5Connect(so, url.host, url.port, o.proxyuser, o.proxypass, (err) => (err ? fail(layerError(err)) : established(so)));
      httpConnect(so, url.host, url.port, o.proxyuser !== undefined ? basicAuth(o.proxyuser, o.proxypass ?? '') : undefined, (err, answered, status) => {
        if (!err) return established(so);
        if (over) return;
        if (!answered) return fail(layerError(err));
        // The proxy answered: its connection goes to the caller.
        over = true;
        cb(layerError(err), so, null, status);
      });
    });
  };
  if (o.intf !== undefined && ipVersion(o.intf) === 0) {
    // BAS resolves the interface as an address; a name (an interface's) is not one.
    queueMicrotask(() => fail('gethostbyname'));
  } else if (dialHost === '' || (o.ipv6 && ipVersion(dialHost) === 4)) {
    // BAS: an empty name does not resolve; an IPv4 address has no IPv6 address.
    queueMicrotask(() => fail('cannotresolve'));
  } else {
    const ip = deps.resolve(dialHost, o.ipv6, (err, ip) => (err ? fail(err) : start(ip)));
    if (ip !== null) start(ip);
  }
  return () => {
    if (over) return;
    over = true;
    sock?.destroy();
  };
}

/**
 * Opens the connection for `url` (dialClient) and runs `then` on the caller's coroutine.
 * `sharkRef` (released here) is the TLS context for the tlsConnect hook.
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
  let cancel = (): void => {};
  const release = (): void => {
    if (sharkRef) vm.unref(sharkRef);
    sharkRef = 0;
  };
  h.connectError = null;
  h.proxyStatus = null;
  h.proxyAnswered = false;
  // BAS returns the error alone (no resolver text) and repeats it for status() and read().
  const fail = (err: BaError): void => {
    cancel();
    release();
    h.busy = false;
    h.connectError = err;
    w.complete((L) => sockets.nilErr(L, err));
  };
  w.timer = setTimeout(() => fail('timeout'), h.timeoutMs > 0 ? clampTimeout(h.timeoutMs) : DEFAULT_CONNECT_TIMEOUT);
  w.onAbort = () => {
    cancel();
    release();
    h.busy = false;
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
  const deps: DialDeps = {
    resolve: (host, ipv6, cb) => sockets.resolve(host, ipv6, cb),
    tls: (so, host, cb) => startTls(ctx, sockets, so, host, sharkRef, cb),
    trusted,
  };
  cancel = dialClient(h.opts, url, deps, (err, so, ts, proxyStatus) => {
    if (w.done) {
      (ts ?? so)?.destroy();
      return;
    }
    if (err && so) {
      // A proxy's answer other than 200: as in BAS, status() gives it and the connection stays
      // for ba.socket.http2sock.
      so.removeAllListeners('error');
      const conn = new TcpConn(so);
      so.resume();
      attach(conn, null);
      h.proxyAnswered = true;
      h.proxyStatus = proxyStatus ?? null;
      fail(err);
    } else if (err) fail(err);
    else done(so!, ts ?? null);
  });
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
