/**
 * The socket objects of `ba.socket` and what every socket-*.ts file needs of them: the handle
 * table, pushing a socket to Lua, `nil, err` results, waits on a socket, closing, addresses,
 * and the hooks the TLS module fills in. The Lua functions and methods are in socket.ts, which
 * extends this class; the socket-*.ts files take this class, so they need not import socket.ts.
 */
import { flushWriteBatches } from '../net/socket-writer.js';
import type { TcpConn } from '../net/tcp-conn.js';
import { resolveHost } from '../net/resolve.js';
import { LuaRaise } from '../vm/lua-error.js';
import { T_USERDATA, type LState } from '../vm/lua-vm.js';
import type { Task } from '../sched/scheduler.js';
import { HandleTable, HandleTag } from '../vm/handles.js';
import type { BaError } from './errors.js';
import type { NetSocket } from '../net/tcp-dial.js';
import type { BaContext } from './context.js';
import { LSock, NO_PENDING, SockWait, sockCount, type SockKind } from './sock.js';
import { Wait } from '../sched/waiter.js';
import type { Transport, TransportTable } from './transport.js';

export class SocketCore {
  protected readonly socks: HandleTable<LSock>;
  /** Registry ref of a weak-valued table id -> userdata, to push existing objects. */
  protected weakRef = 0;
  /** Registry ref of the method table (`__index`), for other modules to extend. */
  methodsRef = 0;

  constructor(readonly ctx: BaContext) {
    this.socks = new HandleTable(ctx.vm, HandleTag.socket);
    ctx.sched.afterRun.push(flushWriteBatches);
  }

  // ---- transports ----------------------------------------------------------------------------

  /**
   * The transport of each socket kind (transport.ts): SocketLib puts TCP's in every entry, the
   * UDP and WebSocket modules put theirs.
   */
  readonly transports = {} as TransportTable;

  /** The transport of `s`: its kind's entry; TCP's while `s` has no transport state. */
  transportOf(s: LSock): Transport {
    return s.transportState === null ? this.transports.tcp : this.transports[s.kind];
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
    this.socks.push(L, s.id);
    vm.pushValue(L, -1);
    vm.rawSetI(L, -3, s.id);
    vm.rotate(L, -2, 1);
    vm.pop(L, 1);
  }

  /** The socket at stack index i, or null. */
  toSock(L: LState, i: number): LSock | null {
    return this.socks.at(L, i);
  }

  /** The socket of the userdata block at `p` (`HostArgs.udata`), or null. */
  sockAtBlock(p: number): LSock | null {
    return this.socks.atBlock(p);
  }

  checkSock(L: LState, i: number, fname: string): LSock {
    const s = this.toSock(L, i);
    // BAS names the socket type by its metatable name.
    if (!s) this.ctx.args.typeError(L, i, fname, '_BASOCK');
    return s;
  }

  protected release(s: LSock): void {
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
   * Closes `s`. Returns false if it was already closed. `fromLua`: called by
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
      conn.takeDirect = null;
      s.closeHook?.(s);
    }
    // A WebSocket sends its close frame; a UDP socket closes.
    this.transportOf(s).close(s);
    conn?.close();
    if (s.server) {
      s.server.close();
      for (const p of s.pending) p.destroy();
      s.pending = NO_PENDING;
    }
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

  stateOf(s: LSock): string {
    const o = s.owner;
    // A write-only pipe (ba.pipe.open without a function) reports BAS's "disabled".
    if (!o) return s.idleState;
    if (o.done) return 'terminated';
    // disable() from outside leaves the coroutine in its read; BAS reports it as disabled.
    if (s.disabled === 'outside') return 'disabled';
    if (o.waiting) return o.waiting.state;
    return 'exec';
  }

  /** [ip, port, isIPv6] of the local (peer=false) or remote side. */
  addr(s: LSock, peer: boolean): [string, number, boolean] | null {
    if (s.closed) return null;
    return this.transportOf(s).addr(s, peer);
  }

  /** Resolves a host name; IP literals resolve at once. */
  resolve(host: string, ipv6: boolean, cb: (err: BaError | null, ip: string, text?: string) => void): string | null {
    // net/resolve.ts reports only "cannotresolve" / "gethostbyname".
    return resolveHost(host, ipv6, cb as (err: string | null, ip: string, text?: string) => void);
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

  /** Hook for TLS listeners: the function that wraps an accepted plain socket, or null for none. */
  tlsListen: ((L: LState, optIdx: number) => ((so: NetSocket) => NetSocket) | null) | null = null;
  /** Hook for TLS: the read error of a TLS connection that ended (alerts, close_notify); null = plain. */
  tlsEndReason: ((conn: TcpConn) => BaError | null) | null = null;
}
