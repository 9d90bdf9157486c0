/**
 * The one rule for a TLS handshake on an accepted connection (the HTTPS listener and every
 * `ba.socket.bind(port, {shark=...})` listener): it ends within a deadline, or the connection
 * is destroyed; a handshake that fails, or a peer that sends its FIN (or resets) before the
 * handshake has completed, destroys the connection at once.
 *
 * Issue 14: node:tls only emits `tlsClientError` for a failed or timed-out handshake and leaves
 * the socket open, and a listener made with `allowHalfOpen` keeps a socket whose peer sent FIN
 * before its ClientHello; 20,000 connect-then-close connections exhausted the process's file
 * descriptors. Half-open connections are only useful once the TLS session exists, so the guard
 * turns half-open off until then and gives the caller's setting back afterwards.
 */
import type net from 'node:net';
import type tls from 'node:tls';

/** Default deadline for a TLS handshake, from the TCP accept (ms). */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;

export interface HandshakeGuardOptions {
  /** Milliseconds from now until the handshake must have completed. */
  timeoutMs?: number;
}

/**
 * Watches the handshake of `s` (a server-side TLSSocket that has not completed it yet).
 * `onSecure` runs once it completes; on failure, timeout or an early end, `s` and the raw
 * socket under it are destroyed (the error stays readable from `s`'s 'error'/'close' events).
 */
export function guardServerHandshake(s: tls.TLSSocket, raw: net.Socket | null, opts: HandshakeGuardOptions = {}): void {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
  const halfOpen = s.allowHalfOpen;
  s.allowHalfOpen = false;
  let done = false;
  const kill = (): void => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    s.destroy();
    raw?.destroy();
  };
  const timer = setTimeout(kill, timeoutMs);
  timer.unref();
  s.once('secure', () => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    s.allowHalfOpen = halfOpen;
  });
  // 'end' before 'secure': the peer gave up (connect-then-close). Errors: a bad handshake.
  s.once('end', kill);
  s.once('error', kill);
  s.once('close', kill);
  raw?.once('end', kill);
  raw?.once('close', kill);
}

/**
 * The same rule for a `tls.Server` (the HTTPS listener): node:tls enforces `handshakeTimeout`
 * itself but then only reports `tlsClientError`; the socket it names is destroyed here. The
 * server must be made without `allowHalfOpen` (a FIN before the handshake then closes the
 * connection); whoever takes a secured connection may turn half-open on for it.
 */
export function guardTlsServer(server: tls.Server): void {
  server.on('tlsClientError', (_e: Error, s: tls.TLSSocket) => s.destroy());
}
