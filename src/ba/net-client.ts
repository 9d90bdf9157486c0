/**
 * The net IO's HTTP requests (`ba.openio"net"`: io:open, io:stat, io:loadfile of http(s)
 * URLs) on the one HTTP client of the runtime: the connection is opened as httpc opens its
 * own (`dialClient`: proxy, SOCKS5, interface, IPv6), TLS with the `shark` context given to
 * io:netconf, and the response is read by the client engine (src/http/client-exchange.ts).
 *
 * As BAS's net IO: an HTTP proxy is reached with a CONNECT tunnel (as for every client
 * request), an https URL without a `shark` context fails with "sslnotenabled" and the server's
 * certificate is not checked (the context's CA list only matters to scripts that ask, as for
 * ba.socket). Errors are IoErrors whose code and message are BAS's error name
 * ("cannotconnect", "proxyauth", "unknown" for a proxy's refusal, ...).
 */
import { IoError, type FetchResult } from '../fs/fs-op.js';
import type { NetConf } from '../fs/io-source.js';
import { TcpConn } from '../net/tcp-conn.js';
import { connectTls } from '../net/tls-socket.js';
import type { TlsContextDef } from '../net/tls-context.js';
import { fieldValues, newExchange, parseHead, pumpBody, takeBody } from '../http/client-exchange.js';
import { parseClientUrl, requestHead } from '../http/client-request.js';
import { dialClient, type DialDeps } from './httpc-conn.js';
import { layerError, type BaError } from './errors.js';
import { resolveHost } from '../net/resolve.js';
import type { NetSocket } from '../net/tcp-dial.js';

/** The net IO's settings: io:netconf's, with the TLS context it was given. */
export interface NetSettings extends NetConf {
  shark?: TlsContextDef;
}

/** Connect (proxy handshakes and TLS included) limit. */
const CONNECT_TIMEOUT = 10_000;
/** Limit on a response that stops arriving. */
const READ_TIMEOUT = 30_000;
/** Redirects followed before giving up (as a browser does, with a limit). */
const MAX_REDIRECTS = 5;
/** BAS's net IO names itself so. */
const USER_AGENT = 'NetIO 1.1 (Mozilla compatible)';

/** Name resolution as ba.socket's (IP literals at once, `localhost` without the resolver). */
const resolve: DialDeps['resolve'] = (host, ipv6, cb) => resolveHost(host, ipv6, (err, ip) => cb(err === null ? null : layerError(err), ip));

function netError(code: string): IoError {
  return new IoError(code, code);
}

/** One request: GET or HEAD of `url` with the settings; redirects followed. */
export function netRequest(
  url: string,
  method: 'GET' | 'HEAD',
  s: NetSettings,
  headers: Array<[string, string]>,
  cb: (err: unknown, r?: FetchResult) => void,
  redirects = 0,
): void {
  const u = parseClientUrl(url);
  if (!u || (u.scheme !== 'http' && u.scheme !== 'https')) return queueMicrotask(() => cb(new IoError('invalidname', 'Not an http:// or https:// URL')));
  if (u.secure && !s.shark) return queueMicrotask(() => cb(netError('sslnotenabled')));
  const shark = s.shark;
  let settled = false;
  let conn: TcpConn | null = null;
  const end = (err: unknown, r?: FetchResult): void => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    cancel();
    conn?.destroy();
    cb(err, r);
  };
  let timer = setTimeout(() => end(netError('timeout')), CONNECT_TIMEOUT);
  const deps: DialDeps = {
    resolve,
    tls: (so, host, done) => {
      connectTls(so, shark!, { host, port: u.port }, done);
    },
    trusted: false,
  };
  const opts = {
    ipv6: s.ipv6 === true,
    socks: s.socks === true,
    proxycon: false,
    proxyport: s.proxyport ?? (s.socks ? 1080 : 8080),
    ...(s.intf !== undefined ? { intf: s.intf } : {}),
    ...(s.proxy !== undefined ? { proxy: s.proxy } : {}),
    ...(s.proxyuser !== undefined ? { proxyuser: s.proxyuser, proxypass: s.proxypass ?? '' } : {}),
  };
  let cancel = (): void => {};
  const connected = (err: BaError | null, so?: NetSocket): void => {
    if (settled) return;
    if (err || !so) {
      // A proxy's refusal comes with its connection, of no use here.
      so?.destroy();
      return end(netError(err ?? 'cannotconnect'));
    }
    so.removeAllListeners('error');
    const c = new TcpConn(so);
    conn = c;
    so.resume();
    const ex = newExchange(u, method);
    const fields: Array<[string, string]> = [['Host', u.hostHeader], ['User-Agent', USER_AGENT], ...headers, ['Connection', 'close']];
    c.write(Buffer.from(requestHead({ method, target: u.path, fields }), 'latin1'));
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => end(netError('timeout')), READ_TIMEOUT);
    };
    arm();
    const step = (): void => {
      if (settled) return;
      const h = parseHead(c, ex);
      if (h === false) return;
      if (h !== true) return end(netError(h === 'unknown' ? 'ioerror' : h));
      const perr = pumpBody(c, ex);
      if (perr) return end(netError(perr === 'unknown' ? 'ioerror' : perr));
      if (!ex.bodyDone) return arm();
      const head = ex.head!;
      const location = fieldValues(head, 'location')[0];
      if ([301, 302, 303, 307, 308].includes(head.status) && location !== undefined && redirects < MAX_REDIRECTS) {
        let next: string;
        try {
          next = new URL(location, url).href;
        } catch {
          next = '';
        }
        if (next !== '') {
          settled = true;
          clearTimeout(timer);
          c.destroy();
          // Credentials go to the same origin only.
          const same = new URL(next).origin === new URL(url).origin;
          return netRequest(next, method, s, same ? headers : [], cb, redirects + 1);
        }
      }
      const body = method === 'HEAD' ? Buffer.alloc(0) : takeBody(ex, Infinity);
      end(null, { status: head.status, header: (name) => fieldValues(head, name)[0], body });
    };
    c.onReadable = step;
    step();
  };
  try {
    cancel = dialClient(opts, u, deps, connected);
  } catch {
    end(netError('cannotconnect'));
  }
}
