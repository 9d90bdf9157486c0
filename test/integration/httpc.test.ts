// require"httpc" / require"http" against real peers: node:http servers,
// redirects, keep-alive, an HTTP forward proxy with CONNECT, a SOCKS5 proxy, and https/wss
// through the TLS module (certificates made by openssl at test time).
import test from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { WebSocketServer } from 'ws';
import { testPki } from '../harness/tls-certs.js';
import { request, startTestServer } from '../harness/app-server.js';
import { runLua } from '../harness/lua-run.js';

function run(lua: string): Promise<string> {
  return runLua(lua, '=httpc');
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
        // header(name): the first field of that name, and the status (as BAS)
        '200\techo:\ta=1\t200',
        '200\techo:part1,part2',
        '200\techo:1234',
        '200\tnil',
        '200\tech\to:\tnil',
        '404\tnope',
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
    assert.equal(out, [`200\tother GET /there`, '200\tGET /result', '307\t/result\t307', '302', '302\ttrue', ''].join('\n'));
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

/**
 * An HTTP CONNECT proxy on node:net that counts its tunnels. Anything but CONNECT (a request in
 * absolute form, "GET http://...") is logged as such and answered 400. With `auth`, a CONNECT
 * needs it as Basic credentials (else 407); a target host "forbidden.example" gets 403.
 */
async function startHttpProxy(auth?: string): Promise<{ port: number; log: string[]; tunnels: () => number; close(): void }> {
  const log: string[] = [];
  let tunnels = 0;
  const proxy = net.createServer((so) => {
    so.on('error', () => {});
    let buf = Buffer.alloc(0);
    const onData = (d: Buffer): void => {
      buf = Buffer.concat([buf, d]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      so.off('data', onData);
      const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
      const rest = buf.subarray(end + 4);
      log.push(lines.join(' | '));
      const m = /^CONNECT ([^ ]+):(\d+) HTTP\/1\.[01]$/.exec(lines[0]!);
      if (!m) return void so.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n');
      const given = lines.find((l) => /^proxy-authorization:/i.test(l))?.replace(/^[^:]*: */, '');
      if (auth && given !== `Basic ${Buffer.from(auth).toString('base64')}`) return void so.end('HTTP/1.1 407 Proxy Authentication Required\r\n\r\n');
      if (m[1] === 'forbidden.example') return void so.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      const up = net.connect(Number(m[2]), m[1]!, () => {
        tunnels++;
        so.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        up.write(rest);
        up.pipe(so);
        so.pipe(up);
      });
      up.on('error', () => so.destroy());
      so.on('close', () => up.destroy());
    };
    so.on('data', onData);
  });
  const port = await listen(proxy);
  return { port, log, tunnels: () => tunnels, close: () => proxy.close() };
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

test('through an HTTP proxy (a CONNECT tunnel for every request; proxycon: prxready, http2sock) and SOCKS5', async () => {
  let originConnections = 0;
  const origin = http.createServer((req, res) => res.end(`origin ${req.method} ${req.url}`));
  origin.on('connection', () => originConnections++);
  const wss = new WebSocketServer({ server: origin });
  wss.on('connection', (ws) => ws.on('message', (d, bin) => ws.send(d, { binary: bin })));
  const oport = await listen(origin);
  const proxy = await startHttpProxy('pu:pp');
  const socks = await startSocks('su', 'sp');
  try {
    const out = await run(`
local url = "http://127.0.0.1:${oport}/x"
local P = {proxy = "127.0.0.1", proxyport = ${proxy.port}, proxyuser = "pu", proxypass = "pp"}
local function mk(t) local o = {} for k, v in pairs(P) do o[k] = v end for k, v in pairs(t or {}) do o[k] = v end return require"httpc".create(o) end
local h = mk()
assert(h:request{url = url})
print("http proxy", h:status(), h:read"*a")
assert(h:request{url = url .. "?again", method = "POST", size = 2})
h:write("hi")
print("same tunnel", h:status(), h:read"*a")
local bad = mk{proxypass = "wrong"}
print("bad credentials", bad:request{url = url})
print("bad credentials status", bad:status(), bad:read())
local f = mk()
print("forbidden", f:request{url = "http://forbidden.example/"})
print("forbidden status", f:status())
print("after a refusal", f:request{url = url})
print("after a refusal status", f:status(), f:read"*a")
local w = mk()
assert(w:request{url = "ws://127.0.0.1:${oport}/"})
print("ws", w:status())
local s = ba.socket.http2sock(w)
s:write("through the tunnel", true)
print("echo", s:read())
s:close()
local t = mk{proxycon = true}
print("proxycon", t:request{url = "https://127.0.0.1:${oport}/ignored"})
print("proxycon status", t:status(), t:read())
local r = ba.socket.http2sock(t)
print("tunnel socket", r ~= nil, t:status())
r:write("GET /raw HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n")
local got = {}
while true do local d = r:read(5000) if not d then break end got[#got + 1] = d end
print("raw", table.concat(got):match("origin GET /raw$"))
r:close()
print("request after prxready", t:request{url = url})
print("next request", t:request{url = url})
print("next request status", t:status())
local k = require"httpc".create{proxy = "127.0.0.1", proxyport = ${socks.port}, socks = true, proxyuser = "su", proxypass = "sp"}
assert(k:request{url = "http://localhost:${oport}/socks"})
print("socks", k:status(), k:read"*a")
print("socks refused", k:request{url = "http://blocked.example/"})
local nok = require"httpc".create{proxy = "127.0.0.1", proxyport = ${socks.port}, socks = true, proxyuser = "su", proxypass = "no"}
print("socks auth", nok:request{url = "http://localhost:${oport}/"})
local kc = require"httpc".create{proxy = "127.0.0.1", proxyport = ${socks.port}, socks = true, proxyuser = "su", proxypass = "sp", proxycon = true}
print("socks proxycon", kc:request{url = "http://localhost:${oport}/"})
`);
    assert.equal(
      out,
      [
        `http proxy\t200\torigin GET /x`,
        'same tunnel\t200\torigin POST /x?again',
        'bad credentials\tnil\tproxyauth',
        'bad credentials status\t407\tnil\tproxyauth',
        'forbidden\tnil\tunknown',
        'forbidden status\t403',
        'after a refusal\ttrue',
        'after a refusal status\t200\torigin GET /x',
        'ws\t101',
        'echo\tthrough the tunnel\ttrue',
        'proxycon\tnil\tprxready',
        'proxycon status\t204\tnil',
        'tunnel socket\ttrue\t204',
        'raw\torigin GET /raw',
        'request after prxready\tnil\tincorrectuse',
        'next request\tnil\tprxready',
        'next request status\t204',
        'socks\t200\torigin GET /socks',
        'socks refused\tnil\tprxnotallowed',
        'socks auth\tnil\tproxyauth',
        'socks proxycon\tnil\tprxready',
        '',
      ].join('\n'),
    );
    // Every request went through a CONNECT tunnel: none in absolute form, none direct.
    const auth = `Proxy-Authorization: Basic ${Buffer.from('pu:pp').toString('base64')}`;
    const wrong = `Proxy-Authorization: Basic ${Buffer.from('pu:wrong').toString('base64')}`;
    const connect = (target: string, a = auth) => `CONNECT ${target} HTTP/1.0 | User-Agent: Barracuda Server | ${a}`;
    const o = `127.0.0.1:${oport}`;
    assert.deepEqual(proxy.log, [connect(o), connect(o, wrong), connect('forbidden.example:80'), connect(o), connect(o), connect(o), connect(o)]);
    // One tunnel each: the plain requests (two on one connection), the one after the refusal,
    // ws, and the two proxycon tunnels; the origin saw no other connection than those and
    // the two SOCKS5 ones.
    assert.equal(proxy.tunnels(), 5);
    assert.equal(originConnections, 5 + 2);
    assert.deepEqual(socks.targets, [`localhost:${oport}`, 'blocked.example:80', `localhost:${oport}`]);
  } finally {
    origin.close();
    wss.close();
    proxy.close();
    socks.close();
  }
});

test('trusted = true needs the name and the chain: a CA-signed certificate for another name is refused', async () => {
  const pki = testPki();
  const server = https.createServer({ cert: pki.pem('wrongname'), key: pki.key('wrongname') }, (req, res) => res.end(`secure ${req.url}`));
  const port = await listen(server);
  try {
    const out = await run(`
local CA = ${JSON.stringify(pki.pem('ca'))}
local h = require"httpc".create{shark = ba.create.sharkssl(CA)}
print("trusted", h:request{url = "https://localhost:${port}/a", trusted = true})
local k = require"httpc".create{shark = ba.create.sharkssl(CA)}
assert(k:request{url = "https://localhost:${port}/b"})
print(k:status(), k:read"*a", k:trusted())
print("reused", k:request{url = "https://localhost:${port}/c", trusted = true})
`);
    assert.equal(out, 'trusted\tnil\tsslnottrusted\n200\tsecure /b\tnil\tcert\nreused\tnil\tsslnottrusted\n');
  } finally {
    server.close();
  }
});

test('https and wss through the TLS module: shark contexts, trust, cipher', async () => {
  const pki = testPki();
  const server = https.createServer({ cert: pki.pem('server'), key: pki.key('server') }, (req, res) => res.end(`secure ${req.url}`));
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws) => ws.on('message', (d, bin) => ws.send(d, { binary: bin })));
  const port = await listen(server);
  const proxy = await startHttpProxy();
  try {
    const out = await run(`
local CA = ${JSON.stringify(pki.pem('ca'))}
local h = require"httpc".create{shark = ba.create.sharkssl(CA)}
assert(h:request{url = "https://localhost:${port}/a"})
print(h:status(), h:read"*a", h:trusted())
local hp = require"httpc".create{shark = ba.create.sharkssl(CA), proxy = "127.0.0.1", proxyport = ${proxy.port}}
assert(hp:request{url = "https://localhost:${port}/proxied", trusted = true})
print(hp:status(), hp:read"*a", hp:trusted())
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
        '200\tsecure /proxied\ttrue',
        'string\ttrue',
        // the default context does not know the test CA; the name matches (sock:trusted()'s "cn")
        '200\tsecure /default\tnil\tcn',
        'nil\tsslnottrusted',
        '101',
        '100000\ttrue',
        'nil\tsslnotenabled',
        '',
      ].join('\n'),
    );
    assert.deepEqual(proxy.log, [`CONNECT localhost:${port} HTTP/1.0 | User-Agent: Barracuda Server`]);
    assert.equal(proxy.tunnels(), 1);
  } finally {
    wss.close();
    server.close();
    proxy.close();
  }
});

test('the HTTP client in LSP pages: several pages fetch at once, each waiting alone', async () => {
  // The upstream holds its answers until three requests are in (at most 20 s, then it answers
  // what it has): the pages must overlap while they wait. (A fixed 100 ms delay let the first
  // answer go out before a loaded machine had started the third page.)
  let inFlight = 0;
  let maxInFlight = 0;
  const held: (() => void)[] = [];
  const releaseAll = (): void => {
    for (const f of held.splice(0)) f();
  };
  const fallback = setTimeout(releaseAll, 20_000);
  const upstream = http.createServer((req, res) => {
    maxInFlight = Math.max(maxInFlight, ++inFlight);
    held.push(() => {
      inFlight--;
      res.end(`upstream ${req.url}`);
    });
    if (held.length === 3) releaseAll();
  });
  const uport = await listen(upstream);
  const s = await startTestServer([{ name: '', prio: 0, path: 'test/fixtures/apps/httpc' }]);
  try {
    const replies = await Promise.all(
      [1, 2, 3].map((i) => request(s.port, `/fetch.lsp?url=${encodeURIComponent(`http://127.0.0.1:${uport}/p${i}`)}`, { timeoutMs: 30_000 })),
    );
    replies.forEach((r, i) => assert.equal(r.body, `200\tupstream /p${i + 1}\n`));
    // commandcnt (3) pages in progress at once, each suspended in its request.
    assert.equal(maxInFlight, 3);
  } finally {
    clearTimeout(fallback);
    releaseAll();
    s.close();
    upstream.close();
  }
});
