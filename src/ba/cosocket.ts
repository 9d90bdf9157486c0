/**
 * Cosockets: `ba.socket.event`, `sock:event`, `sock:disable`, `sock:enable`. A cosocket is a
 * coroutine owned by its socket object; it runs until it first waits and ends with its socket.
 */
import { LuaRaise } from '../vm/lua-error.js';
import { T_STRING, type LState } from '../vm/lua-vm.js';
import type { Task, TaskHooks } from '../sched/scheduler.js';
import type { SocketCore } from './socket-core.js';
import { NO_PENDING, type LSock, type SockWait } from './sock.js';
import { listenReadable, onReadable } from './socket-read.js';

export function eventFn(lib: SocketCore, L: LState): number {
  const { vm, args } = lib.ctx;
  args.checkFunction(L, 1, 'event');
  const s = lib.newSock('event');
  s.dead = 1; // read() without a time behaves as on a closed socket
  const nargs = vm.top(L) - 1;
  const task = startCosocket(lib, L, s, 1, nargs, true);
  if (task.done) {
    vm.pushNil(L);
    return 1;
  }
  lib.pushSock(L, s);
  return 1;
}

/**
 * Starts `fn(sock, ...)` as s's own coroutine: the function is at `fnIdx` of L and the
 * `nextra` values after it... are passed after the socket. Runs it until it first waits.
 */
export function startCosocket(lib: SocketCore, L: LState, s: LSock, fnIdx: number, nextra: number, sMode: boolean, extraIdx = fnIdx + 1): Task {
  const { vm, sched } = lib.ctx;
  const task = sched.create('cosocket', cosocketHooks(lib));
  task.owner = s;
  s.owner = task;
  s.sMode = sMode || s.sMode;
  const co = task.co;
  // The socket's userdata stays at the bottom of the coroutine's stack, below the function,
  // until the coroutine ends: that keeps the object alive while its cosocket runs even when
  // the function drops its argument (`ba.socket.event(function() ... end)`); collecting it
  // would close the socket under a pending connect or read. (A registry reference did this
  // before: one more table slot per connection.)
  lib.pushSock(co, s);
  vm.pushValue(L, fnIdx);
  vm.xmove(L, co, 1);
  vm.pushValue(co, -2);
  for (let i = 0; i < nextra; i++) {
    vm.pushValue(L, extraIdx + i);
    vm.xmove(L, co, 1);
  }
  sched.resume(task, 1 + nextra);
  return task;
}

/** One hooks object per library for every cosocket task (no closures per connection). */
const hooksOf = new WeakMap<SocketCore, TaskHooks>();
function cosocketHooks(lib: SocketCore): TaskHooks {
  let h = hooksOf.get(lib);
  if (!h) {
    h = {
      onEnd: (task) => cosocketEnded(lib, task),
      onError: (task, err) => {
        lib.ctx.sched.traceError('cosocket', err);
        cosocketEnded(lib, task);
      },
    };
    hooksOf.set(lib, h);
  }
  return h;
}

export function cosocketEnded(lib: SocketCore, task: Task): void {
  const s = task.owner as LSock | null;
  if (s && s.owner === task) lib.closeSock(s);
}

export function eventMethod(lib: SocketCore, L: LState): number {
  const { vm, args } = lib.ctx;
  const s = lib.checkSock(L, 1, 'event');
  args.checkFunction(L, 2, 'event');
  const cur = lib.current;
  if (s.owner && !s.owner.done && s.owner !== cur) throw new LuaRaise('Invalid op: Already in async/cosocket mode');
  if (s.closed || (s.kind !== 'event' && !s.hasNet)) return lib.nilErr(L, 'invalidsocketcon');
  const op = vm.type(L, 3) === T_STRING ? (vm.toStr(L, 3) ?? '') : '';
  const sMode = op.startsWith('s');
  const nextra = Math.max(0, vm.top(L) - 3);
  let target = s;
  if (s.owner && s.owner === cur) {
    // Called from the own coroutine: the connection moves to a new object.
    target = lib.newSock(s.kind);
    moveNet(lib, s, target);
    lib.closeSock(s);
  }
  const task = startCosocket(lib, L, target, 2, nextra, sMode, 4);
  if (task.done) return lib.nilErr(L, 'failed');
  vm.pushBoolean(L, true);
  return 1;
}

/** Moves the network side of `from` to `to`; `from` keeps no connection. */
export function moveNet(lib: SocketCore, from: LSock, to: LSock): void {
  to.kind = from.kind;
  to.conn = from.conn;
  to.server = from.server;
  to.pending = from.pending;
  to.host = from.host;
  to.hadNet = true;
  to.queueLimit = from.queueLimit;
  to.maxSize = from.maxSize;
  to.transportState = from.transportState;
  to.acceptOpts = from.acceptOpts;
  to.closeHook = from.closeHook;
  from.conn = null;
  from.server = null;
  from.pending = NO_PENDING;
  from.transportState = null;
  from.acceptOpts = null;
  from.closeHook = null;
  listenReadable(lib, to);
  lib.transportOf(to).rebind(to);
}

export function disable(lib: SocketCore, L: LState): number {
  const s = lib.checkSock(L, 1, 'disable');
  const o = s.owner;
  if (!o) throw new LuaRaise('Sock not async');
  // The cosocket that owned it has ended (BAS closed the socket then): nothing to disable.
  if (o.done) return lib.nilErr(L, 'incorrectuse');
  const cur = lib.current;
  if (o === cur) {
    s.disabled = 'self';
    const w = lib.newWait('disabled', s, 'disable');
    w.onAbort = () => {
      if (s.disabled === 'self') s.disabled = null;
    };
    return lib.ctx.sched.suspend(L, w, 'disable');
  }
  const r = s.reader;
  if (r && r.task === o && r.state === 'read' && !r.timer && s.disabled === null) {
    s.disabled = 'outside';
    lib.ctx.vm.pushBoolean(L, true);
    return 1;
  }
  return lib.nilErr(L, 'incorrectuse');
}

export function enable(lib: SocketCore, L: LState): number {
  const { vm, sched } = lib.ctx;
  const s = lib.checkSock(L, 1, 'enable');
  const o = s.owner;
  // As disable: a socket no cosocket owns raises in BAS; one whose cosocket has ended
  // (the OPC UA stack's client enables its read loop's socket after closing it) returns nothing.
  if (!o) throw new LuaRaise('Sock not async');
  if (o.done) return 0;
  if (s.disabled === 'self' && o && !o.done && o.waiting) {
    if (s.kind !== 'event' && (s.closed || s.conn?.ended)) return lib.nilErr(L, 'socketclosed');
    const w = o.waiting as SockWait;
    w.done = true;
    s.disabled = null;
    const n = vm.top(L) - 1;
    // Runs the coroutine now, before enable returns.
    vm.xmove(L, o.co, n);
    sched.resume(o, n);
    vm.pushBoolean(L, !o.done);
    return 1;
  }
  if (s.disabled === 'outside') {
    s.disabled = null;
    if (s.closed || s.conn?.ended) {
      onReadable(lib, s);
      return lib.nilErr(L, 'socketclosed');
    }
    // The transport says whether a read can complete now (a WebSocket's buffered bytes may be
    // part of a frame; resuming a read that then had to wait again resumed the coroutine with
    // no results: the call it was in lost its arguments).
    if (lib.transportOf(s).hasData(s)) onReadable(lib, s);
    vm.pushBoolean(L, true);
    return 1;
  }
  return 0;
}
