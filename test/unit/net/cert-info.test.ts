import test from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { asn1Time, certTable, chainsToAnchor, dnTable, nameMatches, sharkCipher, trustOutcome } from '../../../src/net/cert-info.js';
import { testPki } from '../../harness/tls-certs.js';

const cert = (n: 'ca' | 'server' | 'wrongname' | 'expired' | 'selfsigned' | 'client') => new X509Certificate(testPki().pem(n));

test('asn1Time is YYMMDDhhmmssZ in UTC', () => {
  assert.equal(asn1Time(new Date(Date.UTC(2026, 0, 2, 3, 4, 5))), '260102030405Z');
  assert.equal(asn1Time(new Date(Date.UTC(1999, 11, 31, 23, 59, 59))), '991231235959Z');
});

test('dnTable names attributes after SharkSSL and keeps repeated ones', () => {
  assert.deepEqual(dnTable('C=SE\nST=Skane\nL=Lund\nO=Acme\nOU=a\nOU=b\nCN=host\nemailAddress=x@y'), {
    countryname: 'SE',
    province: 'Skane',
    locality: 'Lund',
    organization: 'Acme',
    unit: 'a, b',
    commonname: 'host',
    emailaddress: 'x@y',
  });
  assert.deepEqual(dnTable('CN=a=b\nserialNumber=7'), { commonname: 'a=b', serialnumber: '7' });
});

test('certTable of a CA-signed certificate', () => {
  const t = certTable(cert('server'));
  assert.equal(t.subject.commonname, 'localhost');
  assert.equal(t.issuer.commonname, 'remora test CA');
  assert.match(t.tzfrom, /^\d{12}Z$/);
  assert.match(t.tzto, /^\d{12}Z$/);
  assert.deepEqual(t.subjectaltnames, ['localhost', '127.0.0.1']);
  assert.equal(t.selfsigned, false);
  assert.match(t.sha256, /^[0-9a-f]{64}$/);
  assert.equal(certTable(cert('selfsigned')).selfsigned, true);
});

test('nameMatches: SAN DNS and IP entries', () => {
  assert.equal(nameMatches(cert('server'), 'localhost'), true);
  assert.equal(nameMatches(cert('server'), 'LOCALHOST'), true);
  assert.equal(nameMatches(cert('server'), '127.0.0.1'), true);
  assert.equal(nameMatches(cert('server'), '127.0.0.2'), false);
  assert.equal(nameMatches(cert('server'), 'other.example'), false);
  assert.equal(nameMatches(cert('server'), ''), false);
});

test('chainsToAnchor ignores dates but not signatures', () => {
  const ca = cert('ca');
  assert.equal(chainsToAnchor(cert('expired'), [], [ca]), true);
  assert.equal(chainsToAnchor(cert('server'), [], [ca]), true);
  assert.equal(chainsToAnchor(cert('selfsigned'), [], [ca]), false);
  assert.equal(chainsToAnchor(cert('selfsigned'), [], [cert('selfsigned')]), true);
  // A leaf is no issuer: the CA:TRUE check keeps it from vouching for anything.
  assert.equal(chainsToAnchor(cert('server'), [], [cert('client')]), false);
});

test('trustOutcome: the four outcomes of sock:trusted()', () => {
  const ca = cert('ca');
  const chain = [cert('server'), ca];
  assert.equal(trustOutcome({ chain, verifyError: null, anchors: [ca], name: 'localhost' }), true);
  assert.equal(trustOutcome({ chain, verifyError: null, anchors: [ca], name: 'other.example' }), 'cert');
  assert.equal(trustOutcome({ chain: [cert('expired'), ca], verifyError: 'CERT_HAS_EXPIRED', anchors: [ca], name: 'localhost' }), 'certcn');
  assert.equal(trustOutcome({ chain: [cert('expired')], verifyError: 'CERT_HAS_EXPIRED', anchors: [], name: 'localhost' }), 'cn');
  assert.equal(trustOutcome({ chain: [cert('selfsigned')], verifyError: 'DEPTH_ZERO_SELF_SIGNED_CERT', anchors: [], name: 'localhost' }), 'cn');
  assert.equal(trustOutcome({ chain: [cert('selfsigned')], verifyError: 'DEPTH_ZERO_SELF_SIGNED_CERT', anchors: [], name: 'x.example' }), 'none');
  assert.equal(trustOutcome({ chain: [], verifyError: null, anchors: [ca], name: 'localhost' }), 'none');
  // Verified by OpenSSL but outside its dates by the local clock: certcn.
  assert.equal(trustOutcome({ chain, verifyError: null, anchors: [ca], name: 'localhost', now: Date.now() + 10 * 86400_000 }), 'certcn');
});

test('sharkCipher: IANA names without TLS_, versions as TLS_1_x', () => {
  assert.deepEqual(sharkCipher({ name: 'TLS_AES_256_GCM_SHA384', standardName: 'TLS_AES_256_GCM_SHA384', version: 'TLSv1.3' }, 'TLSv1.3'), ['AES_256_GCM_SHA384', 'TLS_1_3']);
  assert.deepEqual(
    sharkCipher({ name: 'ECDHE-RSA-AES128-GCM-SHA256', standardName: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', version: 'TLSv1.2' }, 'TLSv1.2'),
    ['ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'TLS_1_2'],
  );
  assert.deepEqual(sharkCipher({ name: 'ECDHE-ECDSA-CHACHA20-POLY1305', version: 'TLSv1.2' }, null), ['ECDHE_ECDSA_CHACHA20_POLY1305', 'TLS_1_2']);
});
