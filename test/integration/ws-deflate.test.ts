// permessage-deflate (RFC 7692, issue 16) against the `ws` package both ways, the kinds of
// cases Autobahn|Testsuite sections 12 and 13 run: many messages of many sizes, text and binary,
// with every combination of context takeover and window limits the client can offer; fragmented
// compressed messages; a zip bomb (closes 1009); the configuration default and req2sock's
// option. Then the client side: http2sock with `deflate = true` against a `ws` server, and
// answers the RFC forbids. Also issue 16 item 5: an echo of pieces never cuts a character.
import test from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { startTestServer, type TestServer } from '../harness/app-server.js';
import { Runtime } from '../../src/app/runtime.js';
import { MemoryLog } from '../../src/sched/trace-log.js';

const APP = 'test/fixtures/apps/wsdeflate';
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

type DeflateOpts = false | { serverNoContextTakeover?: boolean; clientNoContextTakeover?: boolean; serverMaxWindowBits?: number; clientMaxWindowBits?: number };

function toBuf(d: RawData): Buffer {
  return Array.isArray(d) ? Buffer.concat(d) : Buffer.isBuffer(d) ? d : Buffer.from(d);
}

/** A connected `ws` client; `ext` is the server's Sec-WebSocket-Extensions answer. */
async function connect(url: string, perMessageDeflate: DeflateOpts): Promise<{ ws: WebSocket; ext: string | undefined }> {
  const ws = new WebSocket(url, { perMessageDeflate: perMessageDeflate === false ? false : { threshold: 0, ...perMessageDeflate }, maxPayload: 64 * 1024 * 1024 });
  let ext: string | undefined;
  ws.on('upgrade', (res) => (ext = res.headers['sec-websocket-extensions'] as string | undefined));
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return { ws, ext };
}

/** Sends each message and waits for its echo (in order); returns the echoes. */
async function echoAll(ws: WebSocket, msgs: Array<string | Buffer>): Promise<Array<string | Buffer>> {
  const got: Array<string | Buffer> = [];
  await new Promise<void>((resolve, reject) => {
    let i = 0;
    ws.on('message', (d, isBinary) => {
      got.push(isBinary ? toBuf(d) : toBuf(d).toString());
      if (++i === msgs.length) resolve();
      else ws.send(msgs[i]!);
    });
    ws.once('close', (code) => reject(new Error(`closed with ${code} after ${got.length} echoes`)));
    ws.send(msgs[0]!);
  });
  return got;
}

async function closeWs(ws: WebSocket): Promise<number> {
  return new Promise((resolve) => {
    ws.once('close', (code) => resolve(code));
    ws.close(1000);
  });
}

/** Autobahn 12.x-like payloads: text is JSON-ish (compressible), binary random or repeated. */
function payloads(size: number, n: number, binary: boolean): Array<string | Buffer> {
  const out: Array<string | Buffer> = [];
  for (let i = 0; i < n; i++) {
    if (binary) out.push(i % 2 ? randomBytes(size) : Buffer.alloc(size, i));
    else {
      let s = `{"i":${i},"t":"é€",`;
      while (s.length < size) s += `"k${s.length % 97}":${i},`;
      out.push(s.slice(0, size));
    }
  }
  return out;
}

test('req2sock: compressed echo with the ws client, every offer the client can make', { timeout: 300_000 }, async () => {
  const s = await startTestServer([{ name: '', prio: 0, path: APP }]);
  const url = `ws://127.0.0.1:${s.port}/echo.lsp?deflate=1`;
  const offers: Array<[DeflateOpts, string]> = [
    [{}, 'permessage-deflate'],
    [{ serverNoContextTakeover: true }, 'permessage-deflate; server_no_context_takeover'],
    [{ clientNoContextTakeover: true }, 'permessage-deflate; client_no_context_takeover'],
    [{ serverMaxWindowBits: 9 }, 'permessage-deflate; server_max_window_bits=9'],
    [{ serverMaxWindowBits: 15, clientMaxWindowBits: 9 }, 'permessage-deflate; server_max_window_bits=15'],
    [{ serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 9 }, 'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9'],
    // A 256-byte window cannot be produced by zlib: accepted, and the server sends uncompressed.
    [{ serverMaxWindowBits: 8 }, 'permessage-deflate; server_max_window_bits=8'],
  ];
  try {
    for (const [opts, answer] of offers) {
      const { ws, ext } = await connect(url, opts);
      assert.equal(ext, answer, JSON.stringify(opts));
      for (const size of [0, 16, 125, 1024, 8192, 8193, 65536, 131072]) {
        for (const binary of [false, true]) {
          const msgs = payloads(size, size > 8192 ? 4 : 20, binary);
          assert.deepEqual(await echoAll(ws, msgs), msgs, `${JSON.stringify(opts)} size ${size} binary ${binary}`);
          ws.removeAllListeners('message');
          ws.removeAllListeners('close');
        }
      }
      assert.equal(await closeWs(ws), 1000);
    }
    // Fragmented compressed messages, a ping among the fragments.
    const { ws } = await connect(url, {});
    const got = new Promise<Buffer>((resolve) => ws.once('message', (d) => resolve(toBuf(d))));
    const text = 'fragment '.repeat(5000);
    ws.send(text.slice(0, 10000), { fin: false, compress: true });
    ws.ping('between');
    ws.send(text.slice(10000), { fin: true, compress: true });
    assert.equal((await got).toString(), text);
    assert.equal(await closeWs(ws), 1000);
    assert.doesNotMatch(s.log.text(), /error/i);
  } finally {
    s.close();
  }
});

test('req2sock: a message inflating beyond wsmaxsize closes 1009 (zip bomb)', async () => {
  const s = await startTestServer([{ name: '', prio: 0, path: APP }], { wsmaxsize: 1024 * 1024 });
  try {
    const { ws } = await connect(`ws://127.0.0.1:${s.port}/echo.lsp?deflate=1`, {});
    // Under the limit both ways, then 64 MiB of zeros: about 64 KiB on the wire.
    assert.deepEqual(await echoAll(ws, [Buffer.alloc(1024 * 1024, 1)]), [Buffer.alloc(1024 * 1024, 1)]);
    ws.removeAllListeners('close');
    const code = new Promise<number>((resolve) => ws.once('close', (c) => resolve(c)));
    ws.send(Buffer.alloc(64 * 1024 * 1024));
    assert.equal(await code, 1009);
  } finally {
    s.close();
  }
});

test('req2sock: off by default, the configuration turns it on, the option wins', async () => {
  const off = await startTestServer([{ name: '', prio: 0, path: APP }]);
  const on = await startTestServer([{ name: '', prio: 0, path: APP }], { wsdeflate: true });
  try {
    const cases: Array<[TestServer, string, string | undefined]> = [
      [off, '', undefined],
      [off, '?deflate=1', 'permessage-deflate'],
      [on, '', 'permessage-deflate'],
      [on, '?deflate=0', undefined],
    ];
    for (const [srv, query, answer] of cases) {
      const { ws, ext } = await connect(`ws://127.0.0.1:${srv.port}/echo.lsp${query}`, {});
      assert.equal(ext, answer, query);
      assert.deepEqual(await echoAll(ws, ['x'.repeat(1000)]), ['x'.repeat(1000)]);
      await closeWs(ws);
    }
    // A client that offers nothing gets nothing.
    const { ws, ext } = await connect(`ws://127.0.0.1:${on.port}/echo.lsp`, false);
    assert.equal(ext, undefined);
    await closeWs(ws);
  } finally {
    off.close();
    on.close();
  }
});

test('an echo of pieces never cuts a UTF-8 character (20 KB of 3-byte characters)', async () => {
  const s = await startTestServer([{ name: '', prio: 0, path: APP }]);
  try {
    const text = '€'.repeat(7000); // 21000 bytes: pieces of at most 8192 bytes
    for (const [query, deflate] of [['?pieces=1', false], ['?pieces=1&deflate=1', {}], ['?pieces=1&maxsize=1000', false]] as const) {
      const { ws } = await connect(`ws://127.0.0.1:${s.port}/echo.lsp${query}`, deflate);
      const got: string[] = [];
      let total = 0;
      await new Promise<void>((resolve, reject) => {
        ws.on('message', (d, isBinary) => {
          assert.equal(isBinary, false);
          const str = toBuf(d).toString();
          got.push(str);
          total += Buffer.byteLength(str);
          if (total >= 21000) resolve();
        });
        ws.once('close', (code) => reject(new Error(`${query}: closed with ${code}`)));
        ws.send(text);
      });
      assert.equal(got.join(''), text, query);
      assert.ok(got.length >= 3, `${query}: ${got.length} pieces`);
      assert.equal(await closeWs(ws), 1000);
    }
  } finally {
    s.close();
  }
});

// ---- client side ---------------------------------------------------------------------------

async function clientRuntime(): Promise<{ rt: Runtime; log: MemoryLog }> {
  const log = new MemoryLog();
  const rt = await Runtime.create({ log, onExit: () => {} });
  return { rt, log };
}

async function waitLog(log: MemoryLog, re: RegExp, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!re.test(log.text())) {
    if (Date.now() > end) throw new Error(`timeout waiting for ${re}; log:\n${log.text()}`);
    await Promise.race([log.next(), new Promise((r) => setTimeout(r, 50))]);
  }
}

const CLIENT_LUA = (url: string) => `
local function wsread(sock)
  local data, utf8, bytesRead, frameLen = sock:read()
  if frameLen then
    local t = {}
    repeat t[#t + 1] = data; data, utf8, bytesRead, frameLen = sock:read() until not data or frameLen == bytesRead
    if data then t[#t + 1] = data; data = table.concat(t) end
  end
  return data, utf8
end
ba.thread.run(function()
  local h = require"httpc".create()
  assert(h:request{url = "${url}", deflate = true})
  assert(h:status() == 101)
  local s, err = ba.socket.http2sock(h)
  print("http2sock", s and "ws" or err)
  if not s then return end
  local ok = true
  for i = 1, 30 do
    local m = string.rep('{"seq":' .. i .. ',"v":"é€"}', i * 97)
    s:write(m, true)
    local d, t = wsread(s)
    ok = ok and d == m and t == true
  end
  local big = string.rep("0123456789abcdef", 65536)
  s:write(big)
  local d, t = wsread(s)
  print("echo", ok, #d, t, d == big)
  print("close", s:close())
end)`;

test('http2sock with deflate = true: compressed exchange with a ws server, every answer it can give', { timeout: 120_000 }, async () => {
  const configs: Array<Record<string, unknown>> = [
    { threshold: 0 },
    { threshold: 0, serverNoContextTakeover: true, clientNoContextTakeover: true },
    { threshold: 0, serverMaxWindowBits: 10, clientMaxWindowBits: 9 },
    { threshold: 0, clientMaxWindowBits: 8 },
  ];
  for (const pmd of configs) {
    const { rt, log } = await clientRuntime();
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: pmd, maxPayload: 64 * 1024 * 1024 });
    await new Promise((r) => wss.once('listening', r));
    const port = (wss.address() as net.AddressInfo).port;
    let offer: string | undefined;
    let sock: net.Socket | null = null;
    wss.on('connection', (ws, req) => {
      offer = req.headers['sec-websocket-extensions'] as string | undefined;
      sock = req.socket as net.Socket;
      ws.on('message', (d, isBinary) => ws.send(toBuf(d), { binary: isBinary }));
    });
    try {
      await rt.run(CLIENT_LUA(`ws://127.0.0.1:${port}/`), '=client');
      await waitLog(log, /close\t/);
      assert.equal(log.text(), ['http2sock\tws', 'echo\ttrue\t1048576\tfalse\ttrue', 'close\ttrue', ''].join('\n'), JSON.stringify(pmd));
      assert.equal(offer, 'permessage-deflate; client_max_window_bits');
      // About 1.6 MB of messages: compressed they are a few KB. With an 8-bit client window the
      // client sends them uncompressed (zlib cannot make such data).
      const read = (sock as net.Socket | null)?.bytesRead ?? 0;
      if (pmd.clientMaxWindowBits === 8) assert.ok(read > 1_500_000, `${read} bytes`);
      else assert.ok(read < 200_000, `the client compressed its messages: ${read} bytes`);
    } finally {
      rt.dispose();
      wss.close();
    }
  }
});

test('http2sock fails the handshake on answers RFC 7692 forbids', async () => {
  const answers = [
    'permessage-deflate; unknown_param',
    'permessage-deflate; server_max_window_bits=16',
    'x-other-extension',
    'permessage-deflate, permessage-deflate',
  ];
  for (const [i, answer] of [...answers, 'permessage-deflate'].entries()) {
    const offered = i < answers.length; // the last one answers a client that offered nothing
    const server = net.createServer((c) => {
      let head = '';
      c.on('data', (b) => {
        head += b.toString('latin1');
        const m = /Sec-WebSocket-Key: *(\S+)/i.exec(head);
        if (!head.includes('\r\n\r\n') || !m) return;
        const accept = createHash('sha1').update(m[1]! + GUID).digest('base64');
        c.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\nSec-WebSocket-Extensions: ${answer}\r\n\r\n`);
      });
      c.on('error', () => {});
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const { rt, log } = await clientRuntime();
    try {
      await rt.run(
        `ba.thread.run(function()
          local h = require"httpc".create()
          assert(h:request{url = "ws://127.0.0.1:${port}/", deflate = ${offered}})
          print("status", h:status())
          print("http2sock", ba.socket.http2sock(h))
        end)`,
        '=client',
      );
      await waitLog(log, /http2sock\t/);
      assert.match(log.text(), /status\t101\n(.*\n)?http2sock\tnil\tinvalidsocketcon\n/, answer);
    } finally {
      rt.dispose();
      server.close();
    }
  }
});

test('examples/websocket/whole.lsp: whole messages of any size, and sock:maxsize changes the chunk', async () => {
  const s = await startTestServer([{ name: '', prio: 0, path: 'examples/websocket' }]);
  try {
    for (const [query, msgs, answers] of [
      ['', [Buffer.alloc(500, 1), Buffer.alloc(20000, 2), 'é'.repeat(10000)], ['500 bytes (binary) in 1 reads', '20000 bytes (binary) in 3 reads', '20000 bytes (text) in 3 reads']],
      ['?chunk=1000', [Buffer.alloc(1000, 1), Buffer.alloc(20000, 2)], ['1000 bytes (binary) in 1 reads', '20000 bytes (binary) in 20 reads']],
      ['?chunk=100', [Buffer.alloc(20000, 2)], ['20000 bytes (binary) in 3 reads']], // 100 is refused: the chunk stays 8192
    ] as const) {
      const { ws, ext } = await connect(`ws://127.0.0.1:${s.port}/whole.lsp${query}`, {});
      assert.equal(ext, 'permessage-deflate');
      assert.deepEqual(await echoAll(ws, [...msgs]), answers, query);
      await closeWs(ws);
    }
    assert.doesNotMatch(s.log.text(), /error/i);
  } finally {
    s.close();
  }
});
