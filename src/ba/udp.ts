/**
 * UDP for `ba.socket`: `ba.socket.udpcon`, and the UDP transport (transport.ts): what the
 * socket methods read, write, sendto, setoption, peername/sockname and close do on a UDP socket.
 *
 * Modes are those of TCP: a blocking socket (any context, only the caller waits [D5]); a
 * cosocket attached with `s:event(fn)`; and a `ba.socket.event` coroutine whose own object
 * `udpcon` converts, which then has "s"-mode (queued) writes.
 */
import type { BaError } from './errors.js';
import { LuaRaise } from '../vm/lua-error.js';
import { T_NUMBER, T_STRING, type LState } from '../vm/lua-vm.js';
import { UdpSocket, osError } from '../net/udp-socket.js';
import { SockWait, type LSock, type SocketLib } from './socket.js';
import { ipVersion, isIPv4, isIPv6 } from '../net/resolve.js';
import { Wait } from '../sched/waiter.js';
import type { BaContext } from './context.js';
import type { Transport } from './transport.js';

/** Above this many queued bytes a cosocket writer waits for the queue to empty. */
const COSOCKET_WRITE_THRESHOLD = 1400;

/** The Lua-side state of one UDP socket object (its `transportState`). */
interface UdpState {
  /** The object that owns the socket (changes when `s:event` moves it). */
  sock: LSock;
  readonly u: UdpSocket;
  /** recvfrom flag of the last `read(..., true)`; kept when that read timed out (a BAS quirk). */
  sticky: boolean;
  /** SO_DONTROUTE as set by the script (node:dgram cannot apply it; see docs/compat.md). */
  dontroute: boolean;
}

export class UdpLib implements Transport {
  constructor(
    readonly ctx: BaContext,
    readonly sockets: SocketLib,
  ) {
    sockets.transports.udp = this;
  }

  // ---- the UDP transport: `s` has a UdpState (SocketCore.transportOf) -----------------------

  read(s: LSock, L: LState, recvfrom: boolean): number {
    return this.readDatagram(s.transportState as UdpState, L, recvfrom);
  }

  hasData(s: LSock): boolean {
    const u = (s.transportState as UdpState).u;
    return u.available > 0 || u.error !== null;
  }

  write(s: LSock, L: LState, data: Uint8Array): number {
    return this.writeDatagram(s.transportState as UdpState, L, data);
  }

  writeString(): number {
    return -1;
  }

  sendto(s: LSock, L: LState): number {
    return this.sendDatagramTo(s.transportState as UdpState, L);
  }

  setoption(s: LSock, L: LState, name: string, on: boolean): number {
    return this.setUdpOption(s.transportState as UdpState, L, name, on);
  }

  addr(s: LSock, peer: boolean): [string, number, boolean] | null {
    const u = (s.transportState as UdpState).u;
    const a = peer ? u.remoteAddress() : u.localAddress();
    return a ? [a.address, a.port, a.ipv6] : null;
  }

  close(s: LSock): void {
    (s.transportState as UdpState).u.close();
  }

  rebind(s: LSock): void {
    (s.transportState as UdpState).sock = s;
  }

  install(L: LState): void {
    this.sockets.addFunction(L, 'udpcon', (L) => this.udpcon(L));
  }

  /**
   * `udpcon(host, port [, opt])` connected (empty host: bind only), `udpcon(port [, opt])`
   * bound, `udpcon([opt])` connectionless. Binding is asynchronous in Node, so the
   * caller always waits for it; inside a `ba.socket.event` coroutine the own object is
   * converted and returned.
   */
  private udpcon(L: LState): number {
    const { vm, args, sched } = this.ctx;
    const sockets = this.sockets;
    const t1 = vm.type(L, 1);
    let host = '';
    let peerPort = 0;
    let localPort = 0;
    let optIdx = 1;
    if (t1 === T_STRING) {
      host = vm.toStr(L, 1)!;
      peerPort = args.checkPort(L, 2, 'udpcon');
      optIdx = 3;
    } else if (t1 === T_NUMBER) {
      localPort = args.checkPort(L, 1, 'udpcon');
      optIdx = 2;
    }
    const opt = sockets.readOpts(L, optIdx, 'udpcon');
    const connect = t1 === T_STRING && host !== '';
    if (t1 === T_STRING) localPort = opt.port ?? (connect ? 0 : peerPort);
    else if (t1 !== T_NUMBER) localPort = opt.port ?? 0;

    // udpcon() / udpcon(opt) without a port or interface: nothing is bound until first use.
    const lazy = t1 !== T_STRING && t1 !== T_NUMBER && !opt.port && opt.intf === undefined;
    const conv = sockets.convertible();
    if (conv === null) return sockets.nilErr(L, 'incorrectuse');
    const task = sched.current;
    if (!task) throw new LuaRaise('udpcon: no coroutine to suspend');
    const sw = conv ? new SockWait('connect', task, conv) : null;
    const w = sw ?? new Wait('connect', task);
    let u: UdpSocket | null = null;
    if (conv) {
      conv.hadNet = true;
      conv.reader = sw;
    }
    w.onAbort = () => {
      if (conv && conv.reader === w) conv.reader = null;
      u?.close();
    };
    // Bind and connect to IP literals complete inside this call (udp-socket.ts): then udpcon
    // returns without suspending, as in BAS; a name to resolve makes the caller wait.
    let synchronous = true;
    let syncResult: ((L: LState) => number) | null = null;
    const finish = (push: (L: LState) => number): void => {
      if (synchronous) {
        w.done = true;
        syncResult = push;
      } else w.complete(push);
    };
    const fail = (err: BaError, text?: string): void => {
      u?.close();
      finish((L) => sockets.nilErr(L, err, text));
    };
    const ready = (): void => {
      const so = u!;
      finish((L) => {
        const s = conv ?? sockets.newSock('udp');
        s.kind = 'udp';
        s.hadNet = true;
        s.host = host;
        // Sockets created by udpcon inside a ba.socket.event coroutine behave as "s" mode.
        if (conv) s.sMode = true;
        this.attach(s, so);
        sockets.pushSock(L, s);
        return 1;
      });
    };
    const start = (ip: string | null): void => {
      if (w.done) return;
      const v6 = opt.ipv6 || (ip !== null && isIPv6(ip)) || (opt.intf !== undefined && isIPv6(opt.intf));
      const so = new UdpSocket(v6);
      u = so;
      if (lazy) {
        // Connectionless without a port: bound on first use (sockname 0.0.0.0:0 until then).
        so.lazyAddress = v6 ? '::' : '0.0.0.0';
        return ready();
      }
      so.bind(localPort, opt.intf ?? (v6 ? '::' : '0.0.0.0'), (err) => {
        // The wait ended meanwhile (the object was closed from outside, or shutdown).
        if (w.done) return so.close();
        if (err) return fail('bind');
        if (ip === null) return ready();
        so.connect(peerPort, v6 && isIPv4(ip) ? `::ffff:${ip}` : ip, (err) => {
          if (w.done) return so.close();
          if (err) fail('cannotconnect');
          else ready();
        });
      });
    };
    if (connect) {
      const ip = sockets.resolve(host, opt.ipv6, (err, ip, text) => {
        if (err) fail(err, text);
        else start(ip);
      });
      if (ip !== null) start(ip);
    } else start(null);
    synchronous = false;
    const now = syncResult as ((L: LState) => number) | null;
    if (now) {
      if (conv && conv.reader === w) conv.reader = null;
      return now(L);
    }
    return sched.suspend(L, w, 'udpcon');
  }

  /** Makes `s` a UDP socket object over `u`. */
  private attach(s: LSock, u: UdpSocket): void {
    const st: UdpState = { sock: s, u, sticky: false, dontroute: false };
    s.transportState = st;
    u.onReadable = () => this.sockets.onReadable(st.sock);
  }

  /**
   * `sock:read` on a UDP socket: one datagram, or -1 to wait. The recvfrom form (`data, ip, port, isIPv6`) is for
   * cosocket reads only; a blocking read ignores the flag.
   */
  private readDatagram(st: UdpState, L: LState, recvfrom: boolean): number {
    const { vm } = this.ctx;
    const s = st.sock;
    if (s.closed) return this.sockets.deadRead(L, s);
    const cosocket = s.owner !== null && !s.owner.done;
    // BAS keeps the flag on the socket until a datagram is returned, so after a timed-out
    // read(ms, true) a plain read() still returns the address values (a BAS quirk).
    if (cosocket && recvfrom) st.sticky = true;
    const d = st.u.read();
    if (!d) {
      if (st.u.error) {
        // An ICMP error on a connected socket: the read fails and closes it (as BAS does).
        this.sockets.closeSock(s);
        return this.sockets.nilErr(L, 'socketreadfailed');
      }
      return -1;
    }
    // A datagram longer than the receive buffer is truncated, as recvfrom does.
    vm.pushBytes(L, d.data.length > s.maxSize ? d.data.subarray(0, s.maxSize) : d.data);
    if (!(cosocket && st.sticky)) return 1;
    st.sticky = false;
    vm.pushString(L, d.address);
    vm.pushInteger(L, d.port);
    vm.pushBoolean(L, d.ipv6);
    return 4;
  }

  /** `write`: connected sockets only; a connectionless socket fails and closes. */
  private writeDatagram(st: UdpState, L: LState, data: Uint8Array): number {
    const s = st.sock;
    if (data.length === 0) {
      this.ctx.vm.pushBoolean(L, false);
      return 1;
    }
    if (s.closed) return this.sockets.nilErr(L, 'socketwritefailed');
    if (!st.u.connected) {
      this.sockets.closeSock(s);
      return this.sockets.nilErr(L, 'socketwritefailed');
    }
    return this.send(st, L, Buffer.from(data), undefined, undefined, true);
  }

  /** `sendto(data, host, port)` → true; bad host → nil, "gethostbyname", resolverText. */
  private sendDatagramTo(st: UdpState, L: LState): number {
    const { vm, args, sched } = this.ctx;
    const sockets = this.sockets;
    let data = this.ctx.dataBytes(L, 2);
    if (!data) {
      if (args.isNoneOrNil(L, 2)) args.typeError(L, 2, 'sendto', 'string');
      vm.toDisplay(L, 2);
      data = vm.toBytes(L, -1) ?? Buffer.alloc(0);
    }
    const buf = Buffer.from(data);
    const host = args.checkString(L, 3, 'sendto');
    // BAS reads the port as a string (a number converts): "53" works, a missing one says so.
    const portText = args.checkString(L, 4, 'sendto');
    const port = Number(portText);
    if (!Number.isInteger(port)) args.argError(4, 'sendto', 'number expected, got string');
    if (port < 0 || port > 65535) args.argError(4, 'sendto', 'port out of range');
    const s = st.sock;
    if (s.closed) return sockets.nilErr(L, 'socketwritefailed');
    const u = st.u;
    try {
      u.ensureBound();
    } catch {
      return sockets.nilErr(L, 'socketwritefailed');
    }
    // A dual-stack IPv6 socket reaches IPv4 peers through mapped addresses.
    const target = (ip: string): string => (u.ipv6 && isIPv4(ip) ? `::ffff:${ip}` : ip);
    const task = sched.current;
    if (!task) throw new LuaRaise('sendto: no coroutine to suspend');
    const w = new Wait('write', task);
    const ip = sockets.resolve(host, u.ipv6, (err, ip, text) => {
      if (w.done) return;
      if (err) {
        w.complete((L) => sockets.nilErr(L, 'gethostbyname', text));
        return;
      }
      if (s.closed) {
        w.complete((L) => sockets.nilErr(L, 'socketwritefailed'));
        return;
      }
      const to = this.destination(u, target(ip), port);
      const cb = (err: Error | null): void => {
        w.complete((L) => {
          if (err) return sockets.nilErr(L, 'socketwritefailed');
          vm.pushBoolean(L, true);
          return 1;
        });
      };
      if (to === false) u.sendAside(buf, port, target(ip), cb);
      else u.send(buf, to?.port, to?.ip, cb);
    });
    if (ip !== null) {
      const to = this.destination(u, target(ip), port);
      if (to === false) return this.send(st, L, buf, port, target(ip), false, true);
      return this.send(st, L, buf, to?.port, to?.ip, false);
    }
    return sched.suspend(L, w, 'sendto');
  }

  /**
   * Where `send` must address a datagram for `ip:port`: null for the connected peer itself
   * (node:dgram refuses an address on a connected socket), false for another destination of
   * a connected socket (sent with UdpSocket.sendAside).
   */
  private destination(u: UdpSocket, ip: string, port: number): { ip: string; port: number } | null | false {
    if (!u.connected) return { ip, port };
    const peer = u.remoteAddress();
    if (peer && peer.port === port && (peer.address === ip || ipVersion(ip) === 0)) return null;
    return false;
  }

  /**
   * Sends one datagram with BAS's write rules: "s" mode queues and returns
   * `true, queued` (`nil, queued` for a non-cosocket writer at the queue limit); otherwise the
   * caller waits until the kernel has the datagram.
   */
  private send(st: UdpState, L: LState, buf: Buffer, port: number | undefined, ip: string | undefined, closeOnError: boolean, aside = false): number {
    const { vm, sched } = this.ctx;
    const sockets = this.sockets;
    const s = st.sock;
    const u = st.u;
    const out = (cb?: (err: Error | null) => void): void => {
      if (aside) u.sendAside(buf, port!, ip!, cb);
      else u.send(buf, port, ip, cb);
    };
    const cur = sched.current;
    if (s.sMode) {
      const before = u.sendQueueSize;
      const cosocketWriter = cur !== null && cur.kind === 'cosocket';
      if (before > 0 && !cosocketWriter && before >= s.queueLimit) {
        vm.pushNil(L);
        vm.pushInteger(L, before);
        return 2;
      }
      // A datagram the kernel refuses later is lost, as UDP datagrams may be (docs/compat.md).
      out();
      const q = u.sendQueueSize;
      if (before > 0 && cosocketWriter && q > COSOCKET_WRITE_THRESHOLD) return this.waitDrain(st, L);
      // BAS returns `true` alone for a datagram (no queued count).
      vm.pushBoolean(L, true);
      return 1;
    }
    // Synchronous: true once the kernel has the datagram.
    if (!cur) throw new LuaRaise('write: no coroutine to suspend');
    const w = new Wait('write', cur);
    out((err) => {
      w.complete((L) => {
        if (!err) {
          vm.pushBoolean(L, true);
          return 1;
        }
        if (closeOnError && !st.sock.closed) sockets.closeSock(st.sock);
        return sockets.nilErr(L, 'socketwritefailed');
      });
    });
    return sched.suspend(L, w, 'write');
  }

  /** A cosocket writer waits until nothing is queued. */
  private waitDrain(st: UdpState, L: LState): number {
    const { vm, sched } = this.ctx;
    const w = new Wait('write', sched.current!);
    const cb = (ok: boolean): void => {
      w.complete((L) => {
        if (!ok) return this.sockets.nilErr(L, 'socketclosed');
        vm.pushBoolean(L, true);
        return 1;
      });
    };
    w.onAbort = () => st.u.removeDrainWaiter(cb);
    st.u.whenDrained(cb);
    return sched.suspend(L, w, 'write');
  }

  /** UDP options: broadcast, dontroute, ip-membership; OS errors → nil, text, errno. */
  private setUdpOption(st: UdpState, L: LState, name: string, on: boolean): number {
    const { vm, args } = this.ctx;
    const sockets = this.sockets;
    if (!['broadcast', 'dontroute', 'ip-membership', 'keepalive', 'tcp-nodelay'].includes(name)) {
      throw new LuaRaise(`Unknown option '${name}'`);
    }
    if (st.sock.closed) return sockets.nilSysErr(L, 'Bad file descriptor', 9);
    try {
      st.u.ensureBound();
      switch (name) {
        case 'broadcast':
          st.u.setBroadcast(on);
          break;
        case 'dontroute':
          st.dontroute = on;
          break;
        case 'ip-membership': {
          const group = args.checkString(L, 4, 'setoption');
          const intf = args.isNoneOrNil(L, 5) ? undefined : args.checkString(L, 5, 'setoption');
          st.u.membership(on, group, intf);
          break;
        }
        case 'tcp-nodelay':
          // setsockopt(IPPROTO_TCP) on a datagram socket: ENOPROTOOPT, as BAS gets it.
          return sockets.nilSysErr(L, 'Protocol not available', 92);
        default:
          // keepalive: SO_KEEPALIVE is accepted by UDP sockets and has no effect.
          break;
      }
    } catch (e) {
      if (e instanceof LuaRaise) throw e;
      const oe = osError(e);
      return sockets.nilSysErr(L, oe.message, oe.errno);
    }
    vm.pushBoolean(L, true);
    return 1;
  }
}

export function installUdp(ctx: BaContext, sockets: SocketLib): UdpLib {
  const lib = new UdpLib(ctx, sockets);
  lib.install(ctx.vm.L);
  return lib;
}
