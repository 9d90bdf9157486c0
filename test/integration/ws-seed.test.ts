// The seed's WebSocket client code runs unchanged (test/fixtures/seed/websocket-client*.lua;
// only the server address substituted) in thread-pool jobs against a local `ws` echo server:
// openWebSocketCon with an "s"-mode cosocket, wsread assembling long messages, and the blocking
// client page logic of seed example 2.
import test from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { WebSocketServer } from 'ws';
import { Runtime } from '../../src/app/runtime.js';
import { MemoryLog } from '../../src/sched/trace-log.js';

const fixture = (name: string) => readFileSync(`test/fixtures/seed/${name}`, 'utf8');

async function echoServer(): Promise<{ wss: WebSocketServer; port: number }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((r) => wss.once('listening', r));
  wss.on('connection', (ws) => ws.on('message', (d, isBinary) => ws.send(d, { binary: isBinary })));
  return { wss, port: (wss.address() as net.AddressInfo).port };
}

async function until(log: MemoryLog, re: RegExp): Promise<void> {
  const end = Date.now() + 10_000;
  while (!re.test(log.text())) {
    if (Date.now() > end) throw new Error(`timeout waiting for ${re}; log:\n${log.text()}`);
    await Promise.race([log.next(), new Promise((r) => setTimeout(r, 50))]);
  }
}

test('seed openWebSocketCon + wsread: an "s"-mode cosocket client over a thread job', async () => {
  const { wss, port } = await echoServer();
  const log = new MemoryLog();
  const rt = await Runtime.create({ log, onExit: () => {} });
  // The coroutine the seed's snippet attaches; it uses the fixture's wsread (same chunk).
  const src = fixture('websocket-client.lua')
    .replace('ws://My-WebSocket-Server', `ws://127.0.0.1:${port}`)
    .replace(
      'local function openWebSocketCon()',
      `function myWebSocketCoroutine(s)
   s:write("hello", true)
   print("1", wsread(s))
   local big = string.rep("0123456789", 30000)
   s:write(big)
   local d, utf8 = wsread(s)
   print("2", #d, utf8, d == big)
   s:close()
   print("done")
end
local function openWebSocketCon()`,
    );
  try {
    await rt.run(src, '=seed-ws-client');
    await until(log, /done\n/);
    assert.equal(log.text(), '1\thello\ttrue\n2\t300000\tfalse\ttrue\ndone\n');
  } finally {
    rt.dispose();
    wss.close();
  }
});

test('seed example 2: the blocking WebSocket client page logic', async () => {
  const { wss, port } = await echoServer();
  const log = new MemoryLog();
  const rt = await Runtime.create({ log, onExit: () => {} });
  const src = 'local MESSAGE = "Hello from the form ' + 'é'.repeat(5000) + '"\n' + fixture('websocket-client-page.lua').replace('ws://My-WebSocket-Server', `ws://127.0.0.1:${port}`);
  try {
    await rt.run(src, '=seed-ws-page');
    await until(log, /<\/p>/);
    assert.equal(log.text(), `<p>Echo server returned: Hello from the form ${'é'.repeat(5000)}</p>\ttrue\n`);
  } finally {
    rt.dispose();
    wss.close();
  }
});
