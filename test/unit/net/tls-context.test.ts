import test from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { readFileSync } from 'node:fs';
import { CertKey, TLS12_CIPHERS, TlsContextDef, loadCertKey, parseCertificates, systemCaBundle } from '../../../src/net/tls-context.js';
import { PKI_PASSWORD, testPki } from '../../harness/tls-certs.js';

test('loadCertKey: plain and encrypted keys', () => {
  const pki = testPki();
  const c = loadCertKey(pki.pem('server'), pki.key('server'));
  assert.ok(c instanceof CertKey);
  assert.equal(c.leaf.subject, 'CN=localhost');
  const enc = readFileSync(pki.file('server-enc.key'), 'utf8');
  assert.ok(loadCertKey(pki.pem('server'), enc, PKI_PASSWORD) instanceof CertKey);
  const demo = loadCertKey(readFileSync('src/vm-resources/.certificate/MakoServer.pem', 'utf8'), readFileSync('src/vm-resources/.certificate/MakoServer.key', 'utf8'), 'sharkssl');
  assert.ok(demo instanceof CertKey);
});

test('loadCertKey: SharkSSL-style errors', () => {
  const pki = testPki();
  const enc = readFileSync(pki.file('server-enc.key'), 'utf8');
  assert.equal(loadCertKey(pki.pem('server'), enc), 'pem_key_passphrase_required');
  assert.equal(loadCertKey(pki.pem('server'), enc, 'wrong'), 'pem_key_parse_error');
  assert.equal(loadCertKey('junk', pki.key('server')), 'pem_cert_unrecognized_format');
  assert.equal(loadCertKey(pki.pem('server'), 'junk'), 'pem_key_unrecognized_format');
  assert.equal(loadCertKey(pki.pem('server'), pki.key('client')), 'pem_key_cert_mismatch');
});

test('the private key never shows in inspection, JSON or toString', () => {
  const pki = testPki();
  const c = loadCertKey(pki.pem('server'), pki.key('server')) as CertKey;
  for (const text of [inspect(c, { showHidden: true, depth: 5 }), JSON.stringify(c), String(c)]) {
    assert.doesNotMatch(text, /PRIVATE KEY/);
  }
  assert.match(c.keyForContext(), /^-----BEGIN PRIVATE KEY-----/);
});

test('parseCertificates skips damaged blocks', () => {
  const pki = testPki();
  const text = `${pki.pem('ca')}\n-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n${pki.pem('server')}`;
  assert.deepEqual(parseCertificates(text).map((c) => c.subject), ['CN=remora test CA', 'CN=localhost']);
});

test('TlsContextDef: secure context, client-certificate requests, session cache bound', () => {
  const pki = testPki();
  const server = new TlsContextDef({ server: true, ca: null, cacheSize: 0 });
  server.addCert(loadCertKey(pki.pem('server'), pki.key('server')) as CertKey);
  assert.ok(server.secureContext());
  assert.equal(server.secureContext(), server.secureContext());
  assert.equal(server.requestClientCert, false);
  assert.equal(new TlsContextDef({ server: true, ca: [pki.pem('ca')], cacheSize: 0 }).requestClientCert, true);
  const client = new TlsContextDef({ server: false, ca: [pki.pem('ca')], cacheSize: 2 });
  assert.equal(client.trustAnchors()[0]!.subject, 'CN=remora test CA');
  client.saveSession('a:1', Buffer.from('1'));
  client.saveSession('b:1', Buffer.from('2'));
  client.saveSession('a:1', Buffer.from('3'));
  client.saveSession('c:1', Buffer.from('4'));
  assert.deepEqual([...client.sessions.keys()], ['a:1', 'c:1']);
  const none = new TlsContextDef({ server: false, ca: null, cacheSize: 0 });
  none.saveSession('a:1', Buffer.from('1'));
  assert.equal(none.sessions.size, 0);
});

test('TLS 1.2 ciphers are ECDHE with AEAD only', () => {
  for (const c of TLS12_CIPHERS.split(':')) assert.match(c, /^ECDHE-(RSA|ECDSA)-(AES(128|256)-GCM-SHA(256|384)|CHACHA20-POLY1305)$/);
});

test('systemCaBundle: a non-empty list of PEM certificates', () => {
  const b = systemCaBundle();
  assert.ok(b.pems.length > 10);
  assert.match(b.pems[0]!, /^-----BEGIN CERTIFICATE-----/);
  assert.ok(b.source.length > 0);
});
