import test from 'node:test';
import assert from 'node:assert/strict';
import { tlsErrorString } from '../../../src/net/tls-errors.js';

const e = (code: string) => Object.assign(new Error(code), { code });

test('alerts from the peer are sslalertrecv, during and after the handshake', () => {
  for (const code of ['ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION', 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE', 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA']) {
    assert.equal(tlsErrorString(e(code), false), 'sslalertrecv');
    assert.equal(tlsErrorString(e(code), true), 'sslalertrecv');
  }
});

test('local OpenSSL errors: sslhandshake before, sslcryptoerr after the handshake', () => {
  assert.equal(tlsErrorString(e('ERR_SSL_WRONG_VERSION_NUMBER'), false), 'sslhandshake');
  assert.equal(tlsErrorString(e('ERR_SSL_HTTP_REQUEST'), false), 'sslhandshake');
  assert.equal(tlsErrorString(e('ERR_SSL_NO_SHARED_CIPHER'), false), 'sslhandshake');
  assert.equal(tlsErrorString(e('ERR_SSL_UNEXPECTED_RECORD'), true), 'sslcryptoerr');
  assert.equal(tlsErrorString(e('ERR_SSL_DECRYPTION_FAILED_OR_BAD_RECORD_MAC'), false), 'sslcryptoerr');
  assert.equal(tlsErrorString(e('ERR_SSL_BAD_RECORD_MAC'), true), 'sslcryptoerr');
});

test('refused certificates are sslnottrusted', () => {
  assert.equal(tlsErrorString(e('ERR_SSL_CERTIFICATE_VERIFY_FAILED'), false), 'sslnottrusted');
  assert.equal(tlsErrorString(e('ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE'), false), 'sslnottrusted');
});

test('TCP failures are socketreadfailed, before the handshake too (as Mako reports a TLS connect to a server that closes)', () => {
  assert.equal(tlsErrorString(e('ECONNRESET'), false), 'socketreadfailed');
  assert.equal(tlsErrorString(null, false), 'socketreadfailed');
  assert.equal(tlsErrorString(e('ECONNRESET'), true), 'socketreadfailed');
  assert.equal(tlsErrorString(e('EPIPE'), true), 'socketreadfailed');
});
