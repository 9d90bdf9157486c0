/**
 * node:tls / OpenSSL errors -> BAS's TLS error strings: "sslalertrecv",
 * "sslhandshake", "sslcryptoerr", "sslnottrusted" (and "socketreadfailed" for a plain TCP
 * failure after the handshake). Every failure closes only the connection it happened on.
 */

/** Error codes for a certificate the local side refused. */
const NOT_TRUSTED = new Set(['ERR_SSL_CERTIFICATE_VERIFY_FAILED', 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE', 'ERR_TLS_CERT_ALTNAME_INVALID']);

/** Record-layer integrity failures: a record that does not decrypt or authenticate. */
const CRYPTO = new Set([
  'ERR_SSL_DECRYPTION_FAILED_OR_BAD_RECORD_MAC',
  'ERR_SSL_BAD_RECORD_MAC',
  'ERR_SSL_DECRYPTION_FAILED',
  'ERR_SSL_BAD_DECRYPT',
  'ERR_SSL_BLOCK_CIPHER_PAD_IS_WRONG',
  'ERR_SSL_CIPHER_OPERATION_FAILED',
]);

/**
 * The script-visible string for `err` on a TLS connection. `secure`: the handshake had
 * completed. An alert the peer sent is "sslalertrecv" whenever it arrives; other OpenSSL
 * errors are "sslhandshake" during the handshake and "sslcryptoerr" afterwards; a TCP error
 * (reset, the peer gone, mid-handshake too) is "socketreadfailed", as in BAS.
 */
export function tlsErrorString(err: Error | null | undefined, secure: boolean): string {
  const code = (err as NodeJS.ErrnoException | null | undefined)?.code ?? '';
  if (/^ERR_SSL_(SSLV3|TLSV1|TLSV13)_ALERT_/.test(code)) return 'sslalertrecv';
  if (NOT_TRUSTED.has(code)) return 'sslnottrusted';
  if (CRYPTO.has(code)) return 'sslcryptoerr';
  if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_')) return secure ? 'sslcryptoerr' : 'sslhandshake';
  // The connection failed under TLS (reset or closed by the peer, during the handshake too):
  // a read error, as BAS reports a TLS connect to a server that just closes.
  return 'socketreadfailed';
}
