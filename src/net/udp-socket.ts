/**
 * A UDP socket without Lua (node:dgram): bind/connect as one-shot callbacks, a receive queue
 * read one datagram at a time, send accounting for flow control, and socket options.
 *
 * Receive side: dgram has no back-pressure, so datagrams that arrive while nobody reads are
 * queued up to `maxQueuedBytes` and dropped beyond it, as a full kernel receive buffer would.
 * Send side: `sendQueueSize` is libuv's count of bytes not yet handed to the kernel; drain
 * waiters are told when it reaches zero.
 */
import dgram from 'node:dgram';
import dns from 'node:dns';
import net from 'node:net';
import { constants as osConstants } from 'node:os';

/**
 * dgram resolves every address, IP literals included, with dns.lookup, which answers on a
 * later tick. Answering literals at once makes bind() and connect() take effect inside the
 * call (the OS calls are synchronous), so udpcon completes without waiting, as in BAS.
 */
function literalLookup(host: string, opts: unknown, cb?: unknown): void {
  const done = (typeof opts === 'function' ? opts : cb) as (err: Error | null, address: string, family: number) => void;
  const family = net.isIP(host);
  if (family !== 0) return done(null, host, family);
  dns.lookup(host, typeof opts === 'object' && opts !== null ? (opts as dns.LookupOneOptions) : {}, (err, a, f) => done(err, a, f));
}

export interface Datagram {
  data: Buffer;
  address: string;
  port: number;
  ipv6: boolean;
}

export interface AddressInfo {
  address: string;
  port: number;
  ipv6: boolean;
}

/** An error of a socket call as the OS reports it: strerror text and errno. */
export interface OsError {
  message: string;
  errno: number;
}

/** strerror(3) texts for the errors UDP socket calls produce on Linux. */
const STRERROR: Record<string, string> = {
  EACCES: 'Permission denied',
  EADDRINUSE: 'Address already in use',
  EADDRNOTAVAIL: 'Cannot assign requested address',
  EAFNOSUPPORT: 'Address family not supported by protocol',
  EBADF: 'Bad file descriptor',
  ECONNREFUSED: 'Connection refused',
  EHOSTUNREACH: 'No route to host',
  EINVAL: 'Invalid argument',
  EMSGSIZE: 'Message too long',
  ENETUNREACH: 'Network is unreachable',
  ENODEV: 'No such device',
  ENOBUFS: 'No buffer space available',
  ENOPROTOOPT: 'Protocol not available',
  EPERM: 'Operation not permitted',
};

/** Converts a Node system error to strerror text and a positive errno. */
export function osError(e: unknown): OsError {
  const err = e as NodeJS.ErrnoException;
  const code = err?.code ?? '';
  const errno = (osConstants.errno as Record<string, number>)[code] ?? Math.abs(typeof err?.errno === 'number' ? err.errno : 0);
  return { message: STRERROR[code] ?? (code || String(err?.message ?? e)), errno };
}

export class UdpSocket {
  readonly sock: dgram.Socket;
  private queue: Datagram[] = [];
  private head = 0;
  /** Bytes of received datagrams not yet read. */
  queuedBytes = 0;
  /** Datagrams dropped because the receive queue was full. */
  dropped = 0;
  /** A receive-side error (ICMP unreachable on a connected socket): the next read fails. */
  error: Error | null = null;
  closed = false;
  bound = false;
  connected = false;
  /** Called when a datagram or an error arrives. */
  onReadable: (() => void) | null = null;
  private drainWaiters: Array<(ok: boolean) => void> = [];
  /** Sends whose callback has not run yet (node:dgram may still hold them, e.g. in a lookup). */
  private inflight = 0;

  constructor(
    readonly ipv6: boolean,
    readonly maxQueuedBytes = 1024 * 1024,
  ) {
    this.sock = dgram.createSocket({ type: ipv6 ? 'udp6' : 'udp4', lookup: literalLookup as unknown as typeof dns.lookup });
    this.sock.on('message', (data, rinfo) => this.onMessage(data, rinfo));
    this.sock.on('error', (e) => {
      // Only errors after bind/connect get here (those report through their callbacks).
      if (!this.bound) return;
      this.error = e;
      this.onReadable?.();
    });
  }

  private onMessage(data: Buffer, rinfo: dgram.RemoteInfo): void {
    if (this.closed) return;
    if (this.queuedBytes + data.length > this.maxQueuedBytes && this.queue.length > this.head) {
      this.dropped++;
      return;
    }
    this.queue.push({ data, address: rinfo.address, port: rinfo.port, ipv6: rinfo.family === 'IPv6' });
    this.queuedBytes += data.length;
    this.onReadable?.();
  }

  /** Binds to `address:port` (port 0: any free port); `cb(err)` once done. */
  bind(port: number, address: string, cb: (err: Error | null) => void): void {
    let settled = false;
    const onError = (e: Error): void => {
      if (settled) return;
      settled = true;
      cb(e);
    };
    this.sock.once('error', onError);
    try {
      this.sock.bind({ port, address, exclusive: true }, () => {
        this.sock.removeListener('error', onError);
        if (settled) return;
        settled = true;
        this.bound = true;
        cb(null);
      });
    } catch (e) {
      this.sock.removeListener('error', onError);
      settled = true;
      cb(e as Error);
    }
  }

  /**
   * Connects to `address:port` (after bind); `cb(err)` once done -- inside this call for an IP
   * literal (the OS connect is synchronous; dgram only reports it a tick later).
   */
  connect(port: number, address: string, cb: (err: Error | null) => void): void {
    let reported = false;
    try {
      this.sock.connect(port, address, (err?: Error) => {
        if (reported) return;
        reported = true;
        if (!err) this.connected = true;
        cb(err ?? null);
      });
    } catch (e) {
      reported = true;
      cb(e as Error);
      return;
    }
    if (!reported && net.isIP(address) !== 0) {
      try {
        this.sock.remoteAddress();
      } catch {
        return; // not connected yet: the callback reports it
      }
      reported = true;
      this.connected = true;
      cb(null);
    }
  }

  /**
   * Binding deferred until first use (`udpcon()` without a port binds nothing, as in BAS):
   * `ensureBound` binds to any free port on `address` when the socket is first used.
   */
  lazyAddress: string | null = null;

  /** Binds a deferred socket now (synchronously). Throws the OS error. */
  ensureBound(): void {
    if (this.bound || this.closed || this.lazyAddress === null) return;
    let error: Error | null = null;
    this.bind(0, this.lazyAddress, (err) => {
      error = err;
    });
    this.lazyAddress = null;
    if (error) throw error;
  }

  /**
   * Sends to a destination other than the connected peer, as Linux allows on a connected UDP
   * socket: node:dgram refuses an address there, so the socket is disconnected for the call
   * and connected again (both synchronous; the local port stays the same).
   */
  sendAside(data: Buffer, port: number, address: string, cb?: (err: Error | null) => void): void {
    const peer = this.remoteAddress();
    if (!peer) return this.send(data, port, address, cb);
    try {
      this.sock.disconnect();
    } catch (e) {
      queueMicrotask(() => cb?.(e as Error));
      return;
    }
    this.connected = false;
    this.send(data, port, address, cb);
    this.connect(peer.port, peer.address, () => {});
  }

  /** The oldest unread datagram, or null. */
  read(): Datagram | null {
    if (this.head >= this.queue.length) return null;
    const d = this.queue[this.head]!;
    this.queue[this.head++] = undefined as unknown as Datagram;
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    this.queuedBytes -= d.data.length;
    return d;
  }

  get available(): number {
    return this.queue.length - this.head;
  }

  /** Bytes handed to `send` that libuv has not yet given to the kernel. */
  get sendQueueSize(): number {
    if (this.closed) return 0;
    try {
      return this.sock.getSendQueueSize();
    } catch {
      return 0;
    }
  }

  /**
   * Sends one datagram (to the connected peer when `port` is undefined). `cb(err)` runs once
   * the kernel has it, or with the error.
   */
  send(data: Buffer, port: number | undefined, address: string | undefined, cb?: (err: Error | null) => void): void {
    this.inflight++;
    const done = (err: Error | null): void => {
      if (--this.inflight === 0 && this.closed) this.release();
      cb?.(err);
      if (this.drainWaiters.length && this.sendQueueSize === 0) this.notifyDrain(true);
    };
    try {
      if (port === undefined) this.sock.send(data, (err) => done(err ?? null));
      else this.sock.send(data, port, address, (err) => done(err ?? null));
    } catch (e) {
      queueMicrotask(() => done(e as Error));
    }
  }

  /** Calls `cb(true)` once nothing is waiting to be sent, `cb(false)` if the socket closes. */
  whenDrained(cb: (ok: boolean) => void): void {
    if (this.closed) cb(false);
    else if (this.sendQueueSize === 0) cb(true);
    else this.drainWaiters.push(cb);
  }

  removeDrainWaiter(cb: (ok: boolean) => void): void {
    const i = this.drainWaiters.indexOf(cb);
    if (i >= 0) this.drainWaiters.splice(i, 1);
  }

  private notifyDrain(ok: boolean): void {
    for (const w of this.drainWaiters.splice(0)) w(ok);
  }

  /** SO_BROADCAST; throws the OS error. */
  setBroadcast(on: boolean): void {
    this.sock.setBroadcast(on);
  }

  /** Joins (on) or leaves a multicast group; throws the OS error. */
  membership(on: boolean, group: string, intf?: string): void {
    if (on) this.sock.addMembership(group, intf);
    else this.sock.dropMembership(group, intf);
  }

  localAddress(): AddressInfo | null {
    if (this.closed) return null;
    if (!this.bound && this.lazyAddress !== null) return { address: this.lazyAddress, port: 0, ipv6: this.ipv6 };
    if (!this.bound) return null;
    try {
      const a = this.sock.address();
      return { address: a.address, port: a.port, ipv6: a.family === 'IPv6' };
    } catch {
      return null;
    }
  }

  remoteAddress(): AddressInfo | null {
    if (this.closed || !this.connected) return null;
    try {
      const a = this.sock.remoteAddress();
      return { address: a.address, port: a.port, ipv6: a.family === 'IPv6' };
    } catch {
      return null;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.onReadable = null;
    this.queue = [];
    this.head = 0;
    this.queuedBytes = 0;
    this.notifyDrain(false);
    // A datagram `send` accepted counts as sent (BAS reports it as not queued):
    // node:dgram may still hold it for an address lookup, so the handle closes after it.
    if (this.inflight === 0) this.release();
  }

  private release(): void {
    try {
      this.sock.close();
    } catch {
      // already closed
    }
  }
}
