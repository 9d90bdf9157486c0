/**
 * TLS connections without Lua: the client side (connect and STARTTLS upgrade) and the server
 * side of an accepted connection, over a connected plain `net.Socket`, plus what the socket
 * socket methods (trusted, certificate, cipher, isresumed) ask about a connection once its handshake is done.
 *
 * The client never rejects a peer certificate during the handshake (`rejectUnauthorized:
 * false`): as with SharkSSL, the script decides with `sock:trusted()`. What it needs for that
 * (the peer chain and OpenSSL's verify result) is captured when the handshake completes, so
 * the methods keep answering after the connection has closed.
 *
 * Accepted connections start their handshake when the ClientHello arrives (node:tls does it
 * on its own, without blocking anything else); the script sees its outcome on the first read.
 */
import net from 'node:net';
import tls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import type { TlsContextDef } from './tls-context.js';
import { tlsErrorString } from './tls-errors.js';
import { sharkCipher, trustOutcome, type TrustOutcome } from './cert-info.js';
import { guardServerHandshake } from './handshake-guard.js';

export interface TlsInfo {
  /** The accepting side of the connection. */
  readonly server: boolean;
  /** The SharkSSL context the connection was made with (null: made elsewhere, e.g. HTTPS). */
  readonly ctx: TlsContextDef | null;
  /** Client session-cache key (host:port). */
  readonly sessionKey: string;
  /** The handshake has completed. */
  secure: boolean;
  /** Peer certificate chain, leaf first (empty: no certificate). */
  chain: X509Certificate[];
  /** OpenSSL's verify result code, null when the chain verified. */
  verifyError: string | null;
  cipher: [string, string] | null;
  resumed: boolean;
}

const infos = new WeakMap<tls.TLSSocket, TlsInfo>();

function newInfo(server: boolean, ctx: TlsContextDef | null, sessionKey: string): TlsInfo {
  return { server, ctx, sessionKey, secure: false, chain: [], verifyError: null, cipher: null, resumed: false };
}

/**
 * TLS state of a socket, or null for a plain one. A TLS socket this module did not make (the
 * HTTPS server's, handed over by req2sock) gets its state on first use.
 */
export function tlsInfo(s: net.Socket): TlsInfo | null {
  if (!(s instanceof tls.TLSSocket)) return null;
  let info = infos.get(s);
  if (!info) {
    info = newInfo(true, null, '');
    infos.set(s, info);
    const p = s.getProtocol();
    if (p && p.startsWith('TLS')) capture(s, info);
  }
  return info;
}

/** The peer chain as node:crypto certificates, leaf first. */
function peerChain(s: tls.TLSSocket): X509Certificate[] {
  const out: X509Certificate[] = [];
  let c: tls.DetailedPeerCertificate | undefined = s.getPeerCertificate(true);
  const seen = new Set<string>();
  while (c && c.raw && !seen.has(c.fingerprint256)) {
    seen.add(c.fingerprint256);
    try {
      out.push(new X509Certificate(c.raw));
    } catch {
      break;
    }
    c = c.issuerCertificate;
  }
  return out;
}

/** OpenSSL's verify result: `tlsSocket.ssl.verifyError()`, else node's authorization fields. */
function verifyErrorOf(s: tls.TLSSocket): string | null {
  const ssl = (s as unknown as { ssl?: { verifyError?: () => (Error & { code?: string }) | null } }).ssl;
  if (ssl && typeof ssl.verifyError === 'function') {
    const e = ssl.verifyError();
    return e ? (e.code ?? e.message) : null;
  }
  return s.authorized ? null : String(s.authorizationError ?? 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
}

/** Records what the socket methods report once the handshake is done. */
function capture(s: tls.TLSSocket, info: TlsInfo): void {
  info.secure = true;
  const c = s.getCipher();
  info.cipher = c ? sharkCipher(c, s.getProtocol()) : null;
  info.resumed = s.isSessionReused();
  info.chain = peerChain(s);
  info.verifyError = info.chain.length ? verifyErrorOf(s) : null;
}

export interface ClientOptions {
  /** Host name given to connect: SNI (unless an IP literal) and the session-cache key. */
  host: string;
  port: number;
  /** ALPN protocol names to offer. */
  alpn?: string[];
}

/**
 * Starts a client handshake over `plain` (ba.socket.connect with `shark`, sock:upgrade).
 * `cb(null, tlsSocket)` once the handshake is done, or `cb(errorString)` after the connection
 * was destroyed. The returned socket may be destroyed by the caller to abandon the attempt.
 */
export function connectTls(plain: net.Socket, ctx: TlsContextDef, o: ClientOptions, cb: (err: string | null, s?: tls.TLSSocket) => void): tls.TLSSocket {
  const key = `${o.host}:${o.port}`;
  const opts: tls.ConnectionOptions = {
    socket: plain,
    secureContext: ctx.secureContext(),
    // RFC 6066 §3: SNI carries host names, never IP literals.
    servername: net.isIP(o.host) ? undefined : o.host,
    rejectUnauthorized: false,
    checkServerIdentity: () => undefined,
  };
  const session = ctx.sessions.get(key);
  if (session) opts.session = session;
  if (o.alpn && o.alpn.length) opts.ALPNProtocols = o.alpn;
  const s = tls.connect(opts);
  const info = newInfo(false, ctx, key);
  infos.set(s, info);
  s.on('session', (sess: Buffer) => ctx.saveSession(key, sess));
  settleHandshake(s, plain, info, 'secureConnect', cb);
  return s;
}

/**
 * Calls `cb` once: with the TLS socket when `done` (its handshake event) fires, else with the
 * error string when it fails or closes first (both sockets are then destroyed). The error
 * listener stays attached: later errors also reach the socket's reader (TcpConn).
 */
function settleHandshake(
  s: tls.TLSSocket,
  plain: net.Socket,
  info: TlsInfo,
  done: 'secureConnect' | 'secure',
  cb: (err: string | null, s?: tls.TLSSocket) => void,
): void {
  let settled = false;
  const fail = (e: Error | null): void => {
    if (settled) return;
    settled = true;
    s.destroy();
    plain.destroy();
    cb(tlsErrorString(e, false));
  };
  s.on('error', (e: Error) => fail(e));
  s.once('close', () => fail(null));
  s.once(done, () => {
    if (settled) return;
    settled = true;
    capture(s, info);
    cb(null, s);
  });
}

/**
 * Server-side STARTTLS (`sock:upgrade` with a server context, as BAS allows): the handshake on
 * an established plain connection; `cb(null, tlsSocket)` once it completed, else `cb(err)`.
 */
export function upgradeServerTls(plain: net.Socket, ctx: TlsContextDef, cb: (err: string | null, s?: tls.TLSSocket) => void): tls.TLSSocket {
  const [s, info] = serverSide(plain, ctx);
  settleHandshake(s, plain, info, 'secure', cb);
  return s;
}

/** The server end of a TLS connection over `plain`, with its info record. */
function serverSide(plain: net.Socket, ctx: TlsContextDef): [tls.TLSSocket, TlsInfo] {
  const s = new tls.TLSSocket(plain, {
    isServer: true,
    secureContext: ctx.secureContext(),
    requestCert: ctx.requestClientCert,
    rejectUnauthorized: false,
  });
  const info = newInfo(true, ctx, '');
  infos.set(s, info);
  return [s, info];
}

/**
 * The server side of an accepted connection (a TLS listener's accept). The handshake must
 * complete within `handshakeTimeoutMs` (src/net/handshake-guard.ts), else the connection is
 * destroyed and the script's first read reports it.
 */
export function acceptTls(plain: net.Socket, ctx: TlsContextDef, handshakeTimeoutMs?: number): tls.TLSSocket {
  const [s, info] = serverSide(plain, ctx);
  s.once('secure', () => capture(s, info));
  // Handshake errors reach the script through its first read (TcpConn keeps the error).
  s.on('error', () => {});
  guardServerHandshake(s, plain, { timeoutMs: handshakeTimeoutMs });
  return s;
}

/**
 * The read error for a TLS connection that ended (`ended` as TcpConn reports it), or null for
 * a plain socket. node:tls reports a peer's close_notify and a bare TCP FIN after the
 * handshake alike (both end the stream), so both read as "sslclosenotify" (docs/compat.md).
 */
export function tlsEndReason(s: net.Socket, ended: 'eof' | 'error' | 'closenotify', err: Error | null): string | null {
  const info = tlsInfo(s);
  if (!info) return null;
  if (ended === 'error') return tlsErrorString(err, info.secure);
  return info.secure ? 'sslclosenotify' : 'socketreadfailed';
}

/** sock:trusted([name]) for a TLS connection. */
export function trusted(info: TlsInfo, name: string): TrustOutcome {
  return trustOutcome({ chain: info.chain, verifyError: info.verifyError, anchors: info.ctx?.trustAnchors() ?? [], name });
}

/**
 * A TLS client connection passes every check for `host`: chain to a trusted CA, the name, the
 * dates (sock:trusted() would answer true). What httpc's `trusted = true` requires, as BAS.
 */
export function fullyTrusted(s: tls.TLSSocket, host: string): boolean {
  const info = tlsInfo(s);
  return info !== null && trusted(info, host) === true;
}

/** sock:relsession(): forgets the cached client session of this connection's host:port. */
export function releaseSession(info: TlsInfo): boolean {
  if (!info.ctx || !info.sessionKey) return false;
  return info.ctx.sessions.delete(info.sessionKey);
}

/**
 * TLS client over a connected plain socket with Node's default context and no certificate
 * check (the caller decides on trust); calls back with the socket or "sslhandshake".
 */
export function connectDefaultTls(plain: net.Socket, host: string, cb: (err: string | null, s?: tls.TLSSocket) => void): tls.TLSSocket {
  const ts = tls.connect({ socket: plain, servername: net.isIP(host) ? undefined : host, rejectUnauthorized: false });
  ts.once('secureConnect', () => {
    ts.removeAllListeners('error');
    cb(null, ts);
  });
  ts.once('error', () => cb('sslhandshake'));
  return ts;
}
