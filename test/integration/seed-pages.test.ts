// The seed's LSP pages unchanged against local peers: the blocking NTP pages (a UDP responder
// on loopback stands in for pool.ntp.org) and example 12b (a page writing to a cosocket until
// its queue is full, with the seed's .preload receiver). Only host/port literals are
// substituted so the peers can use ports chosen at run time.
import test from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { copyApp, request, startTestServer, waitFor } from '../harness/app-server.js';
import { freePort } from '../harness/net-util.js';

const SERVER_TIME = Date.UTC(2024, 0, 2, 3, 4, 5) / 1000;

async function ntpResponder(): Promise<{ port: number; close(): void }> {
  const sock = dgram.createSocket('udp4');
  sock.on('message', (msg, rinfo) => {
    if (msg.length !== 48) return;
    const reply = Buffer.alloc(48);
    reply[0] = 0x24;
    reply[1] = 1;
    for (const off of [16, 32, 40]) reply.writeUInt32BE(SERVER_TIME + 2208988800, off);
    sock.send(reply, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  return { port: sock.address().port, close: () => sock.close() };
}


function substitute(dir: string, from: string, to: string): void {
  for (const name of readdirSync(dir)) {
    const f = join(dir, name);
    const t = readFileSync(f, 'latin1');
    if (t.includes(from)) writeFileSync(f, t.split(from).join(to), 'latin1');
  }
}

test('seed: the blocking NTP pages run unchanged against a local NTP responder', async () => {
  const ntp = await ntpResponder();
  const app = copyApp('test/fixtures/apps/seed');
  substitute(app.dir, '"pool.ntp.org",123', `"127.0.0.1",${ntp.port}`);
  substitute(app.dir, '8888', String(await freePort()));
  const s = await startTestServer([{ name: '', prio: 0, path: app.dir }]);
  try {
    for (const page of ['/ntp-function.lsp', '/ntp-inline.lsp']) {
      const r = await request(s.port, page);
      assert.equal(r.status, 200, page);
      assert.equal(r.body, 'NTP Date and time:\tTue Jan 02 03:04:05 2024\n', page);
    }
  } finally {
    s.close();
    ntp.close();
    app.remove();
  }
});

test('seed example 12b: an LSP page writes to a cosocket until the queue is full', async () => {
  const app = copyApp('test/fixtures/apps/seed');
  substitute(app.dir, '8888', String(await freePort()));
  // The page never waits while it fills the kernel's buffers with 5-byte writes (hundreds of
  // thousands of them): it needs more than the default 1 s CPU budget, so its app gets its own
  // (docs/compat.md, D7).
  const s = await startTestServer([{ name: '', prio: 0, path: app.dir, cpubudget: 60_000 }]);
  try {
    // The page answers only when it has filled the queue (thousands of traced writes): allow a
    // loaded machine a minute of silence instead of the default 10 s.
    const r = await request(s.port, '/queue-full.lsp', { timeoutMs: 60_000 });
    assert.equal(r.status, 200);
    const m = /^Socket queue full\t(\d+)\t(\d+)\n$/.exec(r.body);
    assert.ok(m, r.body);
    assert.ok(Number(m[1]) >= 16384, r.body);
    assert.equal(Number(m[2]), 16384);
    // The page never waits, so the receiver reads only after the page has ended.
    await waitFor(() => s.log.text().includes('received first message; now stop'), 60_000, 'receiver');
    assert.ok(s.log.text().startsWith(`HTTP server listening on port ${s.port}\n 7: true\t0\n`));
  } finally {
    s.close();
    app.remove();
  }
});
