// WebSocket interop with the `ws` package, both ways (issue 7): a remora client (require"httpc"
// + ba.socket.http2sock) against a `ws` server, and remora server sockets against `ws`
// clients. Server sockets come from the test bridge (test/harness/ws-bridge.ts), which uses
// the same entry point as ba.socket.req2sock. Covers 1 MiB messages (64-bit lengths both
// ways), interleaved pings, close codes both ways and fragmented messages sent by `ws`.
import test from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { Runtime } from '../../src/app/runtime.js';
import { MemoryLog } from '../../src/sched/trace-log.js';
import { installWsBridge } from '../harness/ws-bridge.js';
import { freePort } from '../harness/net-util.js';

const MiB = 1024 * 1024;

async function runtime(): Promise<{ rt: Runtime; log: MemoryLog }> {
  const log = new MemoryLog();
  const rt = await Runtime.create({ log, onExit: () => {} });
  installWsBridge(rt);
  return { rt, log };
}

async function waitLog(log: MemoryLog, re: RegExp, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!re.test(log.text())) {
    if (Date.now() > end) throw new Error(`timeout waiting for ${re}; log:\n${log.text()}`);
    await Promise.race([log.next(), new Promise((r) => setTimeout(r, 50))]);
  }
}

function toBuf(d: RawData): Buffer {
  return Array.isArray(d) ? Buffer.concat(d) : Buffer.isBuffer(d) ? d : Buffer.from(d);
}


// ---- remora client, ws server --------------------------------------------------------------

test('remora client against a ws server: messages, 1 MiB both ways, pings, fragments, close codes', async () => {
  const { rt, log } = await runtime();
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: 64 * MiB });
  await new Promise((r) => wss.once('listening', r));
  const port = (wss.address() as net.AddressInfo).port;
  const seen: { key?: string; origin?: string; pongs: number; pings: string[]; closeCode?: number } = { pongs: 0, pings: [] };
  wss.on('connection', (ws, req) => {
    seen.key = req.headers['sec-websocket-key'];
    seen.origin = req.headers.origin;
    ws.on('pong', () => seen.pongs++);
    ws.on('ping', (d) => seen.pings.push(d.toString()));
    ws.on('close', (code) => (seen.closeCode = code));
    ws.on('message', (d, isBinary) => {
      const b = toBuf(d);
      const text = isBinary ? '' : b.toString();
      if (text === 'fragments') {
        // Interleaved pings, then a message in three fragments with a ping among them.
        ws.ping('p1');
        ws.send('frag-', { fin: false, binary: false });
        ws.ping('p2');
        ws.send('ment', { fin: false, binary: false });
        ws.send('ed', { fin: true, binary: false });
        return;
      }
      if (text === 'close-4001') {
        ws.close(4001, 'bye');
        return;
      }
      ws.ping('between');
      ws.send(b, { binary: isBinary });
    });
  });
  const lua = `
local function wsread(sock) local data,utf8,bytesRead,frameLen = sock:read() if frameLen then -- nil if not a fragment
 local t={} -- Assemble in table t
 repeat table.insert(t,data) data,utf8,bytesRead,frameLen = sock:read() until not data or frameLen == bytesRead if data then table.insert(t,data) data=table.concat(t) -- Assemble
 end -- else failed, utf8 is now errcode
 end return data,utf8 -- Returns data,utf8 or nil,ecode
 end
ba.thread.run(function()
  local h = require"httpc".create()
  assert(h:request{url = "ws://127.0.0.1:${port}/echo"})
  print("status", h:status(), h:header("Upgrade"))
  local s = assert(ba.socket.http2sock(h))
  print("websocket", s:websocket())
  s:write("hello", true)
  print("text", wsread(s))
  s:write("\\0\\1\\255")
  local d, t = wsread(s)
  print("binary", #d, t, d:byte(3))
  local big = string.rep("0123456789abcdef", 65536)
  print("write 1 MiB", s:write(big))
  d, t = wsread(s)
  print("1 MiB echo", #d, t, d == big)
  print("ping", s:ping("hi"))
  s:write("fragments", true)
  print("assembled", s:read())
  s:write("close-4001", true)
  print("close", s:read())
  print("close()", s:close())
end)`;
  try {
    await rt.run(lua, '=client');
    await waitLog(log, /close\(\)\t/);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(
      log.text(),
      [
        'status\t101\twebsocket\t101',
        'websocket\ttrue',
        'text\thello\ttrue',
        'binary\t3\tfalse\t255',
        'write 1 MiB\ttrue',
        '1 MiB echo\t1048576\tfalse\ttrue',
        'ping\ttrue',
        'assembled\tfrag-mented\ttrue',
        'close\tnil\tsocketclosed\t4001',
        'close()\ttrue',
        '',
      ].join('\n'),
    );
    // D1: a random 16-byte key, no Origin; our pongs answered every ping, ws saw our ping.
    assert.equal(Buffer.from(seen.key!, 'base64').length, 16);
    assert.equal(seen.origin, undefined);
    assert.ok(seen.pongs >= 5, `pongs ${seen.pongs}`);
    assert.deepEqual(seen.pings, ['hi']);
    assert.equal(seen.closeCode, 4001); // the reply echoed the code (D3)
  } finally {
    rt.dispose();
    wss.close();
  }
});

test('remora client: the ws server closing with 1000 and going away; a new key per connection', async () => {
  const { rt, log } = await runtime();
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((r) => wss.once('listening', r));
  const port = (wss.address() as net.AddressInfo).port;
  const keys: string[] = [];
  wss.on('connection', (ws, req) => {
    keys.push(req.headers['sec-websocket-key']!);
    ws.on('message', (d) => {
      if (d.toString() === 'terminate') ws.terminate();
      else ws.close();
    });
  });
  const lua = `
local function open()
  local h = require"httpc".create()
  assert(h:request{url = "ws://127.0.0.1:${port}/"})
  assert(h:status() == 101)
  return ba.socket.http2sock(h)
end
local s = open()
s:write("x")
print(s:read())
print(s:close())
s = open()
s:write("terminate")
print(s:read())
print(s:read())
print(pcall(s.read, s))
`;
  try {
    await rt.run(lua, '=client2');
    const lines = log.text().split('\n');
    assert.deepEqual(lines.slice(0, 4), ['nil\tsocketclosed\t1000', 'true', 'nil\tsocketreadfailed', 'nil\tsocketreadfailed']);
    assert.match(lines[4]!, /^false\t.*Invalid op: : Socket closed$/);
    assert.equal(keys.length, 2);
    assert.notEqual(keys[0], keys[1]);
  } finally {
    rt.dispose();
    wss.close();
  }
});

// ---- remora server, ws clients -------------------------------------------------------------

/** The Lua WebSocket echo server of test/fixtures/ws/echo-server.lua on `port`. */
function echoServerLua(port: number): string {
  return readFileSync('test/fixtures/ws/echo-server.lua', 'utf8').replace('ECHO_PORT', String(port));
}

function open(port: number): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { maxPayload: 64 * MiB });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

function nextMessage(ws: WebSocket): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((resolve) => ws.once('message', (d, isBinary) => resolve({ data: toBuf(d), isBinary })));
}

function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
}

test('remora server against ws clients: text, binary, 1 MiB, pings, fragments, close codes', async () => {
  const { rt, log } = await runtime();
  const port = await freePort();
  await rt.run(echoServerLua(port), '=server');
  try {
    const ws = await open(port);
    let pongs = 0;
    ws.on('pong', () => pongs++);
    const pingsFromServer: string[] = [];
    ws.on('ping', (d) => pingsFromServer.push(d.toString()));

    let m = nextMessage(ws);
    ws.send('hello');
    assert.deepEqual(await m, { data: Buffer.from('hello'), isBinary: false });

    m = nextMessage(ws);
    ws.send(Buffer.from([0, 1, 255]));
    assert.deepEqual(await m, { data: Buffer.from([0, 1, 255]), isBinary: true });

    // 1 MiB (64-bit length) both ways, pings interleaved.
    const big = randomBytes(MiB);
    m = nextMessage(ws);
    ws.ping('a');
    ws.send(big);
    ws.ping('b');
    const echoed = await m;
    assert.equal(echoed.isBinary, true);
    assert.ok(echoed.data.equals(big));
    const bigText = 'é'.repeat(MiB / 2);
    m = nextMessage(ws);
    ws.send(bigText);
    const t = await m;
    assert.equal(t.isBinary, false);
    assert.equal(t.data.toString(), bigText);

    // A fragmented message from ws, with a ping between the fragments.
    m = nextMessage(ws);
    ws.send('frag', { fin: false });
    ws.ping('c');
    ws.send('men', { fin: false });
    ws.send('ted', { fin: true });
    assert.equal((await m).data.toString(), 'fragmented');

    // A ping from the server.
    m = nextMessage(ws);
    ws.send('ping-me');
    await m;
    assert.deepEqual(pingsFromServer, ['srv']);
    assert.equal(pongs, 3);

    // The client closes with 4002: the server reads it and echoes the code.
    const c = closed(ws);
    ws.close(4002, 'done');
    assert.equal((await c).code, 4002);
    await waitLog(log, /peer close\t4002/);

    // The server closes: 1000.
    const ws2 = await open(port);
    const c2 = closed(ws2);
    ws2.send('close-me');
    assert.equal((await c2).code, 1000);
    assert.doesNotMatch(log.text(), /Lua error/);
  } finally {
    rt.dispose();
  }
});
