/**
 * A Lua socket object of `ba.socket` (TCP, listening, UDP, WebSocket, or event-only) and one
 * wait of a coroutine on it. The Lua face is in socket.ts and its socket-*.ts siblings.
 */
import type { NetServer, NetSocket } from '../net/tcp-dial.js';
import type { TcpConn } from '../net/tcp-conn.js';
import type { LState } from '../vm/lua-vm.js';
import type { Task } from '../sched/scheduler.js';
import { Wait } from '../sched/waiter.js';

export type SockKind = 'event' | 'tcp' | 'listen' | 'udp' | 'ws';

/**
 * Per-socket hooks through which UDP (udp.ts), TLS (tls.ts) and WebSocket (websocket.ts)
 * sockets change the TCP behaviour of this file. Each is optional; absent = TCP.
 */
export interface SockExt {
  /**
   * `sock:read` on this kind (UDP: udp.ts, WebSocket: websocket.ts): pushes one read result
   * onto L if one is available now; returns the count, or -1 to wait.
   */
  read?(L: LState, recvfrom: boolean): number;
  /** A read timeout fired: push its results. */
  onTimeout?(L: LState): number;
  /** Input is waiting that a read would return (after an outside `disable`). */
  hasData?(): boolean;
  write?(L: LState, data: Uint8Array, isText: boolean): number;
  /**
   * Fast path of `write` for one string at stack index 2 (no range): sends it straight from
   * WASM memory when it can complete at once; -1 = not here, use `write`.
   */
  writeString?(L: LState, isText: boolean): number;
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
  tlsAccept?(so: NetSocket): NetSocket;
  /** Accepted TLS socket whose handshake is lazy. */
  tlsServer?: boolean;
  /** Protocol state of the plug-in (UDP socket, WebSocket state, ...). */
  [key: string]: unknown;
}

/** A wait of a coroutine on a socket: completing it frees the socket's reader slot. */
export class SockWait extends Wait {
  /** UDP: the read asked for the sender's address. */
  recvfrom = false;
  constructor(
    state: string,
    task: Task,
    readonly sock: LSock | null,
  ) {
    super(state, task);
  }
  protected override detach(): void {
    if (this.sock && this.sock.reader === this) this.sock.reader = null;
  }
}

/** The shared empty `pending` list of sockets that never had one (never pushed to). */
export const NO_PENDING: NetSocket[] = [];

/** ba.socket.stat(): sockets created, and sockets not yet closed. */
export const sockCount = { total: 0, active: 0 };

export class LSock {
  /** Userdata address (for tostring) once pushed. */
  ptr = 0;
  /**
   * Registry ref that keeps the object alive while its cosocket runs: the coroutine need not
   * hold it (`ba.socket.event(function() ... end)` drops its argument), and collecting it
   * would close the socket under a pending connect or read.
   */
  anchorRef = 0;
  conn: TcpConn | null = null;
  server: NetServer | null = null;
  /** Accepted connections not yet taken (listen sockets); NO_PENDING until the first. */
  pending: NetSocket[] = NO_PENDING;
  owner: Task | null = null;
  sMode = false;
  closed = false;
  /** Dead-socket protocol: reads after close. 1 = next read fails once more, 2 = raise. */
  dead = 0;
  /** The object has (or had) a network socket: connect/bind inside its coroutine refused. */
  hadNet = false;
  /**
   * A cosocket's TCP connection closed by `close()`: a later `ba.socket.connect` in its
   * coroutine connects this object again (BAS allows it; a failed connect does not).
   */
  reconnectable = false;
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
    sockCount.total++;
    sockCount.active++;
  }

  get hasNet(): boolean {
    return !this.closed && (this.conn !== null || this.server !== null || this.kind === 'udp');
  }
}
