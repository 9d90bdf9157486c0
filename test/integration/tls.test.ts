// TLS against real peers on 127.0.0.1 (issue 4): curl and openssl s_client against a remora
// TLS listener (seed example 3 with its Lua text unchanged except the port), remora TLS
// client cosockets against openssl s_server, STARTTLS with a plain-then-TLS node:tls peer, and
// a garbage ClientHello that closes only its own connection while 100 TLS connections echo.
// Certificates come from test/harness/tls-certs.ts (made with openssl at test time).
// Needs the curl and openssl commands (apt-get install curl openssl).
import test from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Runtime } from '../../src/app/runtime.js';
import { MemoryLog } from '../../src/sched/trace-log.js';
import { requireTool, testPki } from '../harness/tls-certs.js';
import { freePort } from '../harness/net-util.js';

const slow = process.env.REMORA_SLOW_PEER === '1';


/** Runs a command with `input` on stdin; resolves with its exit code and output. */
function run(cmd: string, args: string[], input: string, timeoutMs = 10_000): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString('latin1')));
    p.stderr.on('data', (d: Buffer) => (err += d.toString('latin1')));
    const t = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    // 'close', not 'exit': the output may still be in the pipes when the process exits.
    p.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, out, err });
    });
    p.stdin.end(input);
  });
}

/** Waits until the log has a line matching `re`. */
async function waitLog(log: MemoryLog, re: RegExp, ms = 10_000): Promise<string> {
  const end = Date.now() + ms;
  for (;;) {
    const m = log.text().split('\n').find((l) => re.test(l));
    if (m !== undefined) return m;
    if (Date.now() > end) throw new Error(`no log line matching ${re}; log was:\n${log.text()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function runtime(): Promise<{ rt: Runtime; log: MemoryLog }> {
  const log = new MemoryLog();
  const rt = await Runtime.create({ log, onExit: () => {} });
  return { rt, log };
}

/** Lua that makes `ctx`, a server context with the test CA's server certificate. */
function serverCtxLua(): string {
  const pki = testPki();
  return `local ctx = ba.create.sharkssl(nil, {server = true})
assert(ctx:addcert(assert(ba.create.sharkcert(${JSON.stringify(pki.file('server.pem'))}, ${JSON.stringify(pki.file('server.key'))}))))`;
}

test('seed example 3: HTTPS "Hello World!" to curl -k and openssl s_client', async () => {
  requireTool('curl');
  requireTool('openssl');
  const { rt, log } = await runtime();
  const port = await freePort();
  const src = readFileSync('test/fixtures/seed/example-03-https.lua', 'utf8');
  assert.ok(src.includes('ba.socket.bind(9443, {shark=sharkobj})'));
  await rt.run(src.replace('9443', String(port)), '=example3');
  try {
    const curl = await run('curl', ['-sk', `https://localhost:${port}/`], '');
    assert.equal(curl.code, 0, curl.err);
    assert.equal(curl.out, 'Hello World!');
    // Several at once: the thread pool serves them without one blocking another.
    const many = await Promise.all(Array.from({ length: 8 }, () => run('curl', ['-sk', `https://127.0.0.1:${port}/x`], '')));
    for (const r of many) assert.equal(r.out, 'Hello World!');
    const s = await run('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'localhost', '-quiet'], 'GET / HTTP/1.0\r\n\r\n');
    assert.equal(s.code, 0, s.err);
    assert.match(s.out, /^HTTP\/1\.0 200 OK\r\nContent-Type: text\/plain\r\nContent-Length: 12\r\n\r\nHello World!$/);
    assert.equal(log.text(), '');
  } finally {
    rt.dispose();
  }
});

test('TLS listener defaults: TLS 1.1 and non-AEAD ciphers are refused, TLS 1.2 ECDHE-GCM and 1.3 accepted', async () => {
  requireTool('openssl');
  requireTool('curl');
  const { rt, log } = await runtime();
  const port = await freePort();
  await rt.run(
    `${serverCtxLua()}
local l = assert(ba.socket.bind(${port}, {intf = "127.0.0.1", shark = ctx}))
l:event(function(l)
  while true do
    local s = l:accept()
    if not s then break end
    s:event(function(s)
      local d, err = s:read()
      if d then s:write("ok " .. select(2, s:cipher())) else print("handshake:", err) end
    end, "s")
  end
end)`,
    '=defaults',
  );
  const client = (extra: string[]) => run('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'localhost', ...extra], 'x');
  try {
    const old = await client(['-tls1_1', '-cipher', 'DEFAULT@SECLEVEL=0']);
    assert.match(old.out + old.err, /alert protocol version/);
    const cbc = await client(['-tls1_2', '-cipher', 'ECDHE-ECDSA-AES128-SHA:AES128-SHA']);
    assert.match(cbc.out + cbc.err, /alert handshake failure/);
    const t12 = await client(['-tls1_2', '-quiet']);
    assert.equal(t12.out, 'ok TLS_1_2');
    const t13 = await client(['-tls1_3', '-quiet']);
    assert.equal(t13.out, 'ok TLS_1_3');
    const curl = await run('curl', ['-sk', '--tls-max', '1.1', `https://127.0.0.1:${port}/`], '');
    assert.notEqual(curl.code, 0);
    await waitLog(log, /^handshake:\tsslhandshake$/);
  } finally {
    rt.dispose();
  }
});

/** Starts `openssl s_server -rev` (echoes each line reversed) with certificate `name`. */
async function sServer(name: 'server' | 'wrongname' | 'selfsigned'): Promise<{ port: number; stop(): void }> {
  const pki = testPki();
  const port = await freePort();
  const p = spawn('openssl', ['s_server', '-accept', String(port), '-cert', pki.file(`${name}.pem`), '-key', pki.file(`${name}.key`), '-rev', '-naccept', '10'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const t = setTimeout(() => reject(new Error(`s_server did not start: ${out}`)), 10_000);
    p.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('ACCEPT')) {
        clearTimeout(t);
        resolve();
      }
    });
    p.on('exit', (code) => reject(new Error(`s_server exited ${code}: ${out}`)));
  });
  return { port, stop: () => p.kill('SIGKILL') };
}

test('remora TLS client cosocket against openssl s_server: trusted, untrusted, wrong name', async () => {
  requireTool('openssl');
  const pki = testPki();
  const { rt, log } = await runtime();
  const good = await sServer('server');
  const wrong = await sServer('wrongname');
  const self = await sServer('selfsigned');
  try {
    await rt.run(
      `local ca = ba.create.sharkssl(${JSON.stringify(pki.pem('ca'))})
local function probe(label, port, ctx)
  ba.socket.event(function()
    -- A long timeout: on a busy machine openssl may take more than the default second to answer.
    local s, err = ba.socket.connect("localhost", port, {shark = ctx, timeout = 15000})
    if not s then print(label, "connect", err) return end
    local name, proto = s:cipher()
    s:write("hello\\n")
    print(label, "trusted", tostring(s:trusted()), select(2, s:trusted()), proto, (READLINE(s)))
    s:close()
  end)
end
function READLINE(s)
  local t = ""
  while not t:find("\\n") do
    local d, err = s:read(5000)
    if not d then return err end
    t = t .. d
  end
  return t:gsub("\\n", "")
end
probe("good", ${good.port}, ca)
probe("untrusted", ${good.port}, ba.sharkclient())
probe("wrongname", ${wrong.port}, ca)
probe("selfsigned", ${self.port}, ba.sharkclient())`,
      '=s_server',
    );
    assert.equal(await waitLog(log, /^good\t/), 'good\ttrusted\ttrue\tnil\tTLS_1_3\tolleh');
    assert.equal(await waitLog(log, /^untrusted\t/), 'untrusted\ttrusted\tnil\tcn\tTLS_1_3\tolleh');
    assert.equal(await waitLog(log, /^wrongname\t/), 'wrongname\ttrusted\tnil\tcert\tTLS_1_3\tolleh');
    assert.equal(await waitLog(log, /^selfsigned\t/), 'selfsigned\ttrusted\tnil\tcn\tTLS_1_3\tolleh');
  } finally {
    rt.dispose();
    good.stop();
    wrong.stop();
    self.stop();
  }
});

test('STARTTLS: plain exchange, then upgrade() in a cosocket and from a thread job', async () => {
  const pki = testPki();
  const secureContext = tls.createSecureContext({ cert: pki.pem('server'), key: pki.key('server') });
  const peer = net.createServer((raw) => {
    raw.on('error', () => {});
    let head = '';
    const onData = (d: Buffer): void => {
      head += d.toString('latin1');
      if (!head.includes('\r\n')) return;
      raw.off('data', onData);
      raw.write('220 go ahead\r\n');
      const t = new tls.TLSSocket(raw, { isServer: true, secureContext });
      t.on('error', () => {});
      t.on('data', (x: Buffer) => t.write(x.toString().toUpperCase()));
    };
    raw.on('data', onData);
  });
  await new Promise<void>((r) => peer.listen(0, '127.0.0.1', r));
  const port = (peer.address() as net.AddressInfo).port;
  const { rt, log } = await runtime();
  try {
    await rt.run(
      `local ctx = ba.create.sharkssl(${JSON.stringify(pki.pem('ca'))})
local function session(label, s)
  s:write("STARTTLS\\r\\n")
  local line = ""
  while not line:find("\\r\\n") do line = line .. assert(s:read()) end
  print(label, "plain", (line:gsub("\\r\\n", "")))
  print(label, "upgrade", s:upgrade(ctx), s:upgrade(ctx), s:trusted(), (select(2, s:cipher())))
  s:write("secret")
  local echo = ""
  while #echo < 6 do echo = echo .. assert(s:read()) end
  print(label, "echo", echo)
  s:close()
end
ba.socket.event(function()
  session("cosocket", ba.socket.connect("localhost", ${port}))
end)
ba.thread.run(function()
  session("job", ba.socket.connect("localhost", ${port}))
end)`,
      '=starttls',
    );
    for (const label of ['cosocket', 'job']) {
      assert.equal(await waitLog(log, new RegExp(`^${label}\\tplain`)), `${label}\tplain\t220 go ahead`);
      assert.equal(await waitLog(log, new RegExp(`^${label}\\tupgrade`)), `${label}\tupgrade\ttrue\tfalse\ttrue\tTLS_1_3`);
      assert.equal(await waitLog(log, new RegExp(`^${label}\\techo`)), `${label}\techo\tSECRET`);
    }
    assert.doesNotMatch(log.text(), /error/i);
  } finally {
    rt.dispose();
    peer.close();
  }
});

test('a garbage ClientHello closes only that connection while 100 TLS connections keep echoing', { timeout: 60_000 }, async () => {
  const { rt, log } = await runtime();
  const port = await freePort();
  await rt.run(
    `${serverCtxLua()}
local l = assert(ba.socket.bind(${port}, {intf = "127.0.0.1", shark = ctx}))
l:event(function(l)
  while true do
    local s = l:accept()
    if not s then break end
    s:event(function(s)
      while true do
        local d, err = s:read()
        if not d then
          if err ~= "sslclosenotify" and err ~= "socketreadfailed" then print("ended:", err) end
          break
        end
        s:write(d)
      end
    end, "s")
  end
end)`,
    '=garbage',
  );
  const N = 100;
  const rounds = slow ? 5 : 20;
  const clients: tls.TLSSocket[] = [];
  try {
    // 100 connections, each echoing a message at a time; counted per connection.
    const counts = new Array<number>(N).fill(0);
    const ready = await Promise.all(
      Array.from({ length: N }, (_, i) => {
        const c = tls.connect({ port, host: '127.0.0.1', servername: 'localhost', rejectUnauthorized: false });
        clients.push(c);
        return new Promise<void>((resolve, reject) => {
          const msg = Buffer.from(`message ${i} `.padEnd(64, '.'));
          let got = 0;
          c.on('data', (d: Buffer) => {
            got += d.length;
            while (got >= msg.length) {
              got -= msg.length;
              counts[i]!++;
              c.write(msg);
            }
          });
          c.once('secureConnect', () => {
            c.write(msg);
            resolve();
          });
          c.once('error', reject);
        });
      }),
    );
    assert.equal(ready.length, N);
    const before = counts.slice();
    // The garbage client: not a ClientHello. Its connection must be closed promptly.
    const g = net.connect(port, '127.0.0.1');
    g.on('error', () => {});
    const t0 = Date.now();
    g.on('connect', () => g.write(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n\x00\x01\x02\xff'.repeat(4), 'latin1')));
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('garbage connection still open after 5 s')), 5000);
      g.once('close', () => {
        clearTimeout(t);
        resolve();
      });
    });
    const closedMs = Date.now() - t0;
    assert.ok(closedMs < 5000);
    // Every one of the 100 connections keeps echoing afterwards.
    const end = Date.now() + 30_000;
    while (counts.some((c, i) => c < before[i]! + rounds)) {
      if (Date.now() > end) throw new Error(`echo stalled: ${counts.filter((c, i) => c < before[i]! + rounds).length} connections behind`);
      await new Promise((r) => setTimeout(r, 20));
    }
    await waitLog(log, /^ended:\tsslhandshake$/);
    assert.equal(log.text().trim(), 'ended:\tsslhandshake');
  } finally {
    for (const c of clients) c.destroy();
    rt.dispose();
  }
});
