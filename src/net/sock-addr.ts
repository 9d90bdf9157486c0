/** The address of one side of a connected socket, as Lua sees it (`peername`, `sockname`). */
import type { NetSocket } from './tcp-dial.js';
import { isIPv4, isIPv6 } from './resolve.js';

/** ip, port, isIPv6 of one side of a socket; IPv4-mapped IPv6 addresses are shown as IPv4. */
export function addrOf(so: NetSocket, peer: boolean): [string, number, boolean] | null {
  let ip = peer ? so.remoteAddress : so.localAddress;
  const port = peer ? so.remotePort : so.localPort;
  if (!ip || port === undefined) return null;
  if (ip.startsWith('::ffff:') && isIPv4(ip.slice(7))) ip = ip.slice(7);
  return [ip, port, isIPv6(ip)];
}
