// ba.socket.req2sock / sock2req over real connections: raw sockets in the three
// modes, pending bytes, flushed vs unflushed output, give-back with pushback, WebSocket
// upgrade, and authentication of pages and WebSocket requests (form login cookie).
import test from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import WebSocket from 'ws';
import { RawClient, request, startTestServer, waitFor } from '../harness/app-server.js';

const SOCK = 'test/fixtures/apps/sock';
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

async function raw(port: number, query: string, extra = ''): Promise<RawClient> {
  const c = new RawClient(port);
  await c.connected();
  c.send(`GET /raw.lsp?${query} HTTP/1.1\r\nHost: x\r\n\r\n${extra}`);
  return c;
}

for (const mode of ['blocking', 'cosocket', 'async']) {
  test(`req2sock raw socket in ${mode} mode: no HTTP response, pending bytes returned`, async () => {
    const s = await startTestServer([{ name: '', prio: 0, path: SOCK }]);
    try {
      const c = await raw(s.port, `mode=${mode}`, 'early');
      assert.equal(await c.until(/\n/), `${mode}:early\n`);
      c.take();
      c.send('ping');
      assert.equal(await c.until(/ping/), 'echo:ping');
      c.destroy();
      // A plain GET (no WebSocket headers) too gives a raw socket; without early bytes only one value.
      const d = await raw(s.port, `mode=${mode}`);
      assert.equal(await d.until(/\n/), `${mode}:\n`);
      d.destroy();
      assert.match(s.log.text(), /req2sock\ttrue\t5\n.*req2sock\ttrue\t0\n/s);
    } finally {
      s.close();
    }
  });
}

test('req2sock: flushed output was sent, unflushed output is discarded', async () => {
  const s = await startTestServer([{ name: '', prio: 0, path: SOCK }]);
  try {
    const c = await raw(s.port, 'mode=blocking&flush=1');
    const text = await c.until(/blocking:\n/);
    assert.match(text, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(text, /flushed;/);
    assert.doesNotMatch(text, /never sent/);
    c.destroy();
  } finally {
    s.close();
  }
});

test('req2sock(request, true) on a WebSocket request gives a raw socket and sends no 101', async () => {
  const s = await startTestServer([{ name: '', prio: 0, path: SOCK }]);
  try {
    const c = new RawClient(s.port);
    await c.connected();
    c.send('GET /raw.lsp?mode=blocking&raw=1 HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
    assert.equal(await c.until(/\n/), 'blocking:\n');
    c.destroy();
  } finally {
    s.close();
  }
});

test('sock2req gives the connection back to HTTP with the pushback parsed first', async () => {
  const s = await startTestServer([{ name: '', prio: 0, path: SOCK }]);
  try {
    const c = await raw(s.port, 'mode=back', 'HELLO\nGET /public.txt HTTP/1.1\r\nHost: x\r\n\r\n');
    const text = await c.until(/public\n$/);
    assert.match(text, /^got HELLO\nHTTP\/1\.1 200 OK\r\n/);
    // Keep-alive: a second request on the same connection.
    c.take();
    c.send('GET /public.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    await c.until(/public\n$/);
    await c.closed();
    // The socket object is unusable afterwards.
    assert.match(s.log.text(), /after sock2req\ttrue\tnil\tsocketwritefailed\n/);
  } finally {
    s.close();
  }
});

test('req2sock answers a WebSocket upgrade with 101 and a WebSocket socket', async () => {
  const s = await startTestServer([{ name: '', prio: 0, path: SOCK }]);
  try {
    const c = new RawClient(s.port);
    await c.connected();
    const key = 'dGhlIHNhbXBsZSBub25jZQ==';
    c.send(`GET /ws.lsp HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: chat\r\n\r\n`);
    const head = await c.until(/\r\n\r\n/);
    assert.match(head, /^HTTP\/1\.1 101 /, 'req2sock answers the upgrade itself');
    const accept = createHash('sha1').update(key + GUID).digest('base64');
    assert.match(head, new RegExp(`Sec-WebSocket-Accept: ${accept.replace(/[+/]/g, '\\$&')}\r\n`, 'i'));
    assert.doesNotMatch(head, /Sec-WebSocket-Protocol/i);
    c.destroy();
    // A real client: text and binary echo.
    const ws = new WebSocket(`ws://127.0.0.1:${s.port}/ws.lsp`);
    const got: string[] = [];
    await new Promise<void>((resolve, reject) => {
      ws.on('open', () => ws.send('hi'));
      ws.on('message', (d, isBinary) => {
        got.push(`${isBinary ? 'bin' : 'text'}:${d.toString()}`);
        if (got.length === 1) ws.send(Buffer.from('bytes'));
        else {
          ws.close();
          resolve();
        }
      });
      ws.on('error', reject);
    });
    assert.deepEqual(got, ['text:echo hi', 'bin:echo bytes']);
  } finally {
    s.close();
  }
});

test('auth: Basic rule, form rule with session cookie, WebSocket authenticated by the cookie', async () => {
  const s = await startTestServer([{ name: '', prio: 0, path: SOCK }], {
    raw: {
      users: { admin: 'secret', viewer: 'sha256:' + createHash('sha256').update('view pass').digest('hex') },
      auth: { '1': { path: '/private/', type: 'form', realm: 'Private area' }, '2': { path: '/raw.lsp', type: 'basic', users: { '1': 'admin' } } },
    },
  });
  try {
    assert.equal((await request(s.port, '/public.txt')).status, 200);
    // Basic: challenge, wrong password, wrong user for the rule, right one.
    const ch = await request(s.port, '/raw.lsp');
    assert.equal(ch.status, 401);
    assert.match(String(ch.headers['www-authenticate']), /^Basic realm="remora"/);
    const b64 = (u: string, p: string): string => 'Basic ' + Buffer.from(`${u}:${p}`).toString('base64');
    assert.equal((await request(s.port, '/raw.lsp', { headers: { Authorization: b64('admin', 'nope') } })).status, 401);
    assert.equal((await request(s.port, '/raw.lsp', { headers: { Authorization: b64('viewer', 'view pass') } })).status, 403);
    // Percent-encoded letters do not get around a rule.
    assert.equal((await request(s.port, '/%70rivate/')).status, 401);
    // Form: login page, failed login, successful login, then the cookie works for pages and WebSockets.
    const form = await request(s.port, '/private/');
    assert.equal(form.status, 401);
    assert.match(form.body, /name="ba_username"/);
    const bad = await request(s.port, '/private/', { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'ba_username=admin&ba_password=wrong' });
    assert.equal(bad.status, 401);
    assert.match(bad.body, /Wrong user name or password/);
    const good = await request(s.port, '/private/', { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'ba_username=viewer&ba_password=view+pass' });
    assert.equal(good.status, 302);
    assert.equal(good.headers.location, `http://127.0.0.1:${s.port}/private/`);
    const cookie = String(good.headers['set-cookie']).split(';')[0]!;
    const page = await request(s.port, '/private/', { headers: { Cookie: cookie } });
    assert.equal(page.body, 'private page\tviewer\t\tform\n');
    // WebSocket request: refused without the cookie, accepted with it.
    const noCookie = await request(s.port, '/private/ws.lsp', { headers: { Upgrade: 'websocket', Connection: 'Upgrade', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version': '13' } });
    assert.equal(noCookie.status, 401);
    const c = new RawClient(s.port);
    await c.connected();
    c.send(`GET /private/ws.lsp HTTP/1.1\r\nHost: x\r\nCookie: ${cookie}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    const head = await c.until((t) => t.length > 0 && (t.includes('\r\n\r\n') || !t.startsWith('HTTP')));
    assert.doesNotMatch(head, /^HTTP\/1\.1 401/);
    c.destroy();
    // Passwords never reach the log.
    assert.doesNotMatch(s.log.text(), /secret|view pass|wrong/);
  } finally {
    s.close();
  }
});

test('req2sock from a page whose client went away returns nil, "socketclosed"', async () => {
  const s = await startTestServer([{ name: '', prio: 0, path: SOCK }]);
  try {
    const c = new RawClient(s.port);
    await c.connected();
    c.send('GET /gone.lsp HTTP/1.1\r\nHost: x\r\n\r\n');
    // The page must be running (in its ba.sleep) before the client goes: a page whose client
    // left while it waited to start is not run at all.
    const pool = (s.server.http.pages as unknown as { pool: { running: Set<unknown> } }).pool;
    await waitFor(() => s.server.http.connectionCount === 1 && pool.running.size === 1, 5000, 'connection');
    // RST: the connection is gone (a FIN alone would be a half-close, still writable).
    c.sock.resetAndDestroy();
    await waitFor(() => /gone/.test(s.log.text()), 5000, 'page');
    assert.match(s.log.text(), / 3: gone\tnil\tsocketclosed\n/);
  } finally {
    s.close();
  }
});
