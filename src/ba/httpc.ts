/**
 * The HTTP client: `require"httpc"` and the `require"http"` wrapper that
 * follows redirects, both registered in `package.preload`. One httpc object is one HTTP/1.1
 * client connection (kept alive between requests to the same origin when `persistent`), used by
 * one coroutine at a time; every call that talks to the network suspends only the calling
 * coroutine (docs/compat.md).
 *
 * Requests to ws:// and wss:// URLs send the WebSocket upgrade (a random key, docs/compat.md); after the 101
 * `ba.socket.http2sock(h)` (src/ba/websocket.ts) takes the connection over through `handoff`.
 *
 * TLS (https, wss): through SocketLib's `tlsConnect` hook when the TLS module (src/ba/tls.ts)
 * has installed one, so `shark` contexts work as for `ba.socket.connect`; without it, node:tls
 * with its defaults. Proxies, as BAS: HTTP (a CONNECT tunnel for every request) and SOCKS5
 * (`socks = true`), with BAS's `prx…`/`proxyauth` errors; with `proxycon = true`, h:request
 * stops once the tunnel is open (nil, "prxready") and ba.socket.http2sock(h) gives a socket
 * over it.
 */
import { layerError, type BaError } from './errors.js';
import { clampTimeout } from './args.js';
import { isIPv6 } from '../net/resolve.js';
import { fullyTrusted, tlsInfo, trusted as trustVerdict } from '../net/tls-socket.js';
import { LuaRaise } from '../vm/lua-error.js';
import { T_BOOLEAN, T_NIL, T_NONE, T_NUMBER, T_STRING, T_TABLE, T_USERDATA, type LState } from '../vm/lua-vm.js';
import { fieldValues, finishRequest, newExchange, parseHead, pumpBody, takeBody, type Exchange } from '../http/client-exchange.js';
import { basParseQuery, basTarget, parseClientUrl, requestHead } from '../http/client-request.js';
import { clientUpgradeHeaders, newClientKey } from '../ws/handshake.js';
import { CLIENT_OFFER } from '../ws/permessage-deflate.js';
import type { SocketLib } from './socket.js';
import { HandleTable, HandleTag } from '../vm/handles.js';
import { Wait } from '../sched/waiter.js';
import type { BaContext } from './context.js';
import { HttpcObj, connectHttpc, type CreateOptions } from './httpc-conn.js';
import { HttpcIterators } from './httpc-iter.js';
import { readPairs, requestFields } from './httpc-request.js';
import type { HttpcHandoff, WebSocketLib } from './websocket.js';
import { HTTP_WRAPPER_LUA } from './http-wrapper.js';
import { HTTP2SOCK_LUA, httpcHandoff } from './httpc-handoff.js';
import { pushRecord, type RecordValue } from '../vm/lua-values.js';

/** `h:read()` without a size returns at most this much. */
const DEFAULT_READ = 65536;

export class HttpcLib {
  private readonly objs: HandleTable<HttpcObj>;
  private moduleRef = 0;
  /** The iterators of h:headerpairs() and h:cookie(). */
  private readonly iters: HttpcIterators;

  constructor(
    readonly ctx: BaContext,
    readonly sockets: SocketLib,
  ) {
    this.objs = new HandleTable(ctx.vm, HandleTag.httpc);
    this.iters = new HttpcIterators(ctx.vm);
    // Shutdown and runtime disposal close every client connection.
    ctx.shutdownHooks.push(() => {
      for (const h of this.objs.values()) this.closeObj(h);
    });
  }

  install(L: LState, ws: WebSocketLib | null): void {
    const { vm } = this.ctx;
    // As BAS: the metatable "HTTPCLIENT" holds the methods and is its own __index.
    vm.newMetatable(L, 'HTTPCLIENT');
    vm.pushValue(L, -1);
    vm.setField(L, -2, '__index');
    for (const [name, fn] of Object.entries(this.methods())) vm.setHost(L, -1, name, fn);
    vm.setHost(L, -1, '__gc', (L) => {
      const h = this.toObj(L, 1);
      if (h) {
        this.closeObj(h);
        this.release(h);
      }
      return 0;
    });
    vm.setHost(L, -1, '__close', (L) => {
      const h = this.toObj(L, 1);
      if (h) this.closeObj(h);
      return 0;
    });
    // No __tostring: Lua's default gives "HTTPCLIENT: 0x…" from __name, as in BAS.
    this.objs.mtRef = vm.ref(L);

    this.iters.install(L);

    // The module table, returned by require"httpc".
    vm.newTable(L);
    vm.setHost(L, -1, 'create', (L) => this.create(L));
    vm.setHost(L, -1, 'parsequery', (L) => {
      const ty = vm.type(L, 1);
      if (ty !== T_STRING && ty !== T_NUMBER) {
        throw new LuaRaise(`bad argument #1 to 'httpc.parsequery' (string expected, got ${ty === T_NONE ? 'no value' : vm.typeName(L, 1)})`, 0);
      }
      vm.pushValue(L, 1);
      const q = vm.toBytes(L, -1)!.toString('latin1');
      vm.pop(L, 1);
      vm.newTable(L);
      for (const [k, v] of basParseQuery(q)) {
        vm.pushBytes(L, Buffer.from(k, 'latin1'));
        vm.pushBytes(L, Buffer.from(v, 'latin1'));
        vm.rawSet(L, -3);
      }
      return 1;
    });
    this.moduleRef = vm.ref(L);

    vm.getGlobal(L, 'package');
    vm.getField(L, -1, 'preload');
    vm.pushHost(L, 'httpc', (L) => {
      vm.pushRef(L, this.moduleRef);
      return 1;
    });
    vm.setField(L, -2, 'httpc');
    const le = vm.load(L, HTTP_WRAPPER_LUA, '=http');
    if (le) throw le;
    vm.setField(L, -2, 'http');
    vm.pop(L, 2);

    if (ws) ws.httpcLookup = (L, idx) => this.handoff(L, idx);
  }

  // ---- objects ------------------------------------------------------------------------------

  private toObj(L: LState, i: number): HttpcObj | null {
    return this.objs.at(L, i);
  }

  private checkObj(L: LState, i: number, fname: string): HttpcObj {
    const h = this.toObj(L, i);
    if (!h) this.ctx.args.typeError(L, i, fname, 'HTTPCLIENT');
    return h;
  }

  private release(h: HttpcObj): void {
    if (this.objs.get(h.id) === h) {
      this.objs.release(h.id);
      if (h.opts.sharkRef) this.ctx.vm.unref(h.opts.sharkRef);
    }
  }

  private closeObj(h: HttpcObj): boolean {
    if (h.closed) return false;
    h.closed = true;
    h.ex = null;
    h.prx = null;
    h.proxyAnswered = false;
    h.proxyStatus = null;
    h.dropConn();
    return true;
  }

  /** require"httpc".create([opt]) */
  private create(L: LState): number {
    const { vm, args } = this.ctx;
    const o: CreateOptions = { persistent: true, sendHost: true, ipv6: false, sharkRef: 0, proxyport: 8080, proxycon: false, socks: false };
    // As BAS: the argument, when given, must be a table.
    if (vm.top(L) > 0 && vm.type(L, 1) !== T_TABLE) {
      throw new LuaRaise(`bad argument #1 to 'httpc.create' (table expected, got ${vm.typeName(L, 1)})`, 0);
    }
    if (vm.type(L, 1) === T_TABLE) {
      const f = (name: string) => args.optField(L, 1, name);
      const persistent = f('persistent');
      if (persistent.type === T_BOOLEAN) o.persistent = persistent.bool!;
      const host = f('host');
      if (host.type === T_BOOLEAN) o.sendHost = host.bool!;
      const intf = f('intf');
      if (intf.str !== undefined) o.intf = intf.str;
      o.ipv6 = f('ipv6').bool === true;
      const proxy = f('proxy');
      if (proxy.str !== undefined) o.proxy = proxy.str;
      const pport = f('proxyport');
      if (pport.num !== undefined) o.proxyport = pport.num;
      const puser = f('proxyuser');
      if (puser.str !== undefined) o.proxyuser = puser.str;
      const ppass = f('proxypass');
      if (ppass.str !== undefined) o.proxypass = ppass.str;
      o.proxycon = f('proxycon').bool === true;
      o.socks = f('socks').bool === true;
      if (o.socks && pport.num === undefined) o.proxyport = 1080;
      vm.getField(L, 1, 'shark');
      if (vm.type(L, -1) === T_USERDATA) o.sharkRef = vm.ref(L);
      else vm.pop(L, 1);
    }
    const h = this.objs.create((id) => new HttpcObj(id, o));
    this.objs.push(L, h.id);
    return 1;
  }

  // ---- waiting --------------------------------------------------------------------------------

  /**
   * Completes at once when `step` can, else suspends the caller until it can (re-tried on every
   * read event of the connection), the timeout expires or the connection goes away.
   */
  private waitRead(L: LState, h: HttpcObj, state: string, step: () => ((L: LState) => number) | null): number {
    const now = step();
    if (now) return now(L);
    const conn = h.conn!;
    const task = this.ctx.sched.current;
    if (!task) throw new LuaRaise('httpc: no coroutine to suspend');
    const w = new Wait(state, task);
    h.busy = true;
    const finish = (push: (L: LState) => number): void => {
      h.busy = false;
      if (conn.onReadable === onReadable) conn.onReadable = null;
      w.complete(push);
    };
    const onReadable = (): void => {
      if (w.done) return;
      const push = step();
      if (push) finish(push);
    };
    conn.onReadable = onReadable;
    if (h.timeoutMs > 0) w.timer = setTimeout(() => finish((L) => this.sockets.nilErr(L, 'timeout')), clampTimeout(h.timeoutMs));
    w.onAbort = () => {
      h.busy = false;
      if (conn.onReadable === onReadable) conn.onReadable = null;
    };
    return this.ctx.sched.suspend(L, w, state);
  }

  /** Suspends until everything written is with the kernel. */
  private waitDrain(L: LState, h: HttpcObj, done: (L: LState) => number): number {
    const conn = h.conn!;
    if (conn.queued === 0 && conn.writable) return done(L);
    const task = this.ctx.sched.current;
    if (!task) throw new LuaRaise('httpc: no coroutine to suspend');
    const w = new Wait('write', task);
    h.busy = true;
    const cb = (ok: boolean): void => {
      h.busy = false;
      w.complete(ok ? done : (L) => this.nilCode(L, -996));
    };
    w.onAbort = () => {
      h.busy = false;
      conn.removeDrainWaiter(cb);
    };
    conn.whenDrained(cb);
    return this.ctx.sched.suspend(L, w, 'write');
  }

  /** nil and one of BAS's numeric error codes (-996 write failed, -991 too much data, -1). */
  private nilCode(L: LState, code: number): number {
    this.ctx.vm.pushNil(L);
    this.ctx.vm.pushInteger(L, code);
    return 2;
  }

  private checkIdle(h: HttpcObj, fname: string): void {
    if (h.busy) throw new LuaRaise(`httpc: ${fname} while another call on this object waits`);
  }

  // ---- methods --------------------------------------------------------------------------------

  private methods(): Record<string, (L: LState) => number> {
    const { vm } = this.ctx;
    return {
      request: (L) => this.request(L),
      status: (L) => this.status(L),
      header: (L) => this.header(L),
      headerpairs: (L) => this.headerpairs(L),
      read: (L) => this.read(L),
      write: (L) => this.write(L),
      close: (L) => {
        const h = this.checkObj(L, 1, 'close');
        this.closeObj(h);
        // As BAS: true, also when already closed.
        vm.pushBoolean(L, true);
        return 1;
      },
      timeout: (L) => {
        const h = this.checkObj(L, 1, 'timeout');
        // As BAS: a number is required; 0 leaves the limit as it was.
        const ms = this.ctx.args.checkNumber(L, 2, 'timeout');
        if (ms !== 0) h.timeoutMs = Math.max(0, Math.trunc(ms));
        // As in BAS: true, not the previous value.
        vm.pushBoolean(L, true);
        return 1;
      },
      peername: (L) => this.name(L, true),
      sockname: (L) => this.name(L, false),
      cookie: (L) => this.cookie(L),
      cipher: (L) => {
        const h = this.checkObj(L, 1, 'cipher');
        const t = h.tlsSock;
        if (!t || !h.conn) return this.sockets.nilErr(L, 'sslnotenabled');
        const c = t.getCipher();
        vm.pushString(L, c.standardName.replace(/^TLS_/, ''));
        vm.pushString(L, (c.version || t.getProtocol() || '').replace(/^TLSv/, 'TLS_').replace('.', '_'));
        return 2;
      },
      trusted: (L) => {
        const h = this.checkObj(L, 1, 'trusted');
        const t = h.tlsSock;
        // As BAS: "none" without a TLS connection; else sock:trusted()'s verdict for the URL's host.
        const info = t && h.conn ? tlsInfo(t) : null;
        const r = info ? trustVerdict(info, h.host) : t && h.conn && t.authorized ? true : 'none';
        if (r === true) {
          vm.pushBoolean(L, true);
          return 1;
        }
        return this.sockets.nilErr(L, r);
      },
      certificate: (L) => {
        const h = this.checkObj(L, 1, 'certificate');
        const t = h.tlsSock;
        if (!t || !h.conn) return this.sockets.nilErr(L, 'sslnotenabled');
        const c = t.getPeerCertificate();
        if (!c || !c.subject) {
          vm.pushNil(L);
          return 1;
        }
        const names = (o: object | undefined): { [key: string]: RecordValue } => {
          const r: { [key: string]: RecordValue } = Object.create(null);
          for (const [k, v] of Object.entries(o ?? {})) r[k] = Array.isArray(v) ? v.join(', ') : String(v);
          return r;
        };
        pushRecord(vm, L, { subject: names(c.subject), issuer: names(c.issuer) });
        return 1;
      },
    };
  }

  private name(L: LState, peer: boolean): number {
    const { vm } = this.ctx;
    const h = this.checkObj(L, 1, peer ? 'peername' : 'sockname');
    const so = h.conn?.sock;
    const ip = so ? (peer ? so.remoteAddress : so.localAddress) : undefined;
    const port = so ? (peer ? so.remotePort : so.localPort) : undefined;
    // As BAS: nil, -1 without a connection.
    if (!ip || port === undefined) return this.nilCode(L, -1);
    vm.pushString(L, ip);
    vm.pushInteger(L, port);
    vm.pushBoolean(L, isIPv6(ip));
    return 3;
  }

  /** h:request{url=, method=, header=, query=, user=, password=, size=, trusted=, shark=} */
  private request(L: LState): number {
    const { vm, args } = this.ctx;
    const h = this.checkObj(L, 1, 'request');
    args.checkTable(L, 2, 'request');
    this.checkIdle(h, 'request');
    // As in Mako, a closed object makes a new request (on a new connection).
    if (h.closed) h.closed = false;
    const urlText = args.field(L, 2, 'url', (L) => (vm.type(L, -1) === T_STRING || vm.type(L, -1) === T_NUMBER ? vm.toBytes(L, -1)!.toString('latin1') : null));
    // BAS's messages, raised without a position.
    if (urlText === null) throw new LuaRaise('Tab arg #2: url required!', 0);
    const url = parseClientUrl(urlText);
    h.invalidUrl = false;
    h.connectError = null;
    if (!url) {
      // As BAS: nil, "invalidurl"; the object has no response then.
      h.ex = null;
      h.dropConn();
      h.invalidUrl = true;
      return this.sockets.nilErr(L, 'invalidurl');
    }
    const isWs = url.scheme === 'ws' || url.scheme === 'wss';
    // As BAS: `trusted = true` asks for a trusted TLS connection; a plain one never is.
    if (!url.secure && args.optField(L, 2, 'trusted').bool === true) {
      h.ex = null;
      h.dropConn();
      h.connectError = 'sslnottrusted';
      return this.sockets.nilErr(L, 'sslnottrusted');
    }
    let method = args.field(L, 2, 'method', (L) => (vm.type(L, -1) === T_STRING ? vm.toStr(L, -1)! : 'GET')).toUpperCase();
    if (isWs) method = 'GET';
    const size = args.field(L, 2, 'size', (L) => (vm.type(L, -1) === T_NUMBER ? vm.toNumber(L, -1) : null));
    const user = args.optField(L, 2, 'user').str;
    const password = args.optField(L, 2, 'password').str;
    const trusted = args.optField(L, 2, 'trusted').bool === true;
    const headers = readPairs(vm, L, 2, 'header', 'header');
    const query = readPairs(vm, L, 2, 'query', 'params');
    // As BAS: a request after "prxready" is "incorrectuse"; the one after that starts over.
    if (h.prx === 'ready') {
      h.prx = 'incorrectuse';
      return this.sockets.nilErr(L, 'incorrectuse');
    }
    if (h.prx === 'incorrectuse') {
      h.prx = null;
      h.ex = null;
      h.dropConn();
    }
    const { fields, reqBody } = requestFields(h, url, method, size, headers, user, password);
    let wsKey: string | null = null;
    const wsDeflate = isWs && args.optField(L, 2, 'deflate').bool === true;
    if (isWs) {
      // Upgrade, Connection, Sec-WebSocket-Version 13, a random key (docs/compat.md), no Origin.
      wsKey = newClientKey();
      const upgrade = clientUpgradeHeaders(wsKey);
      // Option `deflate`: offer permessage-deflate (RFC 7692); the script's own offer is replaced.
      if (wsDeflate) upgrade['Sec-WebSocket-Extensions'] = CLIENT_OFFER;
      for (const [n, v] of Object.entries(upgrade)) {
        const i = fields.findIndex(([x]) => x.toLowerCase() === n.toLowerCase());
        if (i >= 0) fields.splice(i, 1);
        fields.push([n, v]);
      }
    }
    const target = basTarget(url.path, query);
    let head: string;
    try {
      // As BAS: a non-persistent object speaks HTTP/1.0 (a WebSocket upgrade needs 1.1).
      head = requestHead({ method, target, fields, version: h.opts.persistent || isWs ? '1.1' : '1.0' });
    } catch (e) {
      throw new LuaRaise((e as Error).message);
    }

    const ex = newExchange(url, method, reqBody, { key: wsKey, deflate: wsDeflate });
    const cl = fields.find(([n]) => n.toLowerCase() === 'content-length');
    h.bodyLeft = reqBody === 'length' && cl ? Number(cl[1]) || 0 : 0;
    const origin = `${url.secure ? 'tls' : 'tcp'}://${url.host}:${url.port}`;
    // Keep-alive: reuse the connection when the previous exchange is complete (RFC 9112 §9.3).
    // A body not read by the script is skipped if it is already here (a redirect's, say).
    const prev = h.ex;
    if (prev && h.conn && prev.head && !prev.bodyDone && pumpBody(h.conn!, prev) === null && prev.bodyDone) {
      prev.pending = [];
      prev.pendingLen = 0;
    }
    const reusable =
      h.conn !== null &&
      h.origin === origin &&
      h.opts.persistent &&
      prev !== null &&
      prev.reqDone &&
      prev.bodyDone &&
      !prev.closeAfter &&
      h.conn.writable &&
      !h.conn.ended &&
      h.conn.buffered === 0;
    h.ex = null;
    const send = (L: LState): number => {
      h.ex = ex;
      h.conn!.write(Buffer.from(head, 'latin1'));
      vm.pushBoolean(L, true);
      return 1;
    };
    if (reusable) {
      // trusted = true holds for a reused TLS connection too.
      if (trusted && h.tlsSock && !fullyTrusted(h.tlsSock, url.host)) return this.sockets.nilErr(L, 'sslnottrusted');
      return send(L);
    }
    h.dropConn();
    // The TLS context: the request's shark, else the object's.
    let sharkRef = 0;
    vm.getField(L, 2, 'shark');
    if (vm.type(L, -1) === T_USERDATA) sharkRef = vm.ref(L);
    else vm.pop(L, 1);
    if (!sharkRef && h.opts.sharkRef) {
      vm.pushRef(L, h.opts.sharkRef);
      sharkRef = vm.ref(L);
    }
    // proxycon: the tunnel alone, for ba.socket.http2sock (the request is not sent).
    const tunnelOnly = h.opts.proxycon && h.opts.proxy !== undefined;
    const ready = (L: LState): number => {
      h.prx = 'ready';
      return this.sockets.nilErr(L, 'prxready');
    };
    return connectHttpc(this.ctx, this.sockets, L, h, url, trusted, sharkRef, (conn, tlsSock) => {
      h.conn = conn;
      h.tlsSock = tlsSock;
      h.origin = origin;
      h.host = url.host;
    }, tunnelOnly ? ready : send);
  }

  // ---- response -------------------------------------------------------------------------------

  /**
   * Waits for the response head, then for `then(ex)` to have an answer (null: more bytes are
   * needed). Completes without suspending when both are there already.
   */
  private withHead(L: LState, h: HttpcObj, fname: string, then: (ex: Exchange) => ((L: LState) => number) | null): number {
    this.checkIdle(h, fname);
    const ex = h.ex && h.conn ? finishRequest(h.ex, h.conn) : null;
    if (!ex) return this.sockets.nilErr(L, this.noResponse(h, fname));
    return this.waitRead(L, h, fname, () => {
      if (!ex.head) {
        const r = parseHead(h.conn!, ex);
        if (r === false) return null;
        if (r !== true) {
          // As BAS: the error stays the answer of status(), header() and read() until the next
          // request; a response that is not HTTP reads as a failed read.
          const err = layerError(r === 'unknown' ? 'socketreadfailed' : r);
          h.ex = null;
          h.dropConn();
          h.connectError = err;
          return (L) => this.sockets.nilErr(L, err);
        }
      }
      return then(ex);
    });
  }

  /** Why there is no response to wait for. */
  private noResponse(h: HttpcObj, fname: string): BaError {
    // As BAS after an invalid URL: status() says the connection is closed, read() misuse.
    if (h.invalidUrl) return fname === 'read' ? 'incorrectuse' : 'socketclosed';
    return h.closed ? 'socketclosed' : (h.connectError ?? 'invalidsocketcon');
  }

  private status(L: LState): number {
    const h = this.checkObj(L, 1, 'status');
    // As BAS: 204 for an open tunnel (proxycon); the proxy's status when it refused one.
    const st = h.prx ? 204 : !h.closed && h.connectError ? h.proxyStatus : null;
    if (st !== null) {
      this.ctx.vm.pushInteger(L, st);
      return 1;
    }
    return this.withHead(L, h, 'status', (ex) => (L) => {
      this.ctx.vm.pushInteger(L, ex.head!.status);
      return 1;
    });
  }

  /**
   * h:header(name): the first field of that name (case-insensitive) and the status, or nil,
   * "no error"; h:header(): a table of every field keyed by its name as sent (a later field of
   * the same name replaces an earlier one) and the status. Without a response (before a request,
   * after close()): nil, "no error" or an empty table and 0, as in BAS.
   */
  private header(L: LState): number {
    const { vm } = this.ctx;
    const h = this.checkObj(L, 1, 'header');
    const name = vm.type(L, 2) === T_NONE || vm.type(L, 2) === T_NIL ? null : this.ctx.args.checkBytes(L, 2, 'header').toString('latin1');
    // An open tunnel has no response: no headers (BAS: a name gives nil, "no error").
    if (h.prx === 'ready') {
      if (name !== null) return this.sockets.nilErr(L, 'no error');
      vm.newTable(L);
      vm.pushInteger(L, 204);
      return 2;
    }
    if (h.prx === 'incorrectuse') return this.sockets.nilErr(L, 'incorrectuse');
    const none = (L: LState): number => {
      if (name !== null) {
        vm.pushNil(L);
        vm.pushString(L, 'no error');
      } else {
        vm.newTable(L);
        vm.pushInteger(L, 0);
      }
      return 2;
    };
    if (!h.ex || !h.conn) return h.connectError && !h.closed ? this.sockets.nilErr(L, h.connectError) : none(L);
    return this.withHead(L, h, 'header', (ex) => (L) => {
      const head = ex.head!;
      if (name !== null) {
        const key = name.toLowerCase();
        const f = head.fields.find(([n]) => n.toLowerCase() === key);
        if (!f) return none(L);
        vm.pushBytes(L, Buffer.from(f[1], 'latin1'));
      } else {
        const rec: { [key: string]: RecordValue } = Object.create(null);
        for (const [n, v] of head.fields) rec[n] = Buffer.from(v, 'latin1');
        pushRecord(vm, L, rec);
      }
      vm.pushInteger(L, head.status);
      return 2;
    });
  }

  private headerpairs(L: LState): number {
    const h = this.checkObj(L, 1, 'headerpairs');
    // As in BAS: before a request and after close(), an iterator over nothing.
    if (h.closed || !h.ex || !h.conn || h.prx) return this.iters.headerPairs(L, []);
    return this.withHead(L, h, 'headerpairs', (ex) => (L) => this.iters.headerPairs(L, ex.head!.fields));
  }

  /**
   * h:cookie(): as in BAS, an iterator over the response's `Set-Cookie` fields giving `name,
   * value, attrs` (`attrs`: the attributes as written, `Path = "/"`, a flag such as `Secure`
   * with the value `""`; nil when there are none). Before a request and after close(): an
   * iterator over nothing. Cookies are not stored or sent back (BAS's client does neither).
   */
  private cookie(L: LState): number {
    const h = this.checkObj(L, 1, 'cookie');
    if (h.closed || !h.ex || !h.conn || h.prx) return this.iters.cookies(L, []);
    return this.withHead(L, h, 'cookie', (ex) => (L) => this.iters.cookies(L, fieldValues(ex.head!, 'set-cookie')));
  }

  /**
   * h:read(n | "*a" | 0): body data; nil at the end. `0` reads the rest of the body and returns
   * true (BAS's way to skip a body). Before a request and after close(): nil.
   */
  private read(L: LState): number {
    const { vm, args } = this.ctx;
    const h = this.checkObj(L, 1, 'read');
    const t = vm.type(L, 2);
    let all = false;
    let skip = false;
    let max = DEFAULT_READ;
    if (t === T_STRING) {
      const fmt = vm.toStr(L, 2)!;
      if (fmt.replace(/^\*/, '').startsWith('a')) all = true;
      else args.argError(2, 'read', 'invalid option');
    } else if (t === T_NUMBER) {
      max = args.checkInteger(L, 2, 'read');
      if (max === 0) all = skip = true;
      else max = Math.max(1, max);
    } else if (t !== T_NONE && t !== T_NIL) args.argError(2, 'read', 'invalid option');
    // An open tunnel has no response body.
    if (h.prx === 'ready') {
      vm.pushNil(L);
      return 1;
    }
    if (h.prx === 'incorrectuse') return this.sockets.nilErr(L, 'incorrectuse');
    if (!h.invalidUrl && !h.connectError && (!h.ex || !h.conn)) {
      vm.pushNil(L);
      return 1;
    }
    return this.withHead(L, h, 'read', (ex) => {
      // A 101's connection belongs to ba.socket.http2sock.
      if (ex.head!.status === 101 || ex.method === 'HEAD') return (L) => (skip ? vm.pushBoolean(L, true) : vm.pushNil(L), 1);
      const err = pumpBody(h.conn!, ex);
      if (err) {
        h.dropConn();
        return (L) => this.sockets.nilErr(L, layerError(err));
      }
      if (all ? !ex.bodyDone : ex.pendingLen === 0 && !ex.bodyDone) return null;
      if (skip) {
        takeBody(ex, Infinity);
        return (L) => (vm.pushBoolean(L, true), 1);
      }
      if (ex.pendingLen === 0) return (L) => (vm.pushNil(L), 1);
      const data = takeBody(ex, all ? Infinity : max);
      return (L) => {
        vm.pushBytes(L, data);
        return 1;
      };
    });
  }

  /** h:write(data): request body bytes (Content-Length from `size`, else chunked). */
  private write(L: LState): number {
    const { vm, args } = this.ctx;
    const h = this.checkObj(L, 1, 'write');
    this.checkIdle(h, 'write');
    const ex = h.ex;
    const conn = h.conn;
    // As BAS: nil and an error code, -991 (too much data) when no request body is open.
    if (!ex || !conn || ex.head || ex.reqBody === 'none' || ex.reqDone) return this.nilCode(L, -991);
    if (!conn.writable) return this.nilCode(L, -996);
    let data = this.ctx.dataBytes(L, 2);
    if (!data) {
      if (vm.type(L, 2) === T_NONE) args.typeError(L, 2, 'write', 'string');
      vm.pushToString(L, 2);
      data = vm.viewBytes(L, -1)!;
    }
    if (ex.reqBody === 'length' && data.length > h.bodyLeft) {
      // As BAS: more than `size` fails, and the request with it (status() and read() say so).
      h.ex = null;
      h.dropConn();
      h.connectError = 'toomuchdata';
      return this.nilCode(L, -991);
    }
    if (ex.reqBody === 'length') h.bodyLeft -= data.length;
    if (data.length > 0) {
      if (ex.reqBody === 'chunked') {
        conn.sock.cork();
        conn.write(Buffer.from(`${data.length.toString(16)}\r\n`, 'latin1'));
        conn.write(Buffer.from(data));
        conn.write(Buffer.from('\r\n', 'latin1'));
        conn.sock.uncork();
      } else conn.write(Buffer.from(data));
    }
    return this.waitDrain(L, h, (L) => {
      vm.pushBoolean(L, true);
      return 1;
    });
  }

  /** For ba.socket.http2sock: what the object at `idx` hands over (src/ba/httpc-handoff.ts). */
  handoff(L: LState, idx: number): HttpcHandoff | null {
    const h = this.toObj(L, idx);
    return h ? httpcHandoff(h) : null;
  }
}

/** Installs require"httpc" and require"http"; wires http2sock to these objects. */
export function installHttpc(ctx: BaContext, sockets: SocketLib, ws: WebSocketLib | null): HttpcLib {
  const lib = new HttpcLib(ctx, sockets);
  lib.install(ctx.vm.L, ws);
  if (ws) {
    const { vm } = ctx;
    const L = vm.L;
    const err = vm.load(L, HTTP2SOCK_LUA, '=http2sock');
    if (err) throw err;
    ctx.pushBa(L);
    vm.getField(L, -1, 'socket');
    vm.remove(L, -2);
    const perr = vm.pcall(L, 1, 0);
    if (perr) throw perr;
  }
  return lib;
}

