/**
 * The TCP transport (transport.ts): `sock:read`, `sock:write`, `setoption` and the addresses of
 * TCP sockets, TLS connections (node:tls under the same TcpConn), listeners and event-only
 * cosockets; and of every socket without transport state.
 */
import { LuaRaise } from '../vm/lua-error.js';
import { T_BOOLEAN, type LState } from '../vm/lua-vm.js';
import { isIPv6 } from '../net/resolve.js';
import type { SocketCore } from './socket-core.js';
import type { LSock } from './sock.js';
import type { Transport } from './transport.js';
import { tcpReadNow } from './socket-read.js';
import { flushAt, writeBytes } from './socket-write.js';

export class TcpTransport implements Transport {
  constructor(private readonly lib: SocketCore) {}

  read(s: LSock, L: LState): number {
    return tcpReadNow(this.lib, s, L);
  }

  hasData(s: LSock): boolean {
    const c = s.conn;
    return c !== null && (c.buffered > 0 || Boolean(c.ended));
  }

  /**
   * The common cosocket write (one string, empty queue): copied straight from WASM memory into
   * the write batch, as writeBytes would, without a view or result object.
   */
  writeString(s: LSock, L: LState, _isText: boolean, top: number, p: number, n: number): number {
    const { vm } = this.lib.ctx;
    if (!s.sMode || (top < 0 ? vm.top(L) : top) !== 2) return -1;
    const conn = s.conn;
    if (conn !== null && !s.closed && conn.queued === 0 && conn.writable && !conn.ended) {
      if (p < 0) {
        p = vm.strPtr(L, 2);
        n = vm.strLen;
      }
      if (n > 0) {
        conn.writeBatchedFrom(vm.heap(), p, n, flushAt(this.lib));
        vm.pushOk(L, conn.queued);
        return 2;
      }
    }
    return -1;
  }

  write(s: LSock, L: LState, data: Uint8Array): number {
    if (data.length === 0) {
      this.lib.ctx.vm.pushBoolean(L, false);
      return 1;
    }
    return writeBytes(this.lib, L, s, data);
  }

  sendto(): number {
    throw new LuaRaise('Invalid op: Not a DGRAM socket');
  }

  setoption(s: LSock, L: LState, name: string, on: boolean): number {
    const lib = this.lib;
    const { vm, args } = lib.ctx;
    // BAS checks the value before the name: TCP options are booleans.
    if (vm.type(L, 3) !== T_BOOLEAN) args.typeError(L, 3, 'setoption', 'boolean');
    if (name !== 'tcp-nodelay' && name !== 'keepalive') throw new LuaRaise(`Unknown option '${name}'`);
    if (s.server && !s.closed) {
      // Set on a listener, as on Linux, the option is inherited by the sockets it accepts.
      s.acceptOpts ??= {};
      if (name === 'keepalive') s.acceptOpts.keepAlive = on;
      else s.acceptOpts.noDelay = on;
      vm.pushBoolean(L, true);
      return 1;
    }
    const so = s.conn?.sock;
    if (!so || s.closed) return lib.nilSysErr(L, 'Bad file descriptor', 9);
    if (name === 'tcp-nodelay') so.setNoDelay(on);
    else {
      const idle = vm.toInteger(L, 4);
      so.setKeepAlive(on, idle ? idle * 1000 : 0);
    }
    vm.pushBoolean(L, true);
    return 1;
  }

  addr(s: LSock, peer: boolean): [string, number, boolean] | null {
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

  close(): void {}

  rebind(): void {}
}

