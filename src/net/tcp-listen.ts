/** Listening TCP sockets (`ba.socket.bind`): half-open connections allowed, as in BAS. */
import net from 'node:net';

export function createTcpListener(): net.Server {
  return net.createServer({ allowHalfOpen: true });
}
