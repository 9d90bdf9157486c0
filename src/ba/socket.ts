/**
 * `ba.socket`: what Lua sees of TCP sockets (and the hooks UDP, TLS and WebSocket sockets plug
 * into). Behaviour, return values and error strings follow shared/spec/ba-socket.md; section
 * numbers below refer to it.
 *
 * Every method either completes at once or registers a waiter and suspends the calling
 * coroutine (style.md item 3). Reads and writes that can complete at once never yield.
 */
import net from 'node:net';
import dns from 'node:dns';
import { TcpConn, flushWriteBatches } from '../net/tcp-conn.js';
import { LuaRaise } from '../vm/lua-error.js';
import { T_BOOLEAN, T_NUMBER, T_STRING, T_TABLE, T_USERDATA, type LState } from '../vm/lua-vm.js';
import type { Task, Waiter } from '../sched/scheduler.js';
import type { BaContext } from './context.js';

const SOCK_MAGIC = 0x50c4e7;
/** Above this many queued bytes a cosocket writer waits for the queue to empty (§5). */
const COSOCKET_WRITE_THRESHOLD = 1400;

export type SockKind = 'event' | 'tcp' | 'listen' | 'udp' | 'ws';

/**
 * Per-socket hooks through which UDP (udp.ts), TLS (tls.ts) and WebSocket (websocket.ts)
 * sockets change the TCP behaviour of this file. Each is optional; absent = TCP.
 */
export interface SockExt {
  /** Pushes one read result onto L if one is available now; returns the count or -1. */
  tryRead?(L: LState, recvfrom: boolean): number;
  /** A read timeout fired: push its results. */
  onTimeout?(L: LState): number;
  /** Input is waiting that a read would return (after an outside `disable`). */
  hasData?(): boolean;
  write?(L: LState, data: Uint8Array, isText: boolean): number;
  sendto?(L: LState): number;
  setoption?(L: LState, name: string, on: boolean): number;
  addr?(peer: boolean): [string, number, boolean] | null;
  /** Called by closeSock before the connection is closed (WebSocket close frame). */
  onClose?(s: LSock): void;
  udpClose?(): void;
  /** The network side moved to a new object (`sock:event` from the own coroutine). */
  rebind?(s: LSock): void;
  /** Listener: records its TLS context once listening. */
  tls?(s: LSock): void;
  /** Listener: wraps an accepted plain socket in TLS. */
  tlsAccept?(so: net.Socket): net.Socket;
  /** Accepted TLS socket whose handshake is lazy. */
  tlsServer?: boolean;
  /** Protocol state of the plug-in (UDP socket, WebSocket state, ...). */
  [key: string]: unknown;
}

/** One wait of a coroutine on a socket. */
export class SockWait implements Waiter {
  timer: NodeJS.Timeout | null = null;
  done = false;
  /** UDP: the read asked for the sender's address. */
  recvfrom = false;
  onAbort: (() => void) | null = null;
  constructor(
    readonly state: string,
    readonly task: Task,
    readonly sock: LSock | null,
  ) {}
  abort(): void {
    this.done = true;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const f = this.onAbort;
    this.onAbort = null;
    f?.();
  }
}

let totalSockets = 0;
let activeSockets = 0;

export class LSock {
  /** Userdata address (for tostring) once pushed. */
  ptr = 0;
  conn: TcpConn | null = null;
  server: net.Server | null = null;
  pending: net.Socket[] = [];
  owner: Task | null = null;
  sMode = false;
  closed = false;
  /** Dead-socket protocol (§4): reads after close. 1 = next read fails once more, 2 = raise. */
  dead = 0;
  /** The object has (or had) a network socket: connect/bind inside its coroutine refused. */
  hadNet = false;
  queueLimit = 16384;
  maxSize = 8192;
  disabled: null | 'self' | 'outside' = null;
  /** The coroutine waiting in read/accept/connect/disable on this socket. */
  reader: SockWait | null = null;
  /** Host given to connect (expected certificate name). */
  host = '';
  /** Hooks of UDP/TLS/WebSocket sockets. */
  ext: SockExt = {};

  constructor(
    readonly id: number,
    public kind: SockKind,
  ) {
    totalSockets++;
    activeSockets++;
  }

  get hasNet(): boolean {
    return !this.closed && (this.conn !== null || this.server !== null || this.kind === 'udp');
  }
}

export class SocketLib {
  private readonly socks: Array<LSock | undefined> = [];
  private freeIds: number[] = [];
  private mtRef = 0;
  /** Registry ref of a weak-valued table id -> userdata, to push existing objects. */
  private weakRef = 0;
  /** Registry ref of the method table (`__index`), for other modules to extend. */
  methodsRef = 0;

  constructor(readonly ctx: BaContext) {
    ctx.sched.afterRun.push(flushWriteBatches);
  }

  // ---- object registry ----------------------------------------------------------------------

  newSock(kind: SockKind): LSock {
    const id = this.freeIds.pop() ?? this.socks.length;
    const s = new LSock(id, kind);
    this.socks[id] = s;
    return s;
  }

  /** Pushes the userdata for `s`, creating it on first use. */
  pushSock(L: LState, s: LSock): void {
    const vm = this.ctx.vm;
    vm.pushRef(L, this.weakRef);
    if (vm.rawGetI(L, -1, s.id) === T_USERDATA) {
      vm.m._lua_rotate(L, -2, 1);
      vm.pop(L, 1);
      return;
    }
    vm.pop(L, 1);
    const p = vm.newUserdata(L, 8);
    vm.writeI32(p, SOCK_MAGIC);
    vm.writeI32(p + 4, s.id);
    s.ptr = p;
    vm.pushRef(L, this.mtRef);
    vm.setMetatable(L, -2);
    vm.m._lua_pushvalue(L, -1);
    vm.rawSetI(L, -3, s.id);
    vm.m._lua_rotate(L, -2, 1);
    vm.pop(L, 1);
  }

  /** The socket at stack index i, or null. */
  toSock(L: LState, i: number): LSock | null {
    const vm = this.ctx.vm;
    if (vm.type(L, i) !== T_USERDATA) return null;
    const p = vm.m._lua_touserdata(L, i);
    if (vm.readI32(p) !== SOCK_MAGIC) return null;
    return this.socks[vm.readI32(p + 4)] ?? null;
  }

  checkSock(L: LState, i: number, fname: string): LSock {
    const s = this.toSock(L, i);
    if (!s) this.ctx.args.typeError(L, i, fname, 'socket');
    return s;
  }

  private release(s: LSock): void {
    if (this.socks[s.id] === s) {
      this.socks[s.id] = undefined;
      this.freeIds.push(s.id);
    }
  }

  /** Closes every socket object (runtime disposal). */
  closeAll(): void {
    for (const s of this.socks) if (s && !s.closed) {
      s.reader = null;
      s.owner = null;
      this.closeSock(s);
      s.conn?.destroy();
    }
  }

  // ---- small helpers ------------------------------------------------------------------------

  nilErr(L: LState, err: string, extra?: string | number): number {
    const vm = this.ctx.vm;
    vm.pushNil(L);
    vm.pushString(L, err);
    if (extra === undefined) return 2;
    if (typeof extra === 'number') vm.pushInteger(L, extra);
    else vm.pushString(L, extra);
    return 3;
  }

  private get current(): Task | null {
    return this.ctx.sched.current;
  }

  /** Completes a wait: `push` runs on the waiting coroutine when it is resumed. */
  complete(w: SockWait, push: (L: LState) => number): void {
    if (w.done) return;
    w.done = true;
    if (w.timer) {
      clearTimeout(w.timer);
      w.timer = null;
    }
    if (w.sock && w.sock.reader === w) w.sock.reader = null;
    w.onAbort = null;
    const sched = this.ctx.sched;
    const run = (): void => {
      const task = w.task;
      if (task.done || task.waiting !== w) return;
      const n = push(task.co);
      sched.resume(task, n);
    };
    // Never resume from inside another coroutine's host call: defer until Lua has unwound.
    if (sched.current) sched.post(run);
    else run();
  }

  /** Registers `w` as the reader of `s` and suspends. */
  private waitOn(L: LState, s: LSock | null, w: SockWait, what: string): number {
    if (s) {
      s.reader = w;
      w.onAbort = () => {
        if (s.reader === w) s.reader = null;
      };
    }
    return this.ctx.sched.suspend(L, w, what);
  }

  private newWait(state: string, s: LSock | null, what: string): SockWait {
    const task = this.current;
    if (!task) throw new LuaRaise(`${what}: no coroutine to suspend`);
    return new SockWait(state, task, s);
  }

  // ---- closing ------------------------------------------------------------------------------

  /** Closes `s` (§3.3). Returns false if it was already closed. */
  closeSock(s: LSock): boolean {
    if (s.closed) return false;
    s.closed = true;
    s.dead = Math.max(s.dead, 1);
    activeSockets--;
    const conn = s.conn;
    if (conn) {
      conn.onReadable = null;
      s.ext.onClose?.(s);
      conn.close();
    }
    if (s.server) {
      s.server.close();
      for (const p of s.pending) p.destroy();
      s.pending = [];
    }
    s.ext.udpClose?.();
    // A coroutine waiting on this socket (read, accept, connect, disable, sleep) gets
    // nil, "socketclosed".
    const r = s.reader;
    if (r && !r.done) this.complete(r, (L) => this.nilErr(L, 'socketclosed'));
    if (s.disabled === 'self' && s.owner && !s.owner.done && s.owner.waiting) {
      const w = s.owner.waiting;
      if (w instanceof SockWait && w.sock === s) this.complete(w, (L) => this.nilErr(L, 'socketclosed'));
    }
    s.disabled = null;
    return true;
  }

  /** Marks a socket whose peer went away: closed, and the next read fails once more. */
  private markDead(s: LSock): void {
    this.closeSock(s);
    s.dead = 1;
  }

  // ---- install --------------------------------------------------------------------------------

  install(L: LState): void {
    const { vm } = this.ctx;
    // Weak id -> userdata table.
    vm.newTable(L);
    vm.newTable(L);
    vm.pushString(L, 'v');
    vm.setField(L, -2, '__mode');
    vm.setMetatable(L, -2);
    this.weakRef = vm.ref(L);

    // Metatable with the method table as __index (open to scripts, §1).
    vm.newMetatable(L, 'BaSock');
    vm.newTable(L);
    const m = this.methods();
    for (const [name, fn] of Object.entries(m)) vm.setHost(L, -1, name, fn);
    vm.m._lua_pushvalue(L, -1);
    this.methodsRef = vm.ref(L);
    vm.setField(L, -2, '__index');
    vm.setHost(L, -1, '__gc', (L) => this.gc(L));
    vm.setHost(L, -1, '__close', (L) => {
      const s = this.toSock(L, 1);
      if (s) this.closeSock(s);
      return 0;
    });
    vm.setHost(L, -1, '__tostring', (L) => this.tostring(L));
    vm.m._lua_pushvalue(L, -1);
    this.mtRef = vm.ref(L);
    vm.pop(L, 1);

    // ba.socket
    this.ctx.pushBa(L);
    vm.newTable(L);
    for (const [name, fn] of Object.entries(this.functions())) vm.setHost(L, -1, name, fn);
    vm.setField(L, -2, 'socket');
    vm.pop(L, 1);
  }

  /** Adds methods to the shared socket method table (UDP/TLS/WebSocket modules). */
  addMethod(L: LState, name: string, fn: (L: LState) => number): void {
    const vm = this.ctx.vm;
    vm.pushRef(L, this.methodsRef);
    vm.setHost(L, -1, name, fn);
    vm.pop(L, 1);
  }

  /** Adds a function to ba.socket. */
  addFunction(L: LState, name: string, fn: (L: LState) => number): void {
    const vm = this.ctx.vm;
    this.ctx.pushBa(L);
    vm.getField(L, -1, 'socket');
    vm.setHost(L, -1, name, fn);
    vm.pop(L, 2);
  }

  private gc(L: LState): number {
    const s = this.toSock(L, 1);
    if (s) {
      // A cosocket with a live connection is referenced by its coroutine and never gets here.
      this.closeSock(s);
      this.release(s);
    }
    return 0;
  }

  private tostring(L: LState): number {
    const s = this.checkSock(L, 1, 'tostring');
    const [lip, lport] = this.addr(s, false) ?? ['(null)', 0];
    const [pip, pport] = this.addr(s, true) ?? ['(null)', 0];
    const p = s.ptr || s.id;
    this.ctx.vm.pushString(L, `[Sock 0x${p.toString(16)} S:${this.stateOf(s)} {${lip}:${lport} -> ${pip}:${pport}}]`);
    return 1;
  }

  stateOf(s: LSock): string {
    const o = s.owner;
    if (!o) return 'notcon';
    if (o.done) return 'terminated';
    if (o.waiting) return o.waiting.state;
    return 'exec';
  }

  /** [ip, port, isIPv6] of the local (peer=false) or remote side. */
  addr(s: LSock, peer: boolean): [string, number, boolean] | null {
    if (s.closed) return null;
    if (s.ext.addr) return s.ext.addr(peer);
    if (s.conn) {
      const so = s.conn.sock;
      const ip = peer ? so.remoteAddress : so.localAddress;
      const port = peer ? so.remotePort : so.localPort;
      if (!ip || port === undefined) return null;
      return [ip, port, net.isIPv6(ip)];
    }
    if (s.server && !peer) {
      const a = s.server.address();
      if (a && typeof a === 'object') return [a.address, a.port, a.family === 'IPv6'];
    }
    return null;
  }

  // ---- module functions (§2) ------------------------------------------------------------------

  private functions(): Record<string, (L: LState) => number> {
    const { vm, args } = this.ctx;
    return {
      connect: (L) => this.connect(L),
      bind: (L) => this.bind(L),
      event: (L) => this.eventFn(L),
      getsock: (L) => {
        const t = this.current;
        const s = t && t.kind === 'cosocket' ? (t.owner as LSock | null) : null;
        if (s) this.pushSock(L, s);
        else vm.pushNil(L);
        return 1;
      },
      toip: (L) => this.toip(L),
      stat: (L) => {
        vm.pushInteger(L, totalSockets);
        vm.pushInteger(L, activeSockets);
        return 2;
      },
      n2h: (L) => {
        const size = args.checkInteger(L, 1, 'n2h');
        const str = args.checkBytes(L, 2, 'n2h');
        const off = args.optInteger(L, 3, 'n2h', 1);
        vm.pushInteger(L, n2h(size, str, off));
        return 1;
      },
      h2n: (L) => {
        const size = args.checkInteger(L, 1, 'h2n');
        const n = vm.toBigInt(L, 2) ?? BigInt(Math.trunc(args.checkNumber(L, 2, 'h2n')));
        vm.pushBytes(L, h2n(size, n));
        return 1;
      },
      fn2h: (L) => {
        const size = args.checkInteger(L, 1, 'fn2h');
        const str = args.checkBytes(L, 2, 'fn2h');
        const off = args.optInteger(L, 3, 'fn2h', 1);
        if (size !== 4 && size !== 8) throw new LuaRaise('Invalid size');
        if (off < 1 || off - 1 + size > str.length) throw new LuaRaise('Invalid offset');
        vm.pushNumber(L, size === 4 ? str.readFloatBE(off - 1) : str.readDoubleBE(off - 1));
        return 1;
      },
      fh2n: (L) => {
        const size = args.checkInteger(L, 1, 'fh2n');
        const n = args.checkNumber(L, 2, 'fh2n');
        if (size !== 4 && size !== 8) throw new LuaRaise('Invalid size');
        const b = Buffer.alloc(size);
        if (size === 4) b.writeFloatBE(n);
        else b.writeDoubleBE(n);
        vm.pushBytes(L, b);
        return 1;
      },
    };
  }

  /** Options common to connect/bind/udpcon (§1); a non-table is ignored. */
  readOpts(L: LState, idx: number): { intf?: string; ipv6: boolean; timeout?: number; shark: boolean; alpn?: string; port?: number } {
    const { vm, args } = this.ctx;
    const o: { intf?: string; ipv6: boolean; timeout?: number; shark: boolean; alpn?: string; port?: number } = { ipv6: false, shark: false };
    if (vm.type(L, idx) !== T_TABLE) return o;
    const intf = args.optField(L, idx, 'intf');
    if (intf.str !== undefined) o.intf = intf.str;
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

  /** Resolves a host name; IP literals resolve at once. */
  resolve(host: string, ipv6: boolean, cb: (err: string | null, ip: string, text?: string) => void): string | null {
    if (net.isIP(host)) return host;
    if (host === 'localhost' || host === '') {
      return ipv6 ? '::1' : '127.0.0.1';
    }
    dns.lookup(host, { family: ipv6 ? 6 : 4 }, (err, address) => {
      if (err) cb('cannotresolve', '', resolverText(err));
      else cb(null, address);
    });
    return null;
  }

  /**
   * The event-only object of the running cosocket when a socket-creating call may convert it:
   * `undefined` when not in a cosocket, null when that cosocket already had a network socket.
   */
  convertible(): LSock | null | undefined {
    const t = this.current;
    if (!t || t.kind !== 'cosocket') return undefined;
    const s = t.owner as LSock | null;
    if (!s || s.kind !== 'event' || s.hadNet || s.closed) return null;
    return s;
  }

  /** Hook for TLS: wraps a connected plain socket; calls back with an error string or null. */
  tlsConnect:
    | ((L: LState, optIdx: number, plain: net.Socket, host: string, cb: (err: string | null, sock?: net.Socket) => void) => void)
    | null = null;

  private connect(L: LState): number {
    const { vm, args } = this.ctx;
    const host = args.checkString(L, 1, 'connect');
    const port = args.checkInteger(L, 2, 'connect');
    const opt = this.readOpts(L, 3);
    const timeout = opt.timeout ?? 1000;
    const conv = this.convertible();
    if (conv === null) return this.nilErr(L, 'incorrectuse');
    const target = conv ?? null;
    if (target) target.hadNet = true;
    const w = this.newWait('connect', target, 'connect');
    let sock: net.Socket | null = null;
    const fail = (err: string, text?: string): void => {
      sock?.destroy();
      if (optRef) vm.unref(optRef);
      optRef = 0;
      this.complete(w, (L) => this.nilErr(L, err, text));
    };
    w.timer = setTimeout(() => fail('timeout'), timeout);
    const tlsWanted = opt.shark;
    // TLS setup needs the option table later: keep it referenced.
    let optRef = 0;
    if (tlsWanted) {
      vm.m._lua_pushvalue(L, 3);
      optRef = vm.ref(L);
    }
    const done = (ok: net.Socket): void => {
      if (optRef) vm.unref(optRef);
      optRef = 0;
      this.complete(w, (L) => {
        const s = target ?? this.newSock('tcp');
        s.kind = 'tcp';
        s.host = host;
        s.hadNet = true;
        if (target) s.sMode = true;
        this.attachConn(s, ok);
        this.pushSock(L, s);
        return 1;
      });
    };
    const start = (ip: string): void => {
      if (w.done) return;
      const o: net.NetConnectOpts = { host: ip, port, allowHalfOpen: true };
      if (opt.intf) (o as net.TcpNetConnectOpts).localAddress = opt.intf;
      const so = net.connect(o);
      sock = so;
      so.once('error', () => fail('cannotconnect'));
      so.once('connect', () => {
        if (w.done) {
          so.destroy();
          return;
        }
        so.removeAllListeners('error');
        if (!tlsWanted || !this.tlsConnect) return done(so);
        const LL = this.ctx.vm.L;
        vm.pushRef(LL, optRef);
        // The hook reads the option table before it returns: pop it right away, not when
        // the handshake ends (other code uses the main state meanwhile).
        this.tlsConnect(LL, vm.top(LL), so, host, (err, tsock) => {
          if (err || !tsock) fail(err ?? 'sslhandshake');
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
    const ip = this.resolve(host, opt.ipv6, (err, ip, text) => {
      if (err) fail(err, text);
      else start(ip);
    });
    if (ip !== null) start(ip);
    return this.waitOn(L, target, w, 'connect');
  }

  /** Gives `s` a connection and wires its read events. */
  attachConn(s: LSock, so: net.Socket): void {
    // Writes leave in batches, one per Lua run; Nagle's algorithm would only add delayed-ACK
    // stalls between them (setoption("tcp-nodelay", false) turns it back on).
    so.setNoDelay(true);
    const conn = new TcpConn(so);
    s.conn = conn;
    conn.onReadable = () => this.onReadable(s);
  }

  /** Data, EOF or error arrived on s's connection. */
  onReadable(s: LSock): void {
    const r = s.reader;
    if (!r || r.state !== 'read' || s.disabled === 'outside') return;
    this.complete(r, (L) => this.readNow(s, L, r.recvfrom));
  }

  /**
   * Pushes the result of a read that can complete now (data or the peer's end);
   * returns -1 when it would have to wait.
   */
  readNow(s: LSock, L: LState, recvfrom = false): number {
    const custom = s.ext.tryRead;
    if (custom) return custom(L, recvfrom);
    const conn = s.conn;
    if (!conn) return this.nilErr(L, 'socketreadfailed');
    if (s.closed) return this.deadRead(L, s);
    this.sinkL = L;
    if (conn.readInto(s.maxSize, this.pushSink) > 0) return 1;
    if (conn.ended) {
      const err = this.tlsEndReason?.(conn) ?? (conn.ended === 'closenotify' ? 'sslclosenotify' : 'socketreadfailed');
      this.markDead(s);
      return this.nilErr(L, err);
    }
    return -1;
  }

  /** Where `pushSink` pushes (set just before each readInto). */
  private sinkL = 0;
  private readonly pushSink = (src: Buffer, start: number, end: number): void => {
    this.ctx.vm.pushBytesFrom(this.sinkL, src, start, end);
  };

  /** Reads on a closed socket: once more nil,"socketreadfailed", then raise (§4). */
  deadRead(L: LState, s: LSock): number {
    if (s.dead < 2) {
      s.dead = 2;
      return this.nilErr(L, 'socketreadfailed');
    }
    throw new LuaRaise('Invalid op: : Socket closed');
  }

  private bind(L: LState): number {
    const { args } = this.ctx;
    const port = args.checkInteger(L, 1, 'bind');
    const opt = this.readOpts(L, 2);
    const conv = this.convertible();
    if (conv === null) return this.nilErr(L, 'incorrectuse');
    const s = conv ?? this.newSock('listen');
    s.hadNet = true;
    const server = net.createServer({ allowHalfOpen: true });
    const host = opt.intf ?? (opt.ipv6 ? '::' : '0.0.0.0');
    let settled = false;
    const onConn = (so: net.Socket): void => {
      if (s.closed) {
        so.destroy();
        return;
      }
      s.pending.push(so);
      const r = s.reader;
      if (r && r.state === 'accept') this.complete(r, (L) => this.acceptNow(s, L));
    };
    const finish = (ok: boolean, L2: LState | null, w: SockWait | null): number => {
      if (ok) {
        s.kind = 'listen';
        s.server = server;
        server.on('connection', onConn);
        server.on('error', () => {});
        s.ext.tls?.(s);
      } else {
        server.close();
        if (conv) s.hadNet = true;
      }
      const push = (L: LState): number => {
        if (!ok) return this.nilErr(L, 'bind');
        this.pushSock(L, s);
        return 1;
      };
      if (w) {
        this.complete(w, push);
        return 0;
      }
      return push(L2!);
    };
    let wait: SockWait | null = null;
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
    if (opt.shark) this.tlsListen?.(L, 2, s);
    try {
      server.listen({ port, host, exclusive: false });
    } catch {
      settled = true;
      return finish(false, L, null);
    }
    if (server.listening) {
      settled = true;
      return finish(true, L, null);
    }
    wait = this.newWait('bind', conv ?? null, 'bind');
    return this.waitOn(L, conv ?? null, wait, 'bind');
  }

  /** Hook for TLS listeners: records the server context on s (s.ext.tls). */
  tlsListen: ((L: LState, optIdx: number, s: LSock) => void) | null = null;
  /** Hook for TLS: the read error of a TLS connection that ended (alerts, close_notify); null = plain. */
  tlsEndReason: ((conn: TcpConn) => string | null) | null = null;
  /** Hook for TLS listeners: wraps an accepted plain socket. */
  tlsAccept: ((s: LSock, so: net.Socket) => net.Socket) | null = null;

  private acceptNow(s: LSock, L: LState): number {
    const so = s.pending.shift();
    if (!so) return -1;
    const ns = this.newSock('tcp');
    ns.hadNet = true;
    const tls = s.ext.tlsAccept;
    this.attachConn(ns, tls ? tls(so) : so);
    if (tls) ns.ext.tlsServer = true;
    this.pushSock(L, ns);
    return 1;
  }

  private eventFn(L: LState): number {
    const { vm, args } = this.ctx;
    args.checkFunction(L, 1, 'event');
    const s = this.newSock('event');
    s.dead = 1; // read() without a time behaves as on a closed socket (§2.4)
    const nargs = vm.top(L) - 1;
    const task = this.startCosocket(L, s, 1, nargs, true);
    if (task.done) {
      vm.pushNil(L);
      return 1;
    }
    this.pushSock(L, s);
    return 1;
  }

  /**
   * Starts `fn(sock, ...)` as s's own coroutine: the function is at `fnIdx` of L and the
   * `nextra` values after it... are passed after the socket. Runs it until it first waits.
   */
  startCosocket(L: LState, s: LSock, fnIdx: number, nextra: number, sMode: boolean, extraIdx = fnIdx + 1): Task {
    const { vm, sched } = this.ctx;
    const task = sched.create('cosocket', {
      onEnd: () => this.cosocketEnded(task),
      onError: (_t, err) => {
        sched.traceError('cosocket', err);
        this.cosocketEnded(task);
      },
    });
    task.owner = s;
    s.owner = task;
    s.sMode = sMode || s.sMode;
    const co = task.co;
    vm.m._lua_pushvalue(L, fnIdx);
    vm.xmove(L, co, 1);
    this.pushSock(co, s);
    for (let i = 0; i < nextra; i++) {
      vm.m._lua_pushvalue(L, extraIdx + i);
      vm.xmove(L, co, 1);
    }
    sched.resume(task, 1 + nextra);
    return task;
  }

  private cosocketEnded(task: Task): void {
    const s = task.owner as LSock | null;
    if (s && s.owner === task) this.closeSock(s);
  }

  private toip(L: LState): number {
    const { vm, args } = this.ctx;
    const name = args.checkString(L, 1, 'toip');
    const ipv6 = vm.toBoolean(L, 2);
    const w = this.newWait('toip', null, 'toip');
    const ip = this.resolve(name, ipv6, (err, ip) => {
      this.complete(w, (L) => {
        if (err) return this.nilErr(L, 'cannotresolve');
        vm.pushString(L, ip);
        return 1;
      });
    });
    if (ip !== null) {
      vm.pushString(L, ip);
      return 1;
    }
    return this.waitOn(L, null, w, 'toip');
  }

  // ---- methods (§3) ---------------------------------------------------------------------------

  private methods(): Record<string, (L: LState) => number> {
    const { vm, args } = this.ctx;
    return {
      read: (L) => this.read(L),
      write: (L) => this.write(L),
      accept: (L) => this.accept(L),
      close: (L) => {
        const s = this.checkSock(L, 1, 'close');
        vm.pushBoolean(L, this.closeSock(s));
        return 1;
      },
      event: (L) => this.eventMethod(L),
      disable: (L) => this.disable(L),
      enable: (L) => this.enable(L),
      queuelen: (L) => {
        const s = this.checkSock(L, 1, 'queuelen');
        const prev = s.queueLimit;
        if (!args.isNoneOrNil(L, 2)) s.queueLimit = Math.max(0, args.checkInteger(L, 2, 'queuelen'));
        vm.pushInteger(L, prev);
        return 1;
      },
      maxsize: (L) => {
        const s = this.checkSock(L, 1, 'maxsize');
        const n = args.checkInteger(L, 2, 'maxsize');
        const ok = n > 256 && n <= 8192;
        if (ok) s.maxSize = n;
        vm.pushBoolean(L, ok);
        return 1;
      },
      owner: (L) => {
        const s = this.checkSock(L, 1, 'owner');
        vm.pushBoolean(L, s.owner !== null && s.owner === this.current);
        return 1;
      },
      state: (L) => {
        const s = this.checkSock(L, 1, 'state');
        vm.pushString(L, this.stateOf(s));
        vm.pushBoolean(L, s.hasNet);
        return 2;
      },
      peername: (L) => this.name(L, true),
      sockname: (L) => this.name(L, false),
      setoption: (L) => this.setoption(L),
      websocket: (L) => {
        const s = this.checkSock(L, 1, 'websocket');
        vm.pushBoolean(L, s.kind === 'ws');
        return 1;
      },
      ping: (L) => {
        this.checkSock(L, 1, 'ping');
        throw new LuaRaise('Not WS');
      },
      sendto: (L) => {
        const s = this.checkSock(L, 1, 'sendto');
        const custom = s.ext.sendto;
        if (custom) return custom(L);
        throw new LuaRaise('Invalid op: Not a DGRAM socket');
      },
      upgrade: (L) => this.sslNotEnabled(L, 'upgrade'),
      trusted: (L) => this.sslNotEnabled(L, 'trusted'),
      certificate: (L) => this.sslNotEnabled(L, 'certificate'),
      cipher: (L) => this.sslNotEnabled(L, 'cipher'),
      isresumed: (L) => this.sslNotEnabled(L, 'isresumed'),
      relsession: (L) => this.sslNotEnabled(L, 'relsession'),
    };
  }

  private sslNotEnabled(L: LState, fname: string): number {
    this.checkSock(L, 1, fname);
    return this.nilErr(L, 'sslnotenabled');
  }

  private name(L: LState, peer: boolean): number {
    const vm = this.ctx.vm;
    const s = this.checkSock(L, 1, peer ? 'peername' : 'sockname');
    const a = this.addr(s, peer);
    if (!a) return this.nilErr(L, 'failed');
    vm.pushString(L, a[0]);
    vm.pushInteger(L, a[1]);
    vm.pushBoolean(L, a[2]);
    return 3;
  }

  private setoption(L: LState): number {
    const { vm, args } = this.ctx;
    const s = this.checkSock(L, 1, 'setoption');
    const name = args.checkString(L, 2, 'setoption');
    const on = vm.toBoolean(L, 3);
    const custom = s.ext.setoption;
    if (custom) return custom(L, name, on);
    if (name !== 'tcp-nodelay' && name !== 'keepalive') throw new LuaRaise(`Unknown option '${name}'`);
    const so = s.conn?.sock;
    if (!so || s.closed) return this.nilErr(L, 'Bad file descriptor', 9);
    if (name === 'tcp-nodelay') so.setNoDelay(on);
    else {
      const idle = vm.toInteger(L, 4);
      so.setKeepAlive(on, idle ? idle * 1000 : 0);
    }
    vm.pushBoolean(L, true);
    return 1;
  }

  private read(L: LState): number {
    const { vm } = this.ctx;
    const s = this.checkSock(L, 1, 'read');
    if (s.kind === 'listen') throw new LuaRaise('Invalid op:  on listen socket');
    const cur = this.current;
    if (s.owner && !s.owner.done && s.owner !== cur) throw new LuaRaise('Invalid op:  when socket is in cosocket mode');
    let ms: number | null = null;
    let recvfrom = false;
    const t2 = vm.type(L, 2);
    if (t2 === T_NUMBER) {
      ms = vm.toNumber(L, 2)!;
      if (vm.type(L, 3) === T_BOOLEAN) recvfrom = vm.toBoolean(L, 3);
    } else if (t2 === T_BOOLEAN) recvfrom = vm.toBoolean(L, 2);
    if (s.kind === 'event' && !s.closed) {
      // A socket-less cosocket: read(ms) sleeps (§2.4); read() acts as on a closed socket.
      if (ms === null) return this.deadRead(L, s);
      const w = this.newWait('read', s, 'read');
      w.timer = setTimeout(() => this.complete(w, (L) => this.nilErr(L, 'timeout')), Math.max(0, ms));
      return this.waitOn(L, s, w, 'read');
    }
    if (s.closed) {
      const custom = s.ext.tryRead;
      if (custom && s.kind === 'udp') return custom(L, recvfrom);
      return this.deadRead(L, s);
    }
    if (s.disabled !== 'outside') {
      const n = this.readNow(s, L, recvfrom);
      if (n >= 0) return n;
    }
    if (s.reader) throw new LuaRaise('Invalid op: another coroutine is already reading this socket');
    const w = this.newWait('read', s, 'read');
    w.recvfrom = recvfrom;
    if (ms !== null) {
      w.timer = setTimeout(() => this.complete(w, (L) => {
        const custom = s.ext.onTimeout;
        return custom ? custom(L) : this.nilErr(L, 'timeout');
      }), Math.max(0, ms));
    }
    return this.waitOn(L, s, w, 'read');
  }

  private accept(L: LState): number {
    const s = this.checkSock(L, 1, 'accept');
    if (s.kind !== 'listen') throw new LuaRaise('Invalid op: : not a listen socket');
    if (s.closed) {
      if (s.dead < 2) {
        s.dead = 2;
        return this.nilErr(L, 'socketclosed');
      }
      throw new LuaRaise('Invalid op: : Socket closed');
    }
    if (!s.owner || s.owner !== this.current) throw new LuaRaise('Sock not async');
    const n = this.acceptNow(s, L);
    if (n >= 0) return n;
    const w = this.newWait('accept', s, 'accept');
    return this.waitOn(L, s, w, 'accept');
  }

  /** Reads the data argument and the i/j range (§5). Returns null for an empty selection. */
  private writeData(L: LState, fname: string): { data: Uint8Array; isText: boolean } | null {
    const { vm, args } = this.ctx;
    let data = this.ctx.dataBytes(L, 2);
    if (!data) {
      if (vm.top(L) < 2) args.typeError(L, 2, fname, 'string');
      // tostring(value), left on the stack so the view stays valid during this call.
      vm.m._luaL_tolstring(L, 2, 0);
      data = vm.viewBytes(L, -1)!;
    }
    let isText = false;
    let i = 1;
    let j = -1;
    if (vm.type(L, 3) === T_BOOLEAN) isText = vm.toBoolean(L, 3);
    else {
      if (vm.type(L, 3) === T_NUMBER) i = args.checkInteger(L, 3, fname);
      if (vm.type(L, 4) === T_NUMBER) j = args.checkInteger(L, 4, fname);
      if (vm.type(L, 5) === T_BOOLEAN) isText = vm.toBoolean(L, 5);
      else if (vm.type(L, 4) === T_BOOLEAN) isText = vm.toBoolean(L, 4);
    }
    const len = data.length;
    if (i !== 1 || j !== -1) {
      if (i < 0) i = Math.max(len + i + 1, 1);
      else if (i === 0) i = 1;
      if (j < 0) j = len + j + 1;
      else if (j > len) j = len;
      if (i > j) return { data: data.subarray(0, 0), isText };
      data = data.subarray(i - 1, j);
    }
    return { data, isText };
  }

  private write(L: LState): number {
    const { vm } = this.ctx;
    const s = this.checkSock(L, 1, 'write');
    const custom = s.ext.write;
    const wd = this.writeData(L, 'write');
    if (!wd) return 0;
    if (custom) return custom(L, wd.data, wd.isText);
    if (wd.data.length === 0) {
      vm.pushBoolean(L, false);
      return 1;
    }
    return this.writeBytes(L, s, wd.data);
  }

  /**
   * Sends bytes on a stream socket with the queue rules of §5. `data` may be a view into WASM
   * memory; it is copied before Node keeps it. A `frame` hook sends `data` its own way (as a
   * WebSocket frame) and must copy whatever it keeps past the call.
   */
  writeBytes(L: LState, s: LSock, data: Uint8Array, frame?: (b: Uint8Array, batch: boolean) => void): number {
    const { vm } = this.ctx;
    const conn = s.conn;
    if (s.closed || !conn || !conn.writable || conn.ended) {
      if (!s.closed && conn) this.closeSock(s);
      return this.nilErr(L, 'socketwritefailed');
    }
    const send = (batch = false): void => {
      // A frame hook (WebSocket) gets the bytes as they are and copies what it keeps.
      if (frame) return frame(data, batch);
      if (batch) return conn.writeBatched(data);
      conn.write(Buffer.from(data));
    };
    const cur = this.current;
    if (s.sMode) {
      const before = conn.queued;
      if (before === 0) {
        send(true);
        vm.pushBoolean(L, true);
        vm.pushInteger(L, conn.queued);
        return 2;
      }
      if (cur && cur.kind === 'cosocket') {
        send();
        const q = conn.queued;
        if (q <= COSOCKET_WRITE_THRESHOLD) {
          vm.pushBoolean(L, true);
          vm.pushInteger(L, q);
          return 2;
        }
        return this.waitDrain(L, s, 'write');
      }
      if (before >= s.queueLimit) {
        vm.pushNil(L);
        vm.pushInteger(L, before);
        return 2;
      }
      send();
      vm.pushBoolean(L, true);
      vm.pushInteger(L, conn.queued);
      return 2;
    }
    // Synchronous write: true once every byte is with the kernel (§5); otherwise the writer
    // waits for the queue to drain. (Not batched: a close right after must not find the
    // bytes still queued.)
    send();
    if (conn.queued === 0) {
      vm.pushBoolean(L, true);
      return 1;
    }
    return this.waitDrain(L, s, 'write', true);
  }

  /** Suspends the caller until s's write queue is empty. */
  private waitDrain(L: LState, s: LSock, state: string, sync = false): number {
    const conn = s.conn!;
    const w = this.newWait(state, null, 'write');
    const cb = (ok: boolean): void => {
      this.complete(w, (L) => {
        if (ok) {
          this.ctx.vm.pushBoolean(L, true);
          return 1;
        }
        if (sync && !s.closed) this.closeSock(s);
        return this.nilErr(L, sync ? 'socketwritefailed' : 'socketclosed');
      });
    };
    w.onAbort = () => conn.removeDrainWaiter(cb);
    conn.whenDrained(cb);
    return this.ctx.sched.suspend(L, w, 'write');
  }

  private eventMethod(L: LState): number {
    const { vm, args } = this.ctx;
    const s = this.checkSock(L, 1, 'event');
    args.checkFunction(L, 2, 'event');
    const cur = this.current;
    if (s.owner && !s.owner.done && s.owner !== cur) throw new LuaRaise('Invalid op: Already in async/cosocket mode');
    if (s.closed || (s.kind !== 'event' && !s.hasNet)) return this.nilErr(L, 'invalidsocketcon');
    const op = vm.type(L, 3) === T_STRING ? (vm.toStr(L, 3) ?? '') : '';
    const sMode = op.startsWith('s');
    const nextra = Math.max(0, vm.top(L) - 3);
    let target = s;
    if (s.owner && s.owner === cur) {
      // Called from the own coroutine: the connection moves to a new object (§3.1).
      target = this.newSock(s.kind);
      this.moveNet(s, target);
      this.closeSock(s);
    }
    const task = this.startCosocket(L, target, 2, nextra, sMode, 4);
    if (task.done) return this.nilErr(L, 'failed');
    vm.pushBoolean(L, true);
    return 1;
  }

  /** Moves the network side of `from` to `to`; `from` keeps no connection. */
  moveNet(from: LSock, to: LSock): void {
    to.kind = from.kind;
    to.conn = from.conn;
    to.server = from.server;
    to.pending = from.pending;
    to.host = from.host;
    to.hadNet = true;
    to.queueLimit = from.queueLimit;
    to.maxSize = from.maxSize;
    to.ext = from.ext;
    from.conn = null;
    from.server = null;
    from.pending = [];
    from.ext = {};
    if (to.conn) to.conn.onReadable = () => this.onReadable(to);
    to.ext.rebind?.(to);
  }

  private disable(L: LState): number {
    const s = this.checkSock(L, 1, 'disable');
    const o = s.owner;
    if (!o || o.done) throw new LuaRaise('Sock not async');
    const cur = this.current;
    if (o === cur) {
      s.disabled = 'self';
      const w = this.newWait('disabled', s, 'disable');
      w.onAbort = () => {
        if (s.disabled === 'self') s.disabled = null;
      };
      return this.ctx.sched.suspend(L, w, 'disable');
    }
    const r = s.reader;
    if (r && r.task === o && r.state === 'read' && !r.timer && s.disabled === null) {
      s.disabled = 'outside';
      this.ctx.vm.pushBoolean(L, true);
      return 1;
    }
    return this.nilErr(L, 'incorrectuse');
  }

  private enable(L: LState): number {
    const { vm, sched } = this.ctx;
    const s = this.checkSock(L, 1, 'enable');
    const o = s.owner;
    if (s.disabled === 'self' && o && !o.done && o.waiting) {
      if (s.kind !== 'event' && (s.closed || s.conn?.ended)) return this.nilErr(L, 'socketclosed');
      const w = o.waiting as SockWait;
      w.done = true;
      s.disabled = null;
      const n = vm.top(L) - 1;
      // Runs the coroutine now, before enable returns (§6).
      vm.xmove(L, o.co, n);
      sched.resume(o, n);
      vm.pushBoolean(L, !o.done);
      return 1;
    }
    if (s.disabled === 'outside') {
      s.disabled = null;
      if (s.closed || s.conn?.ended) {
        this.onReadable(s);
        return this.nilErr(L, 'socketclosed');
      }
      if (s.conn && (s.conn.buffered > 0 || s.conn.ended)) this.onReadable(s);
      else if (s.ext.hasData?.()) this.onReadable(s);
      vm.pushBoolean(L, true);
      return 1;
    }
    return 0;
  }
}

/** A resolver error as the text BAS passes on (getaddrinfo's message). */
function resolverText(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ENOTFOUND':
      return 'Name or service not known';
    case 'EAI_AGAIN':
      return 'Temporary failure in name resolution';
    case 'ENODATA':
      return 'No address associated with hostname';
    default:
      return err.message || String(err.code);
  }
}

/** ba.socket.n2h (§2.5): sizes 1-7 unsigned, 8 two's complement. */
export function n2h(size: number, str: Uint8Array, offset = 1): number | bigint {
  if (size < 1 || size > 8) throw new LuaRaise('Invalid size');
  if (offset < 1 || offset - 1 + size > str.length) throw new LuaRaise('Invalid offset');
  let v = 0n;
  for (let k = 0; k < size; k++) v = (v << 8n) | BigInt(str[offset - 1 + k]!);
  if (size === 8) v = BigInt.asIntN(64, v);
  return v;
}

/** ba.socket.h2n (§2.5): the low `size` bytes of the 64-bit value, big-endian. */
export function h2n(size: number, n: bigint): Buffer {
  if (size < 1 || size > 8) throw new LuaRaise('Invalid size');
  const b = Buffer.alloc(size);
  let v = BigInt.asUintN(64, n);
  for (let k = size - 1; k >= 0; k--) {
    b[k] = Number(v & 0xffn);
    v >>= 8n;
  }
  return b;
}
