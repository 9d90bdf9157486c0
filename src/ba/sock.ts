/**
 * A Lua socket object of `ba.socket` (TCP, listening, UDP, WebSocket, or event-only) and one
 * wait of a coroutine on it. The Lua face is in socket.ts and its socket-*.ts siblings; each
 * kind's methods are reached through its `Transport` (transport.ts).
 */
import type { NetServer, NetSocket } from '../net/tcp-dial.js';
import type { TcpConn } from '../net/tcp-conn.js';
import type { Task } from '../sched/scheduler.js';
import { Wait } from '../sched/waiter.js';

/** Every kind of socket object; each has an entry in the transport table (transport.ts). */
export const SOCK_KINDS = ['event', 'tcp', 'listen', 'udp', 'ws'] as const;
export type SockKind = (typeof SOCK_KINDS)[number];

/** What a listening socket does with the connections it accepts. */
export interface AcceptOpts {
  /** `setoption("keepalive", ...)` on the listener, passed on to accepted sockets (as Linux does). */
  keepAlive?: boolean;
  /** `setoption("tcp-nodelay", ...)` on the listener, passed on likewise. */
  noDelay?: boolean;
  /** A TLS listener: wraps an accepted plain socket in TLS. */
  tls?: (so: NetSocket) => NetSocket;
}

/** A wait of a coroutine on a socket: completing it frees the socket's reader slot. */
export class SockWait extends Wait {
  /** UDP: the read asked for the sender's address. */
  recvfrom = false;
  /** Makes a wait that completed and resumed its task (see `LSock.spareWait`) new again. */
  renew(): void {
    this.done = false;
    this.recvfrom = false;
  }
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
  /**
   * A read wait that completed without a timer or closure and resumed its task at once
   * (`onReadable`): nothing else refers to it, so the task's next read on this socket takes
   * it again instead of a new one (one object less per message).
   */
  spareWait: SockWait | null = null;
  /** Host given to connect (expected certificate name). */
  host = '';
  /** What tostring calls the object ("Pipe" for ba.pipe) and its state without a coroutine. */
  label = 'Sock';
  idleState = 'notcon';
  /**
   * What this socket's transport keeps for it (the UDP socket, the WebSocket frame state);
   * null for TCP. A socket without it uses the TCP transport (transport.ts).
   */
  transportState: unknown = null;
  /** A listener's settings for the connections it accepts. */
  acceptOpts: AcceptOpts | null = null;
  /** Run by close before the connection closes (a TLS upgrade still shaking hands owns the socket). */
  closeHook: ((s: LSock) => void) | null = null;

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
