/**
 * Serves HTTP on a listening net.Server or tls.Server: one HttpConnection per accepted
 * connection, and the bookkeeping shutdown needs. Which port, how many
 * connections (conncnt, via server.maxConnections) and TLS credentials are the caller's.
 */
import type { Server, Socket } from 'node:net';
import { Server as TlsServer } from 'node:tls';
import { HttpConnection, type HttpConnectionOptions, type HttpHandler } from './http-connection.js';

export interface HttpServing {
  /** Connections still speaking HTTP (taken-over ones drop out). */
  readonly connections: ReadonlySet<HttpConnection>;
  /** Closes connections that are between requests. */
  closeIdle(): void;
  /** Closes every HTTP connection now. */
  destroyAll(): void;
  /** Stops handing new connections to HTTP (the listener itself stays open). */
  detach(): void;
}

export function serveHttp(server: Server, handler: HttpHandler, options: HttpConnectionOptions = {}): HttpServing {
  const connections = new Set<HttpConnection>();
  const prune = (): void => {
    for (const c of connections) if (c.closed) connections.delete(c);
  };
  const accept = (socket: Socket): void => {
    prune();
    const conn = new HttpConnection(socket, handler, options);
    connections.add(conn);
    socket.once('close', () => connections.delete(conn));
  };
  // A TLS server reports a connection only once the handshake is done.
  const event = server instanceof TlsServer ? 'secureConnection' : 'connection';
  server.on(event, accept);
  return {
    get connections() {
      prune();
      return connections;
    },
    closeIdle() {
      prune();
      for (const c of connections) if (c.idle) c.destroy();
    },
    destroyAll() {
      prune();
      for (const c of connections) c.destroy();
    },
    detach() {
      server.off(event, accept);
    },
  };
}
