/**
 * `ba.socket`: what Lua sees of TCP sockets (and the hooks UDP, TLS and WebSocket sockets plug
 * into). Behaviour, return values and error strings are BAS's.
 *
 * Every method either completes at once or registers a waiter and suspends the calling
 * coroutine. Reads and writes that can complete at once never yield.
 */
import { flushWriteBatches, type TcpConn } from '../net/tcp-conn.js';
import { isIPv6, resolveHost } from '../net/resolve.js';
import { LuaRaise } from '../vm/lua-error.js';
import { T_BOOLEAN, T_USERDATA, type LState } from '../vm/lua-vm.js';
import type { Task } from '../sched/scheduler.js';
import { HandleTable, HandleTag } from '../vm/handles.js';
import type { BaError } from './errors.js';
import type { NetSocket } from '../net/tcp-dial.js';
import type { BaContext } from './context.js';
import { LSock, NO_PENDING, SockWait, sockCount, type SockKind } from './sock.js';
import { Wait } from '../sched/waiter.js';
import { accept, bind, connect, convertible, readOpts, toip, type SockOpts } from './socket-connect.js';
import { attachConn, deadRead, onReadable, read, readNow } from './socket-read.js';
import { write, writeBytes } from './socket-write.js';
import { disable, enable, eventFn, eventMethod, moveNet, startCosocket } from './cosocket.js';
import { numberFunctions } from './socket-numbers.js';

export { LSock, SockWait, type SockExt, type SockKind } from './sock.js';


export class SocketLib {
  private readonly socks: HandleTable<LSock>;
  /** Registry ref of a weak-valued table id -> userdata, to push existing objects. */
  private weakRef = 0;
  /** Registry ref of the method table (`__index`), for other modules to extend. */
  methodsRef = 0;

  constructor(readonly ctx: BaContext) {
    this.socks = new HandleTable(ctx.vm, HandleTag.socket);
    ctx.sched.afterRun.push(flushWriteBatches);
  }

  // ---- object registry ----------------------------------------------------------------------

  newSock(kind: SockKind): LSock {
    return this.socks.create((id) => new LSock(id, kind));
  }

  /** Pushes the userdata for `s`, creating it on first use. */
  pushSock(L: LState, s: LSock): void {
    const vm = this.ctx.vm;
    vm.pushRef(L, this.weakRef);
    if (vm.rawGetI(L, -1, s.id) === T_USERDATA) {
      vm.rotate(L, -2, 1);
      vm.pop(L, 1);
      return;
    }
    vm.pop(L, 1);
    s.ptr = this.socks.push(L, s.id);
    vm.pushValue(L, -1);
    vm.rawSetI(L, -3, s.id);
    vm.rotate(L, -2, 1);
    vm.pop(L, 1);
  }

  /** The socket at stack index i, or null. */
  toSock(L: LState, i: number): LSock | null {
    return this.socks.at(L, i);
  }

  checkSock(L: LState, i: number, fname: string): LSock {
    const s = this.toSock(L, i);
    // BAS names the socket type by its metatable name.
    if (!s) this.ctx.args.typeError(L, i, fname, '_BASOCK');
    return s;
  }

  private release(s: LSock): void {
    this.socks.release(s.id, s);
  }

  /** Closes every socket object (runtime disposal). */
  /** Closes every socket; `keepOwners` (shutdown): cosockets keep running on their objects. */
  closeAll(keepOwners = false): void {
    for (const s of this.socks.values()) if (!s.closed) {
      s.reader = null;
      if (!keepOwners) s.owner = null;
      this.closeSock(s);
      s.conn?.destroy();
    }
  }

  // ---- small helpers ------------------------------------------------------------------------

  nilErr(L: LState, err: BaError, extra?: string | number): number {
    return this.nilSysErr(L, err, extra);
  }

  /** `nil, message [, errno or text]` for an error reported as the system gives it. */
  nilSysErr(L: LState, err: string, extra?: string | number): number {
    const vm = this.ctx.vm;
    vm.pushNil(L);
    vm.pushString(L, err);
    if (extra === undefined) return 2;
    if (typeof extra === 'number') vm.pushInteger(L, extra);
    else vm.pushString(L, extra);
    return 3;
  }

  get current(): Task | null {
    return this.ctx.sched.current;
  }

  /** With a socket: registers `w` (made by newWait for it) as the reader of `s`. Suspends. */
  waitOn(L: LState, s: LSock | null, w: Wait, what: string): number {
    // (no onAbort closure per wait: a SockWait leaves its socket's reader slot itself)
    if (s) s.reader = w as SockWait;
    return this.ctx.sched.suspend(L, w, what);
  }

  /** A wait of the running task; on socket `s`, one that frees s's reader slot when it completes. */
  newWait(state: string, s: LSock | null, what: string): Wait {
    const task = this.current;
    if (!task) throw new LuaRaise(`${what}: no coroutine to suspend`);
    return s ? new SockWait(state, task, s) : new Wait(state, task);
  }

  /** Completes a wait (the same as `w.complete(push, nested)`). */
  complete(w: Wait, push: (L: LState) => number, nested = false): void {
    w.complete(push, nested);
  }

  // ---- closing ------------------------------------------------------------------------------

  /**
   * Closes `s` (§3.3). Returns false if it was already closed. `fromLua`: called by
   * `sock:close()`; a cosocket waiting on `s` then runs to its next wait before close returns,
   * as in BAS.
   */
  closeSock(s: LSock, fromLua = false): boolean {
    if (s.closed) return false;
    s.closed = true;
    if (fromLua && s.kind === 'tcp' && s.sMode && s.owner && !s.owner.done) s.reconnectable = true;
    s.dead = Math.max(s.dead, 1);
    sockCount.active--;
    const conn = s.conn;
    if (conn) {
      conn.onReadable = null;
      s.ext.onClose?.(s);
      conn.close();
    }
    if (s.server) {
      s.server.close();
      for (const p of s.pending) p.destroy();
      s.pending = NO_PENDING;
    }
    s.ext.udpClose?.();
    // A coroutine waiting on this socket (read, accept, connect, disable, sleep) gets
    // nil, "socketclosed".
    const r = s.reader;
    const wasDisabled = s.disabled;
    s.disabled = null;
    if (r && !r.done) this.complete(r, (L) => this.nilErr(L, 'socketclosed'), fromLua);
    if (wasDisabled === 'self' && s.owner && !s.owner.done && s.owner.waiting) {
      const w = s.owner.waiting;
      if (w instanceof SockWait && w.sock === s) this.complete(w, (L) => this.nilErr(L, 'socketclosed'), fromLua);
    }
    return true;
  }

  /** Marks a socket whose peer went away: closed, and the next read fails once more. */
  markDead(s: LSock): void {
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

    // One metatable that holds every method and is its own __index, named "_BASOCK", as in
    // BAS: `pairs(getmetatable(sock))` lists the methods, and scripts may add their own.
    vm.newMetatable(L, '_BASOCK');
    const m = this.methods();
    for (const [name, fn] of Object.entries(m)) vm.setHost(L, -1, name, fn);
    vm.pushValue(L, -1);
    this.methodsRef = vm.ref(L);
    vm.pushValue(L, -1);
    vm.setField(L, -2, '__index');
    vm.setHost(L, -1, '__gc', (L) => this.gc(L));
    vm.setHost(L, -1, '__close', (L) => {
      const s = this.toSock(L, 1);
      if (s) this.closeSock(s);
      return 0;
    });
    vm.setHost(L, -1, '__tostring', (L) => this.tostring(L));
    vm.pushValue(L, -1);
    this.socks.mtRef = vm.ref(L);
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
    // BAS: "[Sock <hex> S:<state> {local -> peer}]", the address block only while the socket
    // has a local address (not for a bare cosocket, a closed or a disabled socket).
    const local = this.addr(s, false);
    const p = (s.ptr || s.id).toString(16);
    let block = '';
    if (local) {
      const [pip, pport] = this.addr(s, true) ?? ['(null)', 0];
      block = ` {${local[0]}:${local[1]} -> ${pip}:${pport}}`;
    }
    this.ctx.vm.pushString(L, `[Sock ${p} S:${this.stateOf(s)}${block}]`);
    return 1;
  }

  stateOf(s: LSock): string {
    const o = s.owner;
    if (!o) return 'notcon';
    if (o.done) return 'terminated';
    // disable() from outside leaves the coroutine in its read; BAS reports it as disabled.
    if (s.disabled === 'outside') return 'disabled';
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
      return [ip, port, isIPv6(ip)];
    }
    if (s.server && !peer) {
      const a = s.server.address();
      if (a && typeof a === 'object') return [a.address, a.port, a.family === 'IPv6'];
    }
    return null;
  }

  // ---- module functions ------------------------------------------------------------------

  private functions(): Record<string, (L: LState) => number> {
    const { vm } = this.ctx;
    return {
      connect: (L) => connect(this, L),
      bind: (L) => bind(this, L),
      event: (L) => eventFn(this, L),
      getsock: (L) => {
        const t = this.current;
        const s = t && t.kind === 'cosocket' ? (t.owner as LSock | null) : null;
        if (s) this.pushSock(L, s);
        else vm.pushNil(L);
        return 1;
      },
      toip: (L) => toip(this, L),
      stat: (L) => {
        vm.pushInteger(L, sockCount.total);
        vm.pushInteger(L, sockCount.active);
        return 2;
      },
      ...numberFunctions(this.ctx),
    };
  }

  /** Resolves a host name; IP literals resolve at once. */
  resolve(host: string, ipv6: boolean, cb: (err: BaError | null, ip: string, text?: string) => void): string | null {
    // net/resolve.ts reports only "cannotresolve" / "gethostbyname".
    return resolveHost(host, ipv6, cb as (err: string | null, ip: string, text?: string) => void);
  }

  // ---- entry points of the socket-*.ts files, for UDP/TLS/WebSocket/HTTP modules ---------------

  readOpts(L: LState, idx: number, fname = '?'): SockOpts {
    return readOpts(this, L, idx, fname);
  }

  /** See socket-connect.ts convertible(). */
  convertible(): LSock | null | undefined {
    return convertible(this);
  }

  attachConn(s: LSock, so: NetSocket): void {
    attachConn(this, s, so);
  }

  onReadable(s: LSock): void {
    onReadable(this, s);
  }

  readNow(s: LSock, L: LState, recvfrom = false): number {
    return readNow(this, s, L, recvfrom);
  }

  deadRead(L: LState, s: LSock): number {
    return deadRead(this, L, s);
  }

  writeBytes(L: LState, s: LSock, data: Uint8Array, frame?: (b: Uint8Array, batch: boolean) => void): number {
    return writeBytes(this, L, s, data, frame);
  }

  startCosocket(L: LState, s: LSock, fnIdx: number, nextra: number, sMode: boolean, extraIdx = fnIdx + 1): Task {
    return startCosocket(this, L, s, fnIdx, nextra, sMode, extraIdx);
  }

  moveNet(from: LSock, to: LSock): void {
    moveNet(this, from, to);
  }

  /** Hook for TLS: wraps a connected plain socket; calls back with an error string or null. */
  tlsConnect:
    | ((L: LState, optIdx: number, plain: NetSocket, host: string, cb: (err: string | null, sock?: NetSocket) => void) => void)
    | null = null;

  /** Where `pushSink` pushes (set just before each readInto). */
  sinkL = 0;
  readonly pushSink = (src: Buffer, start: number, end: number): void => {
    this.ctx.vm.pushBytesFrom(this.sinkL, src, start, end);
  };

  /** Hook for TLS listeners: records the server context on s (s.ext.tls). */
  tlsListen: ((L: LState, optIdx: number) => ((so: NetSocket) => NetSocket) | null) | null = null;
  /** Hook for TLS: the read error of a TLS connection that ended (alerts, close_notify); null = plain. */
  tlsEndReason: ((conn: TcpConn) => BaError | null) | null = null;
  /** Hook for TLS listeners: wraps an accepted plain socket. */
  tlsAccept: ((s: LSock, so: NetSocket) => NetSocket) | null = null;

  // ---- methods ---------------------------------------------------------------------------

  private methods(): Record<string, (L: LState) => number> {
    const { vm, args } = this.ctx;
    return {
      read: (L) => read(this, L),
      write: (L) => write(this, L),
      accept: (L) => accept(this, L),
      close: (L) => {
        const s = this.checkSock(L, 1, 'close');
        vm.pushBoolean(L, this.closeSock(s, true));
        return 1;
      },
      event: (L) => eventMethod(this, L),
      disable: (L) => disable(this, L),
      enable: (L) => enable(this, L),
      queuelen: (L) => {
        const s = this.checkSock(L, 1, 'queuelen');
        const prev = s.queueLimit;
        if (!args.isNoneOrNil(L, 2)) s.queueLimit = Math.max(0, args.checkInteger(L, 2, 'queuelen'));
        vm.pushInteger(L, prev);
        return 1;
      },
      maxsize: (L) => {
        const s = this.checkSock(L, 1, 'maxsize');
        // Without a size Mako answers false, as for a size out of range.
        const n = args.isNoneOrNil(L, 2) ? 0 : args.checkInteger(L, 2, 'maxsize');
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
      // upgrade, trusted, certificate, cipher, isresumed, relsession: tls.ts (every socket).
    };
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
    // BAS checks the value before the name: TCP options are booleans.
    if (vm.type(L, 3) !== T_BOOLEAN) args.typeError(L, 3, 'setoption', 'boolean');
    if (name !== 'tcp-nodelay' && name !== 'keepalive') throw new LuaRaise(`Unknown option '${name}'`);
    if (s.server && !s.closed) {
      // Set on a listener, as on Linux, the option is inherited by the sockets it accepts.
      s.ext[name === 'keepalive' ? 'acceptKeepAlive' : 'acceptNoDelay'] = on;
      vm.pushBoolean(L, true);
      return 1;
    }
    const so = s.conn?.sock;
    if (!so || s.closed) return this.nilSysErr(L, 'Bad file descriptor', 9);
    if (name === 'tcp-nodelay') so.setNoDelay(on);
    else {
      const idle = vm.toInteger(L, 4);
      so.setKeepAlive(on, idle ? idle * 1000 : 0);
    }
    vm.pushBoolean(L, true);
    return 1;
  }
}

