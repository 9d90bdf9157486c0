/**
 * How the socket methods reach each kind of socket. `sock:read`, `sock:write`, `sock:sendto`,
 * `sock:setoption`, the addresses and closing call the `Transport` of the socket's kind, taken
 * from one table (`SocketCore.transports`, filled by the TCP, UDP and WebSocket modules):
 *
 *   kind     | transport                  | bytes move in
 *   tcp      | TcpTransport  (socket-tcp.ts) | net/tcp-conn.ts (a TLS connection too: node:tls under the same TcpConn)
 *   listen   | TcpTransport                  | net/tcp-listen.ts (accept is socket-connect.ts)
 *   event    | TcpTransport                  | (none: a cosocket without a network socket)
 *   udp      | UdpTransport  (udp.ts)        | net/udp-socket.ts
 *   ws       | WsTransport   (websocket.ts)  | net/tcp-conn.ts and the frame codec in ws/
 *
 * A transport is one object per kind and runtime; what one socket needs (the UDP socket, the
 * WebSocket frame state) is the socket's `transportState`. A socket without one -- any TCP
 * socket, and an object whose connection `sock:event` moved to a new object -- uses TCP's.
 */
import type { LState } from '../vm/lua-vm.js';
import type { LSock, SockKind } from './sock.js';

export interface Transport {
  /**
   * `sock:read`: pushes the result of a read that can complete now (data, the peer's end, an
   * error) and returns how many values; -1 when the read has to wait for input. `recvfrom`:
   * the caller asked for the sender's address (UDP).
   */
  read(s: LSock, L: LState, recvfrom: boolean): number;
  /** Input is waiting that a read would return (checked by `sock:enable` after an outside `disable`). */
  hasData(s: LSock): boolean;
  /** `sock:write` of `data` (already cut to the i/j range; may be a view into WASM memory). */
  write(s: LSock, L: LState, data: Uint8Array, isText: boolean): number;
  /**
   * The fast path of `sock:write(str [, isText])` with the string at stack index 2: sends it
   * straight from WASM memory when it can complete at once; -1 = not here, `write` runs.
   * `top`, `p`, `n`: the stack size and the string's address and length when the caller
   * already has them (`HostArgs`), else -1.
   */
  writeString(s: LSock, L: LState, isText: boolean, top: number, p: number, n: number): number;
  /** `sock:sendto(data, host, port)`. */
  sendto(s: LSock, L: LState): number;
  /** `sock:setoption(name, value, ...)`; `on` is the value as a boolean. */
  setoption(s: LSock, L: LState, name: string, on: boolean): number;
  /** [ip, port, isIPv6] of the local (peer=false) or remote side of an open socket, or null. */
  addr(s: LSock, peer: boolean): [string, number, boolean] | null;
  /** The socket is being closed (a WebSocket sends its close frame, UDP closes its socket). */
  close(s: LSock): void;
  /** The socket's network side and `transportState` moved to `s` (`sock:event` from the own coroutine). */
  rebind(s: LSock): void;
}

/** The transport table: one entry for every socket kind. */
export type TransportTable = Record<SockKind, Transport>;

export { SOCK_KINDS } from './sock.js';
