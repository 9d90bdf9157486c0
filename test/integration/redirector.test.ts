// ba.create.redirector(name, host, port) through the real `remora` command: a reverse proxy to
// a node:http backend. The path below the directory, the query and the client's fields reach
// the backend (Host replaced); a 1 MiB chunked answer and a 300 KB request body pass through
// byte-exact; a backend that is gone answers 503.
import test from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket, { WebSocketServer } from 'ws';
import { freePort, startCli } from '../harness/net-util.js';

const dir = mkdtempSync(join(tmpdir(), 'remora-redirector-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

function fetchRaw(port: number, path: string, opts: { method?: string; body?: Buffer; headers?: Record<string, string> } = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: opts.method ?? 'GET', headers: opts.headers, agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (b: Buffer) => parts.push(b));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
    req.end(opts.body);
  });
}

test('redirector: requests below the directory are proxied to the backend and back', async () => {
  const big = randomBytes(1024 * 1024);
  const seen: Array<{ method: string; url: string; host: string; client: string; bodySha: string; bodyLen: number }> = [];
  const backend = http.createServer((req, res) => {
    const h = createHash('sha256');
    let n = 0;
    req.on('data', (b: Buffer) => {
      h.update(b);
      n += b.length;
    });
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', host: String(req.headers.host), client: String(req.headers['x-client']), bodySha: h.digest('hex'), bodyLen: n });
      if (req.url?.startsWith('/big')) {
        res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'X-Back': 'big' });
        // Pieces, without a length: chunked to the proxy.
        for (let i = 0; i < big.length; i += 100_000) res.write(big.subarray(i, i + 100_000));
        res.end();
      } else {
        res.writeHead(201, { 'X-Back': 'small', 'Content-Type': 'text/plain' });
        res.end(`got ${req.method} ${req.url}`);
      }
    });
  });
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  const bport = (backend.address() as { port: number }).port;
  const app = join(dir, 'www');
  mkdirSync(app);
  writeFileSync(join(app, '.preload'), `px = ba.create.redirector("px", "127.0.0.1", ${bport})\npx:insert()\ngone = ba.create.redirector("gone", "127.0.0.1", ${await freePort()})\ngone:insert()\n`);
  writeFileSync(join(dir, 'm.conf'), 'port = 0\nsslport = 0\nhost = "127.0.0.1"\n');
  const p = await startCli(['--no-https', '-c', join(dir, 'm.conf'), '-l::' + app]);
  try {
    const a = await fetchRaw(p.port, '/px/a/b%20c.txt?q=1&r=2', { headers: { 'X-Client': '7' } });
    assert.equal(a.status, 201);
    assert.equal(a.headers['x-back'], 'small');
    assert.equal(a.body.toString(), 'got GET /a/b%20c.txt?q=1&r=2');
    assert.deepEqual({ host: seen[0]!.host, client: seen[0]!.client }, { host: '127.0.0.1', client: '7' });

    const b = await fetchRaw(p.port, '/px/big');
    assert.equal(b.status, 200);
    assert.equal(b.headers['x-back'], 'big');
    assert.ok(b.body.equals(big), `got ${b.body.length} bytes`);

    const up = randomBytes(300_000);
    const c = await fetchRaw(p.port, '/px/upload', { method: 'POST', body: up, headers: { 'Content-Type': 'application/octet-stream' } });
    assert.equal(c.status, 201);
    const last = seen[seen.length - 1]!;
    assert.equal(last.method, 'POST');
    assert.equal(last.bodyLen, up.length);
    assert.equal(last.bodySha, createHash('sha256').update(up).digest('hex'));

    const d = await fetchRaw(p.port, '/gone/x');
    assert.equal(d.status, 503);
    // The server goes on.
    const e = await fetchRaw(p.port, '/px/again');
    assert.equal(e.status, 201);
  } finally {
    p.child.kill('SIGKILL');
    backend.close();
  }
});

test('redirector: a WebSocket handshake is passed to the backend and the connection joined both ways', async () => {
  const backend = http.createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end('plain');
  });
  const wss = new WebSocketServer({ noServer: true });
  const seen: { url?: string; host?: string; closeCode?: number; got: Buffer[] } = { got: [] };
  let closed!: () => void;
  const backendClosed = new Promise<void>((r) => (closed = r));
  backend.on('upgrade', (req, sock, head) => {
    if (req.url?.startsWith('/deny')) {
      sock.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 6\r\nX-Back: deny\r\nConnection: close\r\n\r\ndenied');
      return;
    }
    wss.handleUpgrade(req, sock, head, (ws) => {
      seen.url = req.url;
      seen.host = req.headers.host;
      ws.send('hello from the backend');
      ws.on('message', (m: Buffer, binary: boolean) => {
        seen.got.push(m);
        ws.send(m, { binary });
      });
      ws.on('close', (code) => {
        seen.closeCode = code;
        closed();
      });
    });
  });
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  const bport = (backend.address() as { port: number }).port;
  const app = join(dir, 'wsapp');
  mkdirSync(app);
  writeFileSync(join(app, '.preload'), `px = ba.create.redirector("px", "127.0.0.1", ${bport})\npx:insert()\n`);
  const p = await startCli(['--no-https', '-c', join(dir, 'm.conf'), '-l::' + app]);
  try {
    const ws = new WebSocket(`ws://127.0.0.1:${p.port}/px/chat?room=1`);
    const inbox: Array<{ data: Buffer; binary: boolean }> = [];
    let wake: (() => void) | null = null;
    ws.on('message', (data: Buffer, binary: boolean) => {
      inbox.push({ data, binary });
      wake?.();
    });
    const next = async (): Promise<{ data: Buffer; binary: boolean }> => {
      while (inbox.length === 0) await new Promise<void>((r) => (wake = r));
      return inbox.shift()!;
    };
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    assert.equal((await next()).data.toString(), 'hello from the backend');
    assert.deepEqual({ url: seen.url, host: seen.host }, { url: '/chat?room=1', host: '127.0.0.1' });
    ws.send('ping 1');
    const e1 = await next();
    assert.deepEqual({ text: e1.data.toString(), binary: e1.binary }, { text: 'ping 1', binary: false });
    const blob = randomBytes(200_000);
    ws.send(blob);
    const e2 = await next();
    assert.ok(e2.binary && e2.data.equals(blob), `echo of ${e2.data.length} bytes`);
    ws.close(4001, 'bye');
    await backendClosed;
    assert.equal(seen.closeCode, 4001);

    // A backend that refuses the upgrade: its answer reaches the client as a response.
    const refused = await new Promise<{ status: number; back: string | undefined }>((resolve, reject) => {
      const c = new WebSocket(`ws://127.0.0.1:${p.port}/px/deny`);
      c.on('unexpected-response', (_req, res) => {
        resolve({ status: res.statusCode ?? 0, back: res.headers['x-back'] as string | undefined });
        res.resume();
        c.terminate();
      });
      c.on('open', () => reject(new Error('opened')));
      c.on('error', () => undefined);
    });
    assert.deepEqual(refused, { status: 403, back: 'deny' });

    // Plain requests through the same directory still work.
    const plain = await fetchRaw(p.port, '/px/x');
    assert.equal(plain.body.toString(), 'plain');
  } finally {
    p.child.kill('SIGKILL');
    backend.close();
    wss.close();
  }
});
