/**
 * Outgoing TCP connections for sockets, and the Node socket types the layers above name
 * without importing node:net themselves.
 */
import net from 'node:net';

export type { Socket as NetSocket, Server as NetServer } from 'node:net';
export type { TLSSocket } from 'node:tls';

/**
 * Starts a TCP connection to ip:port, from `localAddress` when given. Half-open connections
 * are allowed: BAS sockets can still read after they shut down their sending side, and the
 * other way round. The caller listens for 'connect' and 'error'.
 */
export function dialTcp(ip: string, port: number, localAddress?: string): net.Socket {
  const o: net.TcpNetConnectOpts = { host: ip, port, allowHalfOpen: true };
  if (localAddress) o.localAddress = localAddress;
  return net.connect(o);
}
