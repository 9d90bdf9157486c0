// require"httpc" / require"http" against real peers: node:http servers,
// redirects, keep-alive, an HTTP forward proxy with CONNECT, a SOCKS5 proxy, and https/wss
// through the TLS module (certificates made by openssl at test time).
import test from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { WebSocketServer } from 'ws';
import { Runtime } from '../../src/app/runtime.js';
import { MemoryLog } from '../../src/sched/trace-log.js';
import { testPki } from '../harness/tls-certs.js';
import { request, startTestServer } from '../harness/app-server.js';

async function run(lua: string): Promise<string> {
  const log = new MemoryLog();
  const rt = await Runtime.create({ log, onExit: () => {} });
  try {
    const err = await rt.run(lua, '=httpc');
    if (err) throw new Error(`${err.message}\n${log.text()}`);
    return log.text();
  } finally {
    rt.dispose();
  }
}

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as net.AddressInfo).port;
}

function body(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => resolve(Buffer.concat(parts).toString('latin1')));
  });
}

test('requests against node:http: methods, bodies, query, headers, auth, keep-alive', async () => {
  const seen: string[] = [];
  let connections = 0;
  const server = http.createServer(async (req, res) => {
    const b = await body(req);
    seen.push(`${req.method} ${req.url} te=${req.headers['transfer-encoding'] ?? ''} cl=${req.headers['content-length'] ?? ''} auth=${req.headers.authorization ?? ''} x=${req.headers['x-list'] ?? ''} body=${b}`);
    if (req.url === '/missing') {
      res.writeHead(404).end('nope');
      return;
    }
    res.setHeader('Set-Cookie', ['a=1', 'b=2']);
    res.end(req.method === 'HEAD' ? undefined : `echo:${b}`);
  });
  server.on('connection', () => connections++);
  const port = await listen(server);
  try {
    const out = await run(`
local base = "http://127.0.0.1:${port}"
local h = require"httpc".create()
assert(h:request{url = base .. "/q", query = {word = "a b&c"}, header = {["X-List"] = {"1", "2"}}})
print(h:status(), h:read"*a", h:header"Set-Cookie")
assert(h:request{url = base .. "/post", method = "POST"})
h:write("part1,") h:write(ba.bytearray.create("part2"))
print(h:status(), h:read"*a")
assert(h:request{url = base .. "/put", method = "PUT", size = 4})
h:write("1234")
print(h:status(), h:read"*a")
assert(h:request{url = base .. "/head", method = "HEAD"})
print(h:status(), h:read"*a")
assert(h:request{url = "http://joe:secret@127.0.0.1:${port}/auth"})
print(h:status(), h:read(3), h:read(100), h:read())
assert(h:request{url = base .. "/missing"})
print(h:status(), h:read"*a")
h:close()
local h2 = require"httpc".create{persistent = false}
for i = 1, 2 do assert(h2:request{url = base .. "/np"}) assert(h2:read"*a") end
`);
    assert.equal(
      out,
      [
        '200\techo:\ta=1, b=2',
        '200\techo:part1,part2',
        '200\techo:1234',
        '200\tnil',
        '200\tech\to:\tnil',
        '404\tnil',
        '',
      ].join('\n'),
    );
    assert.deepEqual(seen, [
      'GET /q?word=a%20b%26c te= cl= auth= x=1, 2 body=',
      'POST /post te=chunked cl= auth= x= body=part1,part2',
      'PUT /put te= cl=4 auth= x= body=1234',
      'HEAD /head te= cl= auth= x= body=',
      `GET /auth te= cl= auth=Basic ${Buffer.from('joe:secret').toString('base64')} x= body=`,
      'GET /missing te= cl= auth= x= body=',
      'GET /np te= cl= auth= x= body=',
      'GET /np te= cl= auth= x= body=',
    ]);
    // One keep-alive connection for the first object (the 404 body was not read, nothing
    // followed), two for persistent = false.
    assert.equal(connections, 3);
  } finally {
    server.close();
  }
});

test('require"http" follows redirects: absolute and relative, 303 after POST, a cap of 10', async () => {
  const other = http.createServer((req, res) => res.end(`other ${req.method} ${req.url}`));
  const otherPort = await listen(other);
  const server = http.createServer(async (req, res) => {
    await body(req);
    const u = req.url!;
    if (u === '/abs') res.writeHead(302, { Location: `http://127.0.0.1:${otherPort}/there` }).end('moved');
    else if (u === '/post') res.writeHead(303, { Location: '/result' }).end();
    else if (u === '/keep') res.writeHead(307, { Location: '/result' }).end();
    else if (u.startsWith('/loop')) res.writeHead(302, { Location: `/loop${u.length}` }).end();
    else res.end(`${req.method} ${u}`);
  });
  const port = await listen(server);
  try {
    const out = await run(`
local base = "http://127.0.0.1:${port}"
local h = require"http".create()
assert(h:request{url = base .. "/abs"})
print(h:status(), h:read"*a")
assert(h:request{url = base .. "/post", method = "POST", size = 1})
h:write("x")
print(h:status(), h:read"*a")
assert(h:request{url = base .. "/keep", method = "POST", size = 1})
h:write("x")
print(h:status(), h:header"Location")
assert(h:request{url = base .. "/loop"})
print(h:status())
local raw = require"httpc".create()
assert(raw:request{url = base .. "/abs"})
print(raw:status(), raw:header"Location" ~= nil)
`);
    assert.equal(out, [`200\tother GET /there`, '200\tGET /result', '307\t/result', '302', '302\ttrue', ''].join('\n'));
  } finally {
    server.close();
    other.close();
  }
});

test('h:cookie() iterates over the Set-Cookie fields of the last response; nothing is stored or sent back', async () => {
  const cookies: (string | undefined)[] = [];
  const server = http.createServer(async (req, res) => {
    await body(req);
    cookies.push(req.headers.cookie);
    if (req.url === '/set') res.setHeader('Set-Cookie', ['sid=abc; Path=/; HttpOnly; Max-Age=60', 'two=2', 'flag; Secure']);
    res.end('ok');
  });
  const port = await listen(server);
  try {
    const out = await run(`
local base = "http://127.0.0.1:${port}"
local h = require"httpc".create()
local function dump(label)
  for name, value, attrs in h:cookie() do
    local ks = {}
    for k, v in pairs(attrs or {}) do ks[#ks + 1] = k .. "=" .. v end
    table.sort(ks)
    print(label, name, value, attrs and table.concat(ks, ",") or "nil")
  end
end
dump("before")
assert(h:request{url = base .. "/set"})
dump("head")
print(h:status(), h:read"*a")
dump("read")
assert(h:request{url = base .. "/other"})
print(h:status(), h:read"*a")
dump("other")
h:close()
dump("closed")
`);
    assert.equal(
      out,
      ['head\tsid\tabc\tHttpOnly=,Max-Age=60,Path=/', 'head\ttwo\t2\tnil', 'head\tflag\t\tSecure=', '200\tok',
        'read\tsid\tabc\tHttpOnly=,Max-Age=60,Path=/', 'read\ttwo\t2\tnil', 'read\tflag\t\tSecure=', '200\tok', ''].join('\n'),
    );
    assert.deepEqual(cookies, [undefined, undefined]);
  } finally {
    server.close();
  }
});

/** A forward proxy: absolute-form requests and CONNECT tunnels; optional Basic credentials. */
async function startHttpProxy(auth?: string): Promise<{ port: number; log: string[]; close(): void }> {
  const log: string[] = [];
  const ok = (h: string | undefined) => !auth || h === `Basic ${Buffer.from(auth).toString('base64')}`;
  const proxy = http.createServer((req, res) => {
    log.push(`${req.method} ${req.url}`);
    if (!ok(req.headers['proxy-authorization'])) return void res.writeHead(407).end();
    const u = new URL(req.url!);
    const up = http.request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode!, r.headers);
      r.pipe(res);
    });
    req.pipe(up);
  });
  proxy.on('connect', (req, so: net.Socket, head) => {
    log.push(`CONNECT ${req.url}`);
    if (!ok(req.headers['proxy-authorization'])) return void so.end('HTTP/1.1 407 Proxy Authentication Required\r\n\r\n');
    const [host, p] = req.url!.split(':');
    const up = net.connect(Number(p), host, () => {
      so.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      up.write(head);
      up.pipe(so);
      so.pipe(up);
    });
    up.on('error', () => so.destroy());
    so.on('error', () => up.destroy());
  });
  const port = await listen(proxy);
  return { port, log, close: () => proxy.close() };
}

/** A SOCKS5 proxy (RFC 1928/1929) that refuses "blocked.example" with reply 2. */
async function startSocks(user?: string, pass?: string): Promise<{ port: number; targets: string[]; close(): void }> {
  const targets: string[] = [];
  const server = net.createServer((so) => {
    so.on('error', () => {});
    let buf = Buffer.alloc(0);
    let stage = 0;
    so.on('data', function onData(d: Buffer) {
      buf = Buffer.concat([buf, d]);
      if (stage === 0 && buf.length >= 2 && buf.length >= 2 + buf[1]!) {
        const methods = [...buf.subarray(2, 2 + buf[1]!)];
        buf = buf.subarray(2 + buf[1]!);
        if (user !== undefined) {
          if (!methods.includes(2)) return void so.end(Buffer.from([5, 0xff]));
          so.write(Buffer.from([5, 2]));
          stage = 1;
        } else {
          so.write(Buffer.from([5, 0]));
          stage = 2;
        }
      }
      if (stage === 1 && buf.length >= 2) {
        const ul = buf[1]!;
        if (buf.length < 3 + ul || buf.length < 3 + ul + buf[2 + ul]!) return;
        const u = buf.subarray(2, 2 + ul).toString();
        const p = buf.subarray(3 + ul, 3 + ul + buf[2 + ul]!).toString();
        buf = buf.subarray(3 + ul + buf[2 + ul]!);
        const good = u === user && p === pass;
        so.write(Buffer.from([1, good ? 0 : 1]));
        if (!good) return void so.end();
        stage = 2;
      }
      if (stage === 2 && buf.length >= 5) {
        const atyp = buf[3]!;
        const n = atyp === 1 ? 10 : atyp === 3 ? 7 + buf[4]! : 22;
        if (buf.length < n) return;
        const host = atyp === 1 ? [...buf.subarray(4, 8)].join('.') : atyp === 3 ? buf.subarray(5, 5 + buf[4]!).toString() : '::1';
        const port = buf.readUInt16BE(n - 2);
        buf = buf.subarray(n);
        targets.push(`${host}:${port}`);
        if (host === 'blocked.example') return void so.end(Buffer.from([5, 2, 0, 1, 0, 0, 0, 0, 0, 0]));
        so.off('data', onData);
        const up = net.connect(port, host === 'localhost' ? '127.0.0.1' : host, () => {
          so.write(Buffer.from([5, 0, 0, 1, 127, 0, 0, 1, 0, 0]));
          if (buf.length) up.write(buf);
          up.pipe(so);
          so.pipe(up);
        });
        up.on('error', () => so.destroy());
      }
    });
  });
  const port = await listen(server);
  return { port, targets, close: () => server.close() };
}

test('through an HTTP proxy (absolute form, CONNECT with proxycon for ws://) and SOCKS5', async () => {
  const origin = http.createServer((req, res) => res.end(`origin ${req.url}`));
  const wss = new WebSocketServer({ server: origin });
  wss.on('connection', (ws) => ws.on('message', (d, bin) => ws.send(d, { binary: bin })));
  const oport = await listen(origin);
  const proxy = await startHttpProxy('pu:pp');
  const socks = await startSocks('su', 'sp');
  try {
    const out = await run(`
local url = "http://127.0.0.1:${oport}/x"
local h = require"httpc".create{proxy = "127.0.0.1", proxyport = ${proxy.port}, proxyuser = "pu", proxypass = "pp"}
assert(h:request{url = url})
print("http proxy", h:status(), h:read"*a")
local bad = require"httpc".create{proxy = "127.0.0.1", proxyport = ${proxy.port}, proxycon = true, proxyuser = "pu", proxypass = "wrong"}
print("bad credentials", bad:request{url = url})
local t = require"httpc".create{proxy = "127.0.0.1", proxyport = ${proxy.port}, proxycon = true, proxyuser = "pu", proxypass = "pp"}
assert(t:request{url = "ws://127.0.0.1:${oport}/"})
print("tunnel", t:status())
local s = ba.socket.http2sock(t)
s:write("through the tunnel", true)
print("echo", s:read())
s:close()
local k = require"httpc".create{proxy = "127.0.0.1", proxyport = ${socks.port}, socks = true, proxyuser = "su", proxypass = "sp"}
assert(k:request{url = "http://localhost:${oport}/socks"})
print("socks", k:status(), k:read"*a")
print("socks refused", k:request{url = "http://blocked.example/"})
local nok = require"httpc".create{proxy = "127.0.0.1", proxyport = ${socks.port}, socks = true, proxyuser = "su", proxypass = "no"}
print("socks auth", nok:request{url = "http://localhost:${oport}/"})
`);
    assert.equal(
      out,
      [
        'http proxy\t200\torigin /x',
        'bad credentials\tnil\tproxyauth',
        'tunnel\t101',
        'echo\tthrough the tunnel\ttrue',
        'socks\t200\torigin /socks',
        'socks refused\tnil\tprxnotallowed',
        'socks auth\tnil\tproxyauth',
        '',
      ].join('\n'),
    );
    assert.deepEqual(proxy.log, [`GET http://127.0.0.1:${oport}/x`, `CONNECT 127.0.0.1:${oport}`, `CONNECT 127.0.0.1:${oport}`]);
    assert.deepEqual(socks.targets, [`localhost:${oport}`, 'blocked.example:80']);
  } finally {
    origin.close();
    wss.close();
    proxy.close();
    socks.close();
  }
});

test('https and wss through the TLS module: shark contexts, trust, cipher', async () => {
  const pki = testPki();
  const server = https.createServer({ cert: pki.pem('server'), key: pki.key('server') }, (req, res) => res.end(`secure ${req.url}`));
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws) => ws.on('message', (d, bin) => ws.send(d, { binary: bin })));
  const port = await listen(server);
  try {
    const out = await run(`
local CA = ${JSON.stringify(pki.pem('ca'))}
local h = require"httpc".create{shark = ba.create.sharkssl(CA)}
assert(h:request{url = "https://localhost:${port}/a"})
print(h:status(), h:read"*a", h:trusted())
local c, p = h:cipher()
print(type(c), p:match("^TLS_1_[23]$") ~= nil)
local d = require"httpc".create()
assert(d:request{url = "https://localhost:${port}/default"})
print(d:status(), d:read"*a", d:trusted())
print(d:request{url = "https://localhost:${port}/", trusted = true})
local w = require"httpc".create()
assert(w:request{url = "wss://localhost:${port}/", shark = ba.create.sharkssl(CA)})
print(w:status())
local s = ba.socket.http2sock(w)
s:write(string.rep("z", 100000))
local got = {}
repeat local data, t, n, len = s:read() got[#got + 1] = data until not len or n == len
print(#table.concat(got), s:websocket())
s:close()
print(require"httpc".create():cipher())
`);
    assert.equal(
      out,
      [
        '200\tsecure /a\ttrue',
        'string\ttrue',
        '200\tsecure /default\tnil\tnone',
        'nil\tsslnottrusted',
        '101',
        '100000\ttrue',
        'nil\tsslnotenabled',
        '',
      ].join('\n'),
    );
  } finally {
    wss.close();
    server.close();
  }
});

test('the HTTP client in LSP pages: several pages fetch at once, each waiting alone', async () => {
  // The upstream answers slowly: the pages overlap while they wait.
  let inFlight = 0;
  let maxInFlight = 0;
  const upstream = http.createServer((req, res) => {
    maxInFlight = Math.max(maxInFlight, ++inFlight);
    setTimeout(() => {
      inFlight--;
      res.end(`upstream ${req.url}`);
    }, 100);
  });
  const uport = await listen(upstream);
  const s = await startTestServer([{ name: '', prio: 0, path: 'test/fixtures/apps/httpc' }]);
  try {
    const replies = await Promise.all(
      [1, 2, 3].map((i) => request(s.port, `/fetch.lsp?url=${encodeURIComponent(`http://127.0.0.1:${uport}/p${i}`)}`)),
    );
    replies.forEach((r, i) => assert.equal(r.body, `200\tupstream /p${i + 1}\n`));
    // commandcnt (3) pages in progress at once, each suspended in its request.
    assert.equal(maxInFlight, 3);
  } finally {
    s.close();
    upstream.close();
  }
});
