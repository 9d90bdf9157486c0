/**
 * `ba.socket.connect`, `bind`, `toip` and `sock:accept`: making TCP connections and listening
 * sockets. Each either completes at once or registers a waiter and suspends the caller; the
 * network event resumes it with the results.
 */
import { layerError, type BaError } from './errors.js';
import { clampTimeout } from './args.js';
import { listenNow } from '../net/listen-now.js';
import { dialTcp, type NetSocket } from '../net/tcp-dial.js';
import { createTcpListener } from '../net/tcp-listen.js';
import { LuaRaise } from '../vm/lua-error.js';
import { T_NIL, T_TABLE, T_USERDATA, type LState } from '../vm/lua-vm.js';
import type { SocketCore } from './socket-core.js';
import { NO_PENDING, sockCount, type LSock } from './sock.js';
import type { Wait } from '../sched/waiter.js';
import { attachConn } from './socket-read.js';

/** Options common to connect/bind/udpcon; a non-table is ignored. */
/** Options common to connect/bind/udpcon. */
export interface SockOpts {
  intf?: string;
  ipv6: boolean;
  timeout?: number;
  shark: boolean;
  alpn?: string;
  port?: number;
}

export function readOpts(lib: SocketCore, L: LState, idx: number, fname = '?'): SockOpts {
  const { vm, args } = lib.ctx;
  const o: SockOpts = { ipv6: false, shark: false };
  if (vm.type(L, idx) !== T_TABLE) return o;
  // Wrong option types raise (issue 14): `intf = 123` silently bound every interface and
  // `shark = "x"` silently made a plain TCP socket.
  const intf = args.optField(L, idx, 'intf');
  if (intf.str !== undefined) o.intf = intf.str;
  else if (intf.type !== T_NIL) args.argError(idx, fname, `intf: string expected, got ${typeNameOf(intf.type)}`);
  const sharkType = args.field(L, idx, 'shark', (L) => vm.type(L, -1));
  if (sharkType !== T_NIL && sharkType !== T_USERDATA) args.argError(idx, fname, `shark: SharkSSL object expected, got ${typeNameOf(sharkType)}`);
  o.ipv6 = args.optField(L, idx, 'ipv6').bool === true;
  const to = args.field(L, idx, 'timeout', (L) => (vm.isInteger(L, -1) ? vm.toInteger(L, -1) : null));
  if (to !== null && to !== undefined) o.timeout = to;
  const alpn = args.optField(L, idx, 'alpn');
  if (alpn.str !== undefined) o.alpn = alpn.str;
  const port = args.field(L, idx, 'port', (L) => (vm.isInteger(L, -1) ? vm.toInteger(L, -1) : null));
  if (port !== null) o.port = port;
  o.shark = args.field(L, idx, 'shark', (L) => vm.type(L, -1) === T_USERDATA);
  return o;
}

/**
 * The event-only object of the running cosocket when a socket-creating call may convert it:
 * `undefined` when not in a cosocket, null when that cosocket already had a network socket.
 */
export function convertible(lib: SocketCore): LSock | null | undefined {
  const t = lib.current;
  if (!t || t.kind !== 'cosocket') return undefined;
  const s = t.owner as LSock | null;
  if (!s || s.kind !== 'event' || s.hadNet || s.closed) return null;
  return s;
}

/** Turns a cosocket object closed by close() back into a bare cosocket that may connect. */
function reviveForConnect(s: LSock): void {
  s.reconnectable = false;
  s.closed = false;
  s.dead = 0;
  s.conn = null;
  s.kind = 'event';
  s.hadNet = false;
  s.disabled = null;
  s.reader = null;
  s.pending = NO_PENDING;
  s.transportState = null;
  s.acceptOpts = null;
  s.closeHook = null;
  sockCount.active++;
}

export function connect(lib: SocketCore, L: LState): number {
  const { vm, args } = lib.ctx;
  const host = args.checkString(L, 1, 'connect');
  const port = args.checkPort(L, 2, 'connect');
  const opt = readOpts(lib, L, 3, 'connect');
  const timeout = opt.timeout ?? 1000;
  // A cosocket whose connection it closed connects its own object again, as in BAS.
  const own = lib.current?.kind === 'cosocket' ? (lib.current.owner as LSock | null) : null;
  if (own && own.closed && own.reconnectable) reviveForConnect(own);
  const conv = convertible(lib);
  if (conv === null) return lib.nilErr(L, 'incorrectuse');
  const target = conv ?? null;
  if (target) target.hadNet = true;
  const w = lib.newWait('connect', target, 'connect');
  let sock: NetSocket | null = null;
  const fail = (err: BaError, text?: string): void => {
    sock?.destroy();
    if (optRef) vm.unref(optRef);
    optRef = 0;
    w.complete((L) => lib.nilErr(L, err, text));
  };
  w.timer = setTimeout(() => fail('timeout'), clampTimeout(timeout));
  const tlsWanted = opt.shark;
  // TLS setup needs the option table later: keep it referenced.
  let optRef = 0;
  if (tlsWanted) {
    vm.pushValue(L, 3);
    optRef = vm.ref(L);
  }
  const done = (ok: NetSocket): void => {
    if (optRef) vm.unref(optRef);
    optRef = 0;
    w.complete((L) => {
      const s = target ?? lib.newSock('tcp');
      s.kind = 'tcp';
      s.host = host;
      s.hadNet = true;
      if (target) s.sMode = true;
      attachConn(lib, s, ok);
      lib.pushSock(L, s);
      return 1;
    });
  };
  const start = (ip: string): void => {
    if (w.done) return;
    const so = dialTcp(ip, port, opt.intf);
    sock = so;
    so.once('error', () => fail('cannotconnect'));
    so.once('connect', () => {
      if (w.done) {
        so.destroy();
        return;
      }
      so.removeAllListeners('error');
      if (!tlsWanted || !lib.tlsConnect) return done(so);
      const LL = lib.ctx.vm.L;
      vm.pushRef(LL, optRef);
      // The hook reads the option table before it returns: pop it right away, not when
      // the handshake ends (other code uses the main state meanwhile).
      lib.tlsConnect(LL, vm.top(LL), so, host, (err, tsock) => {
        if (err || !tsock) fail(err ? layerError(err) : 'sslhandshake');
        else done(tsock);
      });
      vm.pop(LL, 1);
    });
  };
  w.onAbort = () => {
    sock?.destroy();
    if (optRef) vm.unref(optRef);
    optRef = 0;
  };
  const ip = lib.resolve(host, opt.ipv6, (err, ip, text) => {
    if (err) fail(err, text);
    else start(ip);
  });
  if (ip !== null) start(ip);
  return lib.waitOn(L, target, w, 'connect');
}

export function bind(lib: SocketCore, L: LState): number {
  const { args } = lib.ctx;
  const port = args.checkPort(L, 1, 'bind');
  const opt = readOpts(lib, L, 2, 'bind');
  // Checked before anything is created: a client context raises (tls.ts).
  const tlsAccept = opt.shark ? lib.tlsListen?.(L, 2) : null;
  const conv = convertible(lib);
  if (conv === null) return lib.nilErr(L, 'incorrectuse');
  const s = conv ?? lib.newSock('listen');
  s.hadNet = true;
  const server = createTcpListener();
  const host = opt.intf ?? (opt.ipv6 ? '::' : '0.0.0.0');
  let settled = false;
  const onConn = (so: NetSocket): void => {
    if (s.closed) {
      so.destroy();
      return;
    }
    if (s.pending === NO_PENDING) s.pending = [];
    s.pending.push(so);
    const r = s.reader;
    if (r && r.state === 'accept') r.complete((L) => acceptNow(lib, s, L));
  };
  const finish = (ok: boolean, L2: LState | null, w: Wait | null): number => {
    if (ok) {
      s.kind = 'listen';
      s.server = server;
      server.on('connection', onConn);
      server.on('error', () => {});
    } else {
      server.close();
      if (conv) s.hadNet = true;
    }
    const push = (L: LState): number => {
      if (!ok) return lib.nilErr(L, 'bind');
      lib.pushSock(L, s);
      return 1;
    };
    if (w) {
      w.complete(push);
      return 0;
    }
    return push(L2!);
  };
  let wait: Wait | null = null;
  server.once('error', () => {
    if (settled) return;
    settled = true;
    if (wait) finish(false, null, wait);
  });
  server.once('listening', () => {
    if (settled) return;
    settled = true;
    if (wait) finish(true, null, wait);
  });
  if (tlsAccept) (s.acceptOpts ??= {}).tls = tlsAccept;
  try {
    listenNow(server, { port, host, exclusive: false });
  } catch {
    settled = true;
    return finish(false, L, null);
  }
  if (server.listening) {
    settled = true;
    return finish(true, L, null);
  }
  wait = lib.newWait('bind', conv ?? null, 'bind');
  return lib.waitOn(L, conv ?? null, wait, 'bind');
}

export function acceptNow(lib: SocketCore, s: LSock, L: LState): number {
  const so = s.pending.shift();
  if (!so) return -1;
  const ns = lib.newSock('tcp');
  ns.hadNet = true;
  const opts = s.acceptOpts;
  const tls = opts?.tls;
  if (typeof opts?.keepAlive === 'boolean') so.setKeepAlive(opts.keepAlive);
  attachConn(lib, ns, tls ? tls(so) : so);
  if (typeof opts?.noDelay === 'boolean') so.setNoDelay(opts.noDelay);
  lib.pushSock(L, ns);
  return 1;
}

export function toip(lib: SocketCore, L: LState): number {
  const { vm, args } = lib.ctx;
  const name = args.checkString(L, 1, 'toip');
  const ipv6 = vm.toBoolean(L, 2);
  const w = lib.newWait('toip', null, 'toip');
  const ip = lib.resolve(name, ipv6, (err, ip) => {
    w.complete((L) => {
      if (err) return lib.nilErr(L, 'cannotresolve');
      vm.pushString(L, ip);
      return 1;
    });
  });
  if (ip !== null) {
    vm.pushString(L, ip);
    return 1;
  }
  return lib.waitOn(L, null, w, 'toip');
}

export function accept(lib: SocketCore, L: LState): number {
  const s = lib.checkSock(L, 1, 'accept');
  if (s.kind !== 'listen') throw new LuaRaise('Invalid op: : not a listen socket');
  if (s.closed) {
    if (s.dead < 2) {
      s.dead = 2;
      return lib.nilErr(L, 'socketclosed');
    }
    throw new LuaRaise('Invalid op: : Socket closed');
  }
  if (!s.owner || s.owner !== lib.current) throw new LuaRaise('Sock not async');
  const n = acceptNow(lib, s, L);
  if (n >= 0) return n;
  const w = lib.newWait('accept', s, 'accept');
  return lib.waitOn(L, s, w, 'accept');
}

/** Lua's name of a type tag (for bad-argument messages about option fields). */
function typeNameOf(t: number): string {
  return ['nil', 'boolean', 'userdata', 'number', 'string', 'table', 'function', 'userdata', 'thread'][t] ?? 'no value';
}
