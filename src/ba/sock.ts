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
  /** UDP: the read asked for the sender's address (default on the prototype, as Wait's fields). */
  declare recvfrom: boolean;
  static {
    SockWait.prototype.recvfrom = false;
  }
  /** Makes a wait that completed and resumed its task (see `LSock.spareWait`) new again. */
  renew(): void {
    this.done = false;
    if (this.recvfrom) this.recvfrom = false;
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

/**
 * A Lua socket object. Fields most sockets never change (a listener's, a client's, a
 * transport's, the settings of `setoption`) have their defaults on the prototype, declared
 * with `declare`: an own copy exists only on the sockets that set one, and an idle accepted
 * connection does not carry a dozen fields it never uses (8 bytes each).
 */
export class LSock {
  conn: TcpConn | null = null;
  declare server: NetServer | null;
  /** Accepted connections not yet taken (listen sockets); NO_PENDING until the first. */
  declare pending: NetSocket[];
  owner: Task | null = null;
  sMode = false;
  closed = false;
  /** Dead-socket protocol: reads after close. 1 = next read fails once more, 2 = raise. */
  declare dead: number;
  /** The object has (or had) a network socket: connect/bind inside its coroutine refused. */
  hadNet = false;
  /**
   * A cosocket's TCP connection closed by `close()`: a later `ba.socket.connect` in its
   * coroutine connects this object again (BAS allows it; a failed connect does not).
   */
  declare reconnectable: boolean;
  declare queueLimit: number;
  declare maxSize: number;
  declare disabled: null | 'self' | 'outside';
  /** The coroutine waiting in read/accept/connect/disable on this socket. */
  reader: SockWait | null = null;
  /**
   * A read wait that completed without a timer or closure and resumed its task at once
   * (`onReadable`): nothing else refers to it, so the task's next read on this socket takes
   * it again instead of a new one (one object less per message).
   */
  spareWait: SockWait | null = null;
  /** Host given to connect (expected certificate name). */
  declare host: string;
  /** What tostring calls the object ("Pipe" for ba.pipe) and its state without a coroutine. */
  declare label: string;
  declare idleState: string;
  /**
   * What this socket's transport keeps for it (the UDP socket, the WebSocket frame state);
   * null for TCP. A socket without it uses the TCP transport (transport.ts).
   */
  declare transportState: unknown;
  /** A listener's settings for the connections it accepts. */
  declare acceptOpts: AcceptOpts | null;
  /** Run by close before the connection closes (a TLS upgrade still shaking hands owns the socket). */
  declare closeHook: ((s: LSock) => void) | null;

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

  static {
    const p = LSock.prototype;
    p.server = null;
    p.pending = NO_PENDING;
    p.dead = 0;
    p.reconnectable = false;
    p.queueLimit = 16384;
    p.maxSize = 8192;
    p.host = '';
    p.label = 'Sock';
    p.idleState = 'notcon';
    p.transportState = null;
    p.acceptOpts = null;
    p.closeHook = null;
    p.disabled = null;
  }
}
