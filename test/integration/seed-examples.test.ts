// The seed document's TCP examples, run with their Lua text unchanged (test/fixtures/seed/;
// only host names and ports substituted) against real node:net / node:http peers.
// REMORA_SLOW_PEER=1 makes the clients send one byte at a time.
import test from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { Runtime } from '../../src/app/runtime.js';
import { MemoryLog } from '../../src/sched/trace-log.js';
import { freePort } from '../harness/net-util.js';

const slow = process.env.REMORA_SLOW_PEER === '1';
const fixture = (name: string) => readFileSync(`test/fixtures/seed/${name}`, 'utf8');


async function send(sock: net.Socket, data: Buffer): Promise<void> {
  if (!slow) {
    sock.write(data);
    return;
  }
  for (let i = 0; i < data.length; i++) {
    sock.write(data.subarray(i, i + 1));
    await new Promise((r) => setTimeout(r, 1));
  }
}

function readExactly(sock: net.Socket, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let got = 0;
    const onData = (d: Buffer) => {
      parts.push(d);
      got += d.length;
      if (got >= n) {
        sock.off('data', onData);
        resolve(Buffer.concat(parts));
      }
    };
    sock.on('data', onData);
    sock.once('error', reject);
  });
}

test('example 9: cosocket echo server, 20 clients with binary data', async () => {
  const log = new MemoryLog();
  const rt = await Runtime.create({ log, onExit: () => {} });
  const port = await freePort();
  // getMyServerSocket(): each accepted connection (seed example 3b's accept loop).
  const wrapper = `
local l = assert(ba.socket.bind(${port}, {intf = "127.0.0.1"}))
l:event(function(l)
  while true do
    local c = l:accept()
    if not c then break end
    local function getMyServerSocket() return c end
    ${fixture('example-09-cosocket-echo.lua')}
  end
end)`;
  await rt.run(wrapper, '=example9');
  try {
    await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const c = net.connect(port, '127.0.0.1');
        await new Promise((r) => c.once('connect', r));
        const payload = Buffer.alloc(slow ? 300 : 100_000 + i);
        for (let k = 0; k < payload.length; k++) payload[k] = (k * 7 + i) & 0xff;
        const echoed = readExactly(c, payload.length);
        await send(c, payload);
        assert.ok((await echoed).subarray(0, payload.length).equals(payload));
        c.destroy();
      }),
    );
    assert.equal(log.text(), '');
  } finally {
    rt.dispose();
  }
});

test('example 10: a ba.socket.event client that connects inside its coroutine', async () => {
  const log = new MemoryLog();
  const rt = await Runtime.create({ log, onExit: () => {} });
  // An echo server that closes after three replies.
  const server = net.createServer((s) => {
    let n = 0;
    s.on('data', (d) => {
      if (n >= 3) return;
      s.write(d);
      if (++n === 3) setTimeout(() => s.end(), 20);
    });
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const src = fixture('example-10-event-connect.lua').replace('"MyEchoServer", 8080', `"127.0.0.1", ${port}`);
  try {
    await rt.run(src, '=example10');
    const deadline = Date.now() + 5000;
    while (!log.text().includes('Socket err:') && Date.now() < deadline) await log.next().catch(() => {});
    // trace() names the calling function; a coroutine's main function has no name.
    const lines = log.text().replace(/\n$/, '').split('\n');
    assert.deepEqual(lines.slice(0, 3), [' 11: hello', ' 11: hello', ' 11: hello']);
    assert.equal(lines.at(-1), ' 13: Socket err:\tsocketreadfailed');
  } finally {
    rt.dispose();
    server.close();
  }
});

test('WebSocket proxy: two cosockets joined by disable/enable relay HTTP to a local upstream', async () => {
  const log = new MemoryLog();
  const rt = await Runtime.create({ log, onExit: () => {} });
  const big = Buffer.alloc(1024 * 1024, 0x5a);
  const upstream = http.createServer((req, res) => {
    if (req.url === '/big') res.end(big);
    else res.end(`hello ${req.url}`);
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const upPort = (upstream.address() as net.AddressInfo).port;
  const proxyPort = await freePort();
  const src =
    'serverName = "127.0.0.1"\n' +
    fixture('websocket-proxy.lua').replace('ba.socket.connect(serverName,80)', `ba.socket.connect(serverName,${upPort})`).replace('ba.socket.bind(8080)', `ba.socket.bind(${proxyPort})`);
  const get = (path: string) =>
    new Promise<string>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port: proxyPort, path, agent: false }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (d: Buffer) => parts.push(d));
        res.on('end', () => resolve(Buffer.concat(parts).toString('latin1')));
      });
      req.on('error', reject);
    });
  try {
    await rt.run(src, '=proxy');
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => get(`/r${i}`)));
    answers.forEach((a, i) => assert.equal(a, `hello /r${i}`));
    const b = await get('/big');
    assert.equal(b.length, big.length);
    assert.ok(Buffer.from(b, 'latin1').equals(big));
    // Slow client through the proxy.
    const c = net.connect(proxyPort, '127.0.0.1');
    await new Promise((r) => c.once('connect', r));
    // The seed's proxy closes only the upstream side when the upstream closes; the client
    // side closes when the client does. So read until the body is there.
    const reply = new Promise<string>((resolve) => {
      let s = '';
      c.on('data', (d) => {
        s += d.toString();
        if (s.endsWith('hello /slow')) resolve(s);
      });
    });
    await send(c, Buffer.from('GET /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
    assert.match(await reply, /^HTTP\/1.1 200 OK/);
    c.destroy();
    assert.doesNotMatch(log.text(), /Lua error/);
  } finally {
    rt.dispose();
    upstream.close();
  }
});
