/**
 * BAS's redirector directory (ba.create.redirector(name, host, port)): a reverse proxy. A
 * request below the directory goes to `host:port` with the path relative to the directory
 * (its query kept), the client's header fields, `Host: <host>` (no port) and
 * `Referer:<host>`, as the Mako Server sends them; the backend's status, header fields and
 * body go back to the client. A backend that cannot be reached answers 503.
 *
 * A request asking for a protocol upgrade (a WebSocket handshake) is passed on with its
 * `Connection`/`Upgrade` fields; when the backend answers 101, the client's connection is
 * taken from the HTTP server and the two sockets are joined both ways until either side
 * closes. (The Mako Server relays the 101 and the backend's frames, but never the client's.)
 */
import http from 'node:http';
import type { Socket } from 'node:net';
import type { HttpExchange } from '../http/http-connection.js';
import type { BodyStream } from '../http/body-stream.js';

export interface ProxyTarget {
  host: string;
  port: number;
}

/** Hop-by-hop fields (RFC 9110 §7.6.1) are not passed on in either direction. */
const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host']);

/** Sends the request body on to the backend: a received-whole one, or the stream as it arrives. */
function pumpBody(ex: HttpExchange, out: http.ClientRequest): void {
  const stream: BodyStream | null = ex.bodyStream;
  if (!stream) {
    out.end(ex.body);
    return;
  }
  const step = (): void => {
    for (;;) {
      const b = stream.read(64 * 1024);
      if (b === undefined) {
        stream.onReadable(step);
        return;
      }
      if (b === null || b instanceof Error) {
        out.end();
        return;
      }
      if (!out.write(b)) {
        out.once('drain', step);
        return;
      }
    }
  };
  step();
}

/** True when the client asks to switch protocols (`Connection: upgrade` and an `Upgrade` field). */
function wantsUpgrade(ex: HttpExchange): string | null {
  const h = ex.head.headers;
  const up = h.get('upgrade');
  if (!up) return null;
  const conn = h.get('connection') ?? '';
  return conn.split(',').some((t) => t.trim().toLowerCase() === 'upgrade') ? up : null;
}

/**
 * The backend switched protocols: relays its 101 head and joins the client's socket (taken
 * from the HTTP server) with the backend's, both ways, until either side closes.
 */
function joinUpgraded(ex: HttpExchange, back: http.IncomingMessage, backSock: Socket, backHead: Buffer): void {
  const taken = ex.takeOver();
  if (!taken) {
    backSock.destroy();
    return;
  }
  const client = taken.socket;
  let head = `HTTP/1.1 ${back.statusCode ?? 101} ${back.statusMessage || 'Switching Protocols'}\r\n`;
  const raw = back.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (/[\r\n]/.test(raw[i]! + raw[i + 1]!)) continue;
    head += `${raw[i]}: ${raw[i + 1]}\r\n`;
  }
  client.write(head + '\r\n', 'latin1');
  if (backHead.length) client.write(backHead);
  if (taken.pending.length) backSock.write(taken.pending);
  const closeBoth = (): void => {
    client.destroy();
    backSock.destroy();
  };
  for (const s of [client, backSock]) {
    s.on('error', closeBoth);
    s.on('close', closeBoth);
  }
  client.pipe(backSock);
  backSock.pipe(client);
  client.resume();
}

/** Proxies one request; resolves once the response has ended (or the exchange was dropped). */
export function proxyRequest(ex: HttpExchange, target: ProxyTarget, relPath: string): Promise<void> {
  const head = ex.head;
  const headers: http.OutgoingHttpHeaders = {};
  for (const [name, value] of head.headers.entries()) {
    if (HOP.has(name.toLowerCase())) continue;
    headers[name] = head.headers.get(name) ?? value;
  }
  headers['Host'] = target.host;
  headers['Referer'] = target.host;
  const upgrade = wantsUpgrade(ex);
  if (upgrade) {
    headers['Connection'] = 'Upgrade';
    headers['Upgrade'] = upgrade;
  }
  const path = '/' + relPath.replace(/^\/+/, '') + (head.query ? `?${head.query}` : '');
  return new Promise<void>((resolve) => {
    let done = false;
    const onClose = (): void => {
      out.destroy();
      finish();
    };
    const finish = (): void => {
      if (done) return;
      done = true;
      ex.socket.off('close', onClose);
      resolve();
    };
    const out = http.request({ host: target.host, port: target.port, method: head.method, path, headers, agent: false }, (back) => {
      const res = ex.response;
      res.setStatus(back.statusCode ?? 502, back.statusMessage || undefined);
      const raw = back.rawHeaders;
      for (let i = 0; i + 1 < raw.length; i += 2) {
        const name = raw[i]!;
        if (HOP.has(name.toLowerCase())) continue;
        try {
          res.addHeader(name, raw[i + 1]!);
        } catch {
          // A field the writer refuses (control characters) is dropped.
        }
      }
      res.streamOnEnd = true;
      back.on('data', (b: Buffer) => {
        res.write(b);
        res.flush();
      });
      back.on('end', () => {
        res.end();
        finish();
      });
      back.on('error', () => {
        ex.socket.destroy();
        finish();
      });
    });
    out.on('upgrade', (back, backSock: Socket, backHead: Buffer) => {
      joinUpgraded(ex, back, backSock, backHead);
      finish();
    });
    out.on('error', () => {
      if (!ex.response.headersSent) ex.response.sendError(503);
      else ex.socket.destroy();
      finish();
    });
    ex.socket.once('close', onClose);
    pumpBody(ex, out);
  });
}
