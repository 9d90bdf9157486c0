import test from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { CertKey, TlsContextDef, loadCertKey } from '../../../src/net/tls-context.js';
import { acceptTls, connectTls, releaseSession, tlsEndReason, tlsInfo, trusted } from '../../../src/net/tls-socket.js';
import { testPki } from '../../harness/tls-certs.js';

function serverCtx(): TlsContextDef {
  const pki = testPki();
  const c = new TlsContextDef({ server: true, ca: null, cacheSize: 0 });
  c.addCert(loadCertKey(pki.pem('server'), pki.key('server')) as CertKey);
  return c;
}

/** A listener whose connections go through acceptTls; resolves with its port. */
async function listen(ctx: TlsContextDef, onSock: (s: net.Socket) => void): Promise<net.Server> {
  const srv = net.createServer({ allowHalfOpen: true }, (raw) => onSock(acceptTls(raw, ctx)));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return srv;
}

function plain(port: number): Promise<net.Socket> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true }, () => resolve(s));
  });
}

test('connectTls/acceptTls: handshake state, trust, session cache and end reasons', async () => {
  const pki = testPki();
  let accepted: net.Socket | null = null;
  const srv = await listen(serverCtx(), (s) => {
    accepted = s;
    assert.deepEqual(tlsInfo(s)!.cipher, null); // before the handshake
    s.on('data', (d: Buffer) => {
      s.write(d);
      s.end(); // close_notify + FIN
    });
  });
  const port = (srv.address() as net.AddressInfo).port;
  const client = new TlsContextDef({ server: false, ca: [pki.pem('ca')], cacheSize: 4 });
  const t = await new Promise<net.Socket>((resolve, reject) => {
    void plain(port).then((raw) => connectTls(raw, client, { host: 'localhost', port }, (err, s) => (err ? reject(new Error(err)) : resolve(s!))));
  });
  const info = tlsInfo(t)!;
  assert.equal(info.secure, true);
  assert.equal(info.server, false);
  assert.deepEqual(info.cipher, ['AES_256_GCM_SHA384', 'TLS_1_3']);
  assert.equal(trusted(info, 'localhost'), true);
  assert.equal(trusted(info, 'x.example'), 'cert');
  const ended = new Promise<void>((r) => t.once('end', () => r()));
  t.on('data', () => {});
  t.write('hi');
  await ended;
  assert.equal(tlsEndReason(t, 'eof', null), 'sslclosenotify');
  assert.equal(tlsInfo(accepted!)!.secure, true);
  assert.equal(tlsInfo(accepted!)!.chain.length, 0);
  assert.equal(client.sessions.has(`localhost:${port}`), true);
  assert.equal(releaseSession(info), true);
  assert.equal(releaseSession(info), false);
  assert.equal(tlsInfo(new net.Socket()), null);
  assert.equal(tlsEndReason(new net.Socket(), 'eof', null), null);
  t.destroy();
  srv.close();
});

test('connectTls to a server that is not TLS fails with sslhandshake', async () => {
  const srv = net.createServer((s) => {
    s.on('error', () => {});
    s.on('data', () => s.end('HTTP/1.0 400 Bad Request\r\n\r\n'));
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  const raw = await plain(port);
  const err = await new Promise<string | null>((r) => connectTls(raw, new TlsContextDef({ server: false, ca: null, cacheSize: 0 }), { host: '127.0.0.1', port }, (e) => r(e)));
  assert.equal(err, 'sslhandshake');
  assert.equal(raw.destroyed, true);
  srv.close();
});

test('acceptTls: a client sending garbage ends with an error that reads as sslhandshake', async () => {
  let result: string | null = null;
  const done = new Promise<void>((resolve) => {
    void listen(serverCtx(), (s) => {
      s.on('error', (e: Error) => {
        result = tlsEndReason(s, 'error', e);
        resolve();
      });
    }).then((srv) => {
      const port = (srv.address() as net.AddressInfo).port;
      const g = net.connect(port, '127.0.0.1', () => g.write('GET / HTTP/1.0\r\n\r\n'));
      g.on('error', () => {});
      g.on('close', () => srv.close());
    });
  });
  await done;
  assert.equal(result, 'sslhandshake');
});
