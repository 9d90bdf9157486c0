// Issue 14 item 3: one deadline and eviction policy for every HTTP connection phase. Slow
// request bodies (R.U.D.Y.), trickled heads (slowloris), silent connections and a connection
// flood do not stop the server from answering a health probe, and every slow connection is
// closed by its deadline.
import test from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { get, sleep, startServer, until, whileProbing } from './harness.js';

interface Evil {
  sock: net.Socket;
  closed: boolean;
}

function open(port: number, first: string): Evil {
  const e: Evil = { sock: net.connect(port, '127.0.0.1', () => e.sock.write(first)), closed: false };
  e.sock.on('error', () => {});
  e.sock.on('close', () => (e.closed = true));
  e.sock.resume();
  return e;
}

test('R.U.D.Y. bodies, slowloris heads, silent connections and a connection flood: the probe is served, the slow ones are closed', async () => {
  const srv = await startServer({}, 'conncnt = 10\nheadtimeout = 1500\nbodytimeout = 1500\nbodyminrate = 1024\nidletimeout = 1500');
  const evil: Evil[] = [];
  try {
    await whileProbing(srv.port, async () => {
      // More slow bodies than there are slots; each sends one byte every 300 ms.
      for (let i = 0; i < 15; i++) evil.push(open(srv.port, 'POST /health.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n'));
      for (let i = 0; i < 15; i++) evil.push(open(srv.port, 'GET /health.txt HTTP/1.1\r\nHost: x\r\nX-Slow: '));
      const silent: net.Socket[] = [];
      for (let i = 0; i < 20; i++) silent.push(open(srv.port, '').sock);
      // A flood of connections that connect and close at once, 2,000 in batches.
      for (let n = 0; n < 2000; n += 100) {
        await Promise.all(
          Array.from(
            { length: 100 },
            () =>
              new Promise<void>((resolve) => {
                const s = net.connect(srv.port, '127.0.0.1', () => s.destroy());
                s.on('close', () => resolve());
                s.on('error', () => resolve());
              }),
          ),
        );
        for (const e of evil) if (!e.closed) e.sock.write('a');
      }
      // Keep trickling until the deadlines have closed every slow connection.
      const allClosed = await until(() => {
        for (const e of evil) if (!e.closed) e.sock.write('a');
        return evil.every((e) => e.closed);
      }, 20_000);
      assert.ok(allClosed, `${evil.filter((e) => !e.closed).length} slow connections still open`);
      assert.ok(await until(() => silent.every((s) => s.destroyed || s.readableEnded), 10_000), 'silent connections still open');
      for (const s of silent) s.destroy();
    });
    await sleep(100);
  } finally {
    for (const e of evil) e.sock.destroy();
    await srv.stop();
  }
});

test('R.U.D.Y. against a page that reads a streamed body: the body deadline applies, other pages are served', async () => {
  const files = {
    'upload.lsp': '<?lsp local n = 0 for d in request:rawrdr(4096) do n = n + #d end response:write(n) ?>',
    'hello.lsp': '<?lsp response:write("hello") ?>',
  };
  const srv = await startServer(files, 'commandcnt = 3\nbodytimeout = 1500\nbodyminrate = 1024');
  const evil: Evil[] = [];
  try {
    await whileProbing(srv.port, async () => {
      // More slow uploads than page slots (commandcnt); each sends one byte every 100 ms.
      for (let i = 0; i < 5; i++) evil.push(open(srv.port, 'POST /upload.lsp HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: 10000000\r\n\r\n'));
      const allClosed = await until(() => {
        for (const e of evil) if (!e.closed) e.sock.write('a');
        return evil.every((e) => e.closed);
      }, 20_000);
      assert.ok(allClosed, `${evil.filter((e) => !e.closed).length} slow uploads still open`);
      const r = await get(srv.port, '/hello.lsp');
      assert.equal(r.body, 'hello');
    });
  } finally {
    for (const e of evil) e.sock.destroy();
    await srv.stop();
  }
});

test('more concurrent requests than conncnt while every slot runs a page: they wait for a slot, none is refused', async () => {
  const srv = await startServer({ 'slow.lsp': '<?lsp ba.sleep(300) response:write("done") ?>' }, 'conncnt = 3\ncommandcnt = 3');
  try {
    const results = await Promise.all(Array.from({ length: 12 }, () => get(srv.port, '/slow.lsp')));
    assert.deepEqual(
      results.map((r) => r.body),
      Array.from({ length: 12 }, () => 'done'),
    );
  } finally {
    await srv.stop();
  }
});
