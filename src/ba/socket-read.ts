/**
 * `sock:read` for every socket object, and the read events of a TCP connection. A read
 * returns data that is already buffered without yielding; otherwise it registers the socket's
 * reader and suspends, and the readable event completes the wait (sched/waiter.ts). What a
 * read returns comes from the socket's transport (transport.ts): `TcpTransport.read` is
 * `tcpReadNow` below; UDP and WebSocket sockets answer in udp.ts and websocket.ts.
 */
import { clampTimeout } from './args.js';
import type { NetSocket } from '../net/tcp-dial.js';
import { TcpConn } from '../net/tcp-conn.js';
import { LuaRaise } from '../vm/lua-error.js';
import { T_BOOLEAN, T_NUMBER, type LState } from '../vm/lua-vm.js';
import type { SocketCore } from './socket-core.js';
import type { LSock, SockWait } from './sock.js';

/** Gives `s` a connection and wires its read events. */
export function attachConn(lib: SocketCore, s: LSock, so: NetSocket): void {
  // Writes leave in batches, one per Lua run; Nagle's algorithm would only add delayed-ACK
  // stalls between them (setoption("tcp-nodelay", false) turns it back on).
  so.setNoDelay(true);
  const conn = new TcpConn(so);
  conn.readDirect();
  s.conn = conn;
  listenReadable(lib, s);
}

/** One read-event function per library, the socket passed as its argument (no closure per connection). */
const readableFns = new WeakMap<SocketCore, (s: unknown) => void>();

/** Routes the read events of s's connection to `onReadable`. */
export function listenReadable(lib: SocketCore, s: LSock): void {
  const conn = s.conn;
  if (!conn) return;
  let fn = readableFns.get(lib);
  if (!fn) readableFns.set(lib, (fn = (x) => onReadable(lib, x as LSock)));
  conn.onReadable = fn;
  conn.readableArg = s;
}

/** Data, EOF or error arrived on s's connection. */
export function onReadable(lib: SocketCore, s: LSock): void {
  const r = s.reader;
  if (!r || r.state !== 'read' || s.disabled === 'outside') return;
  const sched = lib.ctx.sched;
  if (sched.current || r.done || r.timer) {
    r.complete((L) => readNow(lib, s, L, r.recvfrom));
    return;
  }
  // complete() without its closures: the path of every message a cosocket waits for.
  if (r.settle()) {
    s.spareWait = r;
    sched.resume(r.task, readNow(lib, s, r.task.co, r.recvfrom));
    if (s.spareWait === r) s.spareWait = null; // not taken by a read in this run
  }
}

/**
 * Pushes the result of a read that can complete now (data or the peer's end);
 * returns -1 when it would have to wait.
 */
export function readNow(lib: SocketCore, s: LSock, L: LState, recvfrom = false): number {
  return lib.transportOf(s).read(s, L, recvfrom);
}

/** `readNow` of a TCP connection: the bytes buffered (at most maxsize), or its end. */
export function tcpReadNow(lib: SocketCore, s: LSock, L: LState): number {
  const conn = s.conn;
  if (!conn) return lib.nilErr(L, 'socketreadfailed');
  if (s.closed) return deadRead(lib, L, s);
  lib.sinkL = L;
  if (conn.readInto(s.maxSize, lib.pushSink) > 0) return 1;
  if (conn.ended) {
    const err = lib.tlsEndReason?.(conn) ?? (conn.ended === 'closenotify' ? 'sslclosenotify' : 'socketreadfailed');
    lib.markDead(s);
    return lib.nilErr(L, err);
  }
  return -1;
}

/** Reads on a closed socket: once more nil,"socketreadfailed", then raise. */
export function deadRead(lib: SocketCore, L: LState, s: LSock): number {
  if (s.dead < 2) {
    s.dead = 2;
    return lib.nilErr(L, 'socketreadfailed');
  }
  throw new LuaRaise('Invalid op: : Socket closed');
}

export function read(lib: SocketCore, L: LState): number {
  const { vm } = lib.ctx;
  // remora's VM: the socket and the second argument's type in one call.
  const a = vm.args;
  const fast = a.read(L);
  const s = (fast ? lib.sockAtBlock(a.udata) : null) ?? lib.checkSock(L, 1, 'read');
  if (s.kind === 'listen') throw new LuaRaise('Invalid op:  on listen socket');
  const cur = lib.current;
  if (s.owner && !s.owner.done && s.owner !== cur) throw new LuaRaise('Invalid op:  when socket is in cosocket mode');
  let ms: number | null = null;
  let recvfrom = false;
  const t2 = fast ? a.type(2) : vm.type(L, 2);
  if (t2 === T_NUMBER) {
    ms = vm.toNumber(L, 2)!;
    if (Number.isNaN(ms)) lib.ctx.args.argError(2, 'read', 'timeout is NaN');
    if (vm.type(L, 3) === T_BOOLEAN) recvfrom = vm.toBoolean(L, 3);
  } else if (t2 === T_BOOLEAN) recvfrom = vm.toBoolean(L, 2);
  if (s.kind === 'event' && !s.closed) {
    // A socket-less cosocket: read(ms) sleeps; read() acts as on a closed socket.
    if (ms === null) return deadRead(lib, L, s);
    const w = lib.newWait('read', s, 'read');
    w.timer = setTimeout(() => w.complete((L) => lib.nilErr(L, 'timeout')), clampTimeout(ms));
    return lib.waitOn(L, s, w, 'read');
  }
  if (s.closed) return deadRead(lib, L, s);
  if (s.disabled !== 'outside') {
    const n = readNow(lib, s, L, recvfrom);
    if (n >= 0) return n;
  }
  if (s.reader) throw new LuaRaise('Invalid op: another coroutine is already reading this socket');
  let w = s.spareWait;
  if (w !== null && w.task === cur) {
    s.spareWait = null;
    w.renew();
  } else w = lib.newWait('read', s, 'read') as SockWait;
  if (recvfrom) w.recvfrom = true;
  if (ms !== null) {
    w.timer = setTimeout(() => w.complete((L) => lib.nilErr(L, 'timeout')), clampTimeout(ms));
  }
  return lib.waitOn(L, s, w, 'read');
}
