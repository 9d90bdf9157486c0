// Issue 14 item 4: one back-pressure rule for every writer. A client that pipelines requests
// and never reads, and a page writing to a client that does not read, do not make the server
// queue the output in memory; the health probe is served meanwhile.
import test from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { get, sleep, startServer, whileProbing } from './harness.js';

test('pipelined requests for a 60 KB file from a client that never reads: memory stays flat', async () => {
  const srv = await startServer({ 'big.bin': 'x'.repeat(60_000) });
  const clients: net.Socket[] = [];
  try {
    await get(srv.port, '/big.bin');
    await sleep(300);
    const before = srv.rssMB();
    await whileProbing(srv.port, async () => {
      // 2 x 1,500 requests: 180 MB of responses if they were all queued.
      for (let c = 0; c < 2; c++) {
        const s = net.connect(srv.port, '127.0.0.1');
        s.on('error', () => {});
        s.pause(); // never reads
        s.write('GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(1500));
        clients.push(s);
      }
      await sleep(3000);
    });
    const grown = srv.rssMB() - before;
    assert.ok(grown < 60, `RSS grew by ${grown.toFixed(0)} MB`);
  } finally {
    for (const s of clients) s.destroy();
    await srv.stop();
  }
});

test('a page writing 100 MB to a client that does not read waits in response:write; it finishes once the client reads', async () => {
  const page = `<?lsp
local chunk = string.rep("y", 65536)
for i = 1, 1600 do response:write(chunk) app.progress = i end
?>`;
  const status = `<?lsp response:write(tostring(app.progress or 0)) ?>`;
  const srv = await startServer({ 'flood.lsp': page, 'status.lsp': status });
  const s = net.connect(srv.port, '127.0.0.1');
  try {
    await get(srv.port, '/status.lsp');
    await sleep(300);
    const before = srv.rssMB();
    let received = 0;
    s.on('error', () => {});
    s.pause();
    s.write('GET /flood.lsp HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    await whileProbing(srv.port, async () => {
      await sleep(2000);
      const progress = Number((await get(srv.port, '/status.lsp')).body);
      assert.ok(progress > 0 && progress < 200, `the page wrote ${progress} of 1600 chunks to a client that reads nothing`);
    });
    const grown = srv.rssMB() - before;
    assert.ok(grown < 60, `RSS grew by ${grown.toFixed(0)} MB`);
    // Now the client reads: the page goes on and the whole body arrives.
    const ended = new Promise<void>((r) => s.on('end', r));
    s.on('data', (b: Buffer) => (received += b.length));
    s.resume();
    await ended;
    assert.ok(received > 1600 * 65536, `received ${received}; server output:\n${srv.out()}`);
    assert.equal((await get(srv.port, '/status.lsp')).body, '1600');
  } finally {
    s.destroy();
    await srv.stop();
  }
});

test('a ping flood from a WebSocket client that never reads: pongs are dropped, memory stays flat', async () => {
  const ws = `<?lsp
if request:header"Sec-WebSocket-Key" then
  local s = ba.socket.req2sock(request)
  s:event(function(s)
    while true do
      local d = s:read()
      if not d then break end
    end
  end, "s")
end
?>`;
  const srv = await startServer({ 'ws.lsp': ws });
  const s = net.connect(srv.port, '127.0.0.1');
  try {
    await get(srv.port, '/health.txt');
    s.on('error', () => {});
    s.write('GET /ws.lsp HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
    await new Promise<void>((r) => s.once('data', () => r()));
    s.pause(); // never reads again
    await sleep(300);
    const before = srv.rssMB();
    // A masked ping with a 100-byte payload, 200,000 times (20 MB of pongs if all were queued).
    const payload = Buffer.alloc(100, 0x61);
    const frame = Buffer.concat([Buffer.from([0x89, 0x80 | 100, 0, 0, 0, 0]), payload]);
    await whileProbing(srv.port, async () => {
      for (let i = 0; i < 200; i++) {
        if (!s.write(Buffer.concat(Array.from({ length: 1000 }, () => frame)))) await new Promise((r) => s.once('drain', r));
      }
      await sleep(1000);
    });
    const grown = srv.rssMB() - before;
    assert.ok(grown < 40, `RSS grew by ${grown.toFixed(0)} MB`);
  } finally {
    s.destroy();
    await srv.stop();
  }
});
