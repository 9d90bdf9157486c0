// Connection limits and slowloris resistance (issue 5 item 1): 500 half-sent requests do not
// stop a normal client; overdue heads are closed; oversized heads get clean 4xx answers;
// port fallback.
import test from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { RawClient, request, startTestServer, waitFor } from '../harness/app-server.js';
import { listenWithFallback } from '../../src/server/http-server.js';

const BASIC = 'test/fixtures/apps/basic';

test('500 slowloris connections holding half-sent requests do not stop a normal client', async () => {
  const s = await startTestServer([{ name: '', prio: 0, path: BASIC }], { conncnt: 50 });
  const evil: net.Socket[] = [];
  try {
    let connected = 0;
    for (let i = 0; i < 500; i++) {
      const so = net.connect(s.port, '127.0.0.1', () => {
        connected++;
        so.write('GET /index.lsp HTTP/1.1\r\nHost: x\r\nX-Slow: ');
      });
      so.on('error', () => {});
      evil.push(so);
    }
    await waitFor(() => connected + evil.filter((e) => e.destroyed).length >= 500, 20_000, 'slowloris connections');
    // Keep trickling one byte on every live connection, as slowloris does.
    for (const so of evil) if (!so.destroyed) so.write('a');
    assert.ok(s.server.http.connectionCount <= 50);
    for (let i = 0; i < 3; i++) {
      const r = await request(s.port, '/index.lsp');
      assert.equal(r.status, 200);
      assert.equal(r.body, 'A42B\n');
    }
  } finally {
    for (const so of evil) so.destroy();
    s.close();
  }
});

test('a request head that does not complete within headTimeout is closed', async () => {
  const s = await startTestServer([{ name: '', prio: 0, path: BASIC }], {}, { headTimeout: 300 });
  try {
    const c = new RawClient(s.port);
    await c.connected();
    c.send('GET / HTTP/1.1\r\n');
    for (let i = 0; i < 10 && !c.ended; i++) {
      c.send('X: y\r\n');
      await new Promise((r) => setTimeout(r, 200));
    }
    await c.closed(5000);
    assert.equal(c.text, '');
  } finally {
    s.close();
  }
});

test('oversized and malformed heads get clean 4xx answers and the server goes on', async () => {
  const s = await startTestServer([{ name: '', prio: 0, path: BASIC }]);
  try {
    const cases: Array<[string, RegExp]> = [
      [`GET /${'a'.repeat(20000)} HTTP/1.1\r\n\r\n`, /^HTTP\/1\.1 414 /],
      [`GET / HTTP/1.1\r\n${'X-A: b\r\n'.repeat(150)}\r\n`, /^HTTP\/1\.1 431 /],
      [`GET / HTTP/1.1\r\nBig: ${'b'.repeat(20000)}\r\n\r\n`, /^HTTP\/1\.1 431 /],
      ['GARBAGE\r\n\r\n', /^HTTP\/1\.1 400 /],
      ['GET / HTTP/2.0\r\n\r\n', /^HTTP\/1\.1 505 /],
    ];
    for (const [req, want] of cases) {
      const c = new RawClient(s.port);
      await c.connected();
      c.send(req);
      await c.closed();
      assert.match(c.text, want);
    }
    assert.equal((await request(s.port, '/index.lsp')).status, 200);
  } finally {
    s.close();
  }
});

test('listenWithFallback: a taken port falls back to the first free port of the range', async () => {
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  const taken = (blocker.address() as net.AddressInfo).port;
  // A range of two ports: the taken one and a free one found now.
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const free = (probe.address() as net.AddressInfo).port;
  await new Promise((r) => probe.close(r));
  const srv = net.createServer();
  try {
    const got = await listenWithFallback(srv, taken, '127.0.0.1', [free, free]);
    assert.equal(got, free);
    const srv2 = net.createServer();
    await assert.rejects(listenWithFallback(srv2, taken, '127.0.0.1', null), /cannot open a listening port/);
  } finally {
    srv.close();
    blocker.close();
  }
});
