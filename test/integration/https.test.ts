// The app server's HTTPS listener through the real `remora` command (sslport,
// sslhost, certfile, keyfile; issue 5 item 1): pages and static files to curl over HTTPS,
// protocol versions seen by openssl s_client, mako.sslport, the fallback range, req2sock on an
// HTTPS request giving a TLS socket, and start-up errors for a bad certificate or key.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import WebSocket from 'ws';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTool, testPki } from '../harness/tls-certs.js';
import { request } from '../harness/app-server.js';
import { startCli } from '../harness/net-util.js';

const APP = 'test/fixtures/apps/https';
const dir = mkdtempSync(join(tmpdir(), 'remora-https-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

/** A configuration file with `text` (Lua) in the temp directory. */
function conf(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}


/** Runs the command to its end: exit status and everything it printed. */
function runCli(args: string[]): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, ['dist/src/cli/main.js', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  return new Promise((r) =>
    child.on('exit', (code) => {
      clearTimeout(timer);
      r({ code, out });
    }),
  );
}

/** curl, asynchronously (the server runs in a child process, but keep the test runner free). */
function curl(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn('curl', ['-sS', '--max-time', '10', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString('latin1')));
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  return new Promise((r) => child.on('exit', (code) => r({ code, out, err })));
}

function sClient(port: number, extra: string[]): Promise<string> {
  const child = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'localhost', ...extra], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  child.stdin.end('');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  return new Promise((r) =>
    child.on('exit', () => {
      clearTimeout(timer);
      r(out);
    }),
  );
}

/** A TLS client that collects what it receives (the peer of a req2sock socket). */
class TlsClient {
  data = '';
  ended = false;
  readonly sock: tls.TLSSocket;
  constructor(port: number) {
    this.sock = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', rejectUnauthorized: false });
    this.sock.on('data', (b: Buffer) => (this.data += b.toString('latin1')));
    this.sock.on('end', () => (this.ended = true));
    this.sock.on('error', () => (this.ended = true));
  }
  async until(re: RegExp, ms = 5000): Promise<string> {
    const deadline = Date.now() + ms;
    while (!re.test(this.data)) {
      if (this.ended) throw new Error(`peer ended; got ${JSON.stringify(this.data)}`);
      if (Date.now() > deadline) throw new Error(`timeout; got ${JSON.stringify(this.data)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    return this.data;
  }
}

const BASE = conf('base.conf', 'port = 0\nsslport = 0\nsslhost = "127.0.0.1"\n');

test('curl -k over HTTPS: an LSP page and a static file, served as over HTTP; mako.sslport is the port opened', async () => {
  requireTool('curl');
  const p = await startCli(['-c', BASE, '-l::' + APP]);
  try {
    assert.notEqual(p.sslport, p.port);
    const page = await curl(['-k', `https://127.0.0.1:${p.sslport}/index.lsp`]);
    assert.equal(page.code, 0, page.err);
    assert.equal(page.out, `https://127.0.0.1:${p.sslport}/index.lsp\ttrue\t${p.port}\t${p.sslport}\t${p.sslport}\n`);
    // The same page over plain HTTP reports the same ports.
    const plain = await request(p.port, '/index.lsp');
    assert.equal(plain.body, `http://127.0.0.1:${p.port}/index.lsp\tfalse\t${p.port}\t${p.sslport}\t${p.port}\n`);

    // Static file: head and body as over HTTP; two requests on one kept-alive TLS connection.
    const both = await curl(['-k', '-i', `https://127.0.0.1:${p.sslport}/static.txt`, `https://127.0.0.1:${p.sslport}/static.txt`, '-w', '%{num_connects}\n']);
    assert.equal(both.code, 0, both.err);
    const responses = both.out.split(/(?=HTTP\/1\.1 )/);
    assert.equal(responses.length, 2, both.out);
    for (const r of responses) {
      assert.match(r, /^HTTP\/1\.1 200 OK\r\n/);
      assert.match(r, /\r\nContent-Type: text\/plain; charset=utf-8\r\n/);
      assert.match(r, /\r\nContent-Length: 28\r\n/);
      assert.match(r, /\r\n\r\nstatic over either listener\n/);
    }
    // curl's %{num_connects} after the second transfer: 0 = the connection was reused.
    assert.match(both.out, /\n0\n$/);
    const etag = /ETag: (\S+)/.exec(both.out)![1]!;
    const cond = await curl(['-k', '-s', '-o', '/dev/null', '-w', '%{http_code}', '-H', `If-None-Match: ${etag}`, `https://127.0.0.1:${p.sslport}/static.txt`]);
    assert.equal(cond.out, '304');
    const missing = await curl(['-k', '-s', '-o', '/dev/null', '-w', '%{http_code}', `https://127.0.0.1:${p.sslport}/.hidden`]);
    assert.equal(missing.out, '404');
  } finally {
    p.child.kill('SIGKILL');
  }
});

test('openssl s_client: TLS 1.3 by default, TLS 1.2 when asked, TLS 1.1 and a weak cipher refused', async () => {
  requireTool('openssl');
  const p = await startCli(['-c', BASE, '-l::' + APP]);
  try {
    assert.match(await sClient(p.sslport, []), /New, TLSv1\.3, Cipher is TLS_AES_256_GCM_SHA384/);
    const t12 = await sClient(p.sslport, ['-tls1_2']);
    assert.match(t12, /New, TLSv1\.2, Cipher is ECDHE-RSA-AES256-GCM-SHA384/);
    // The demo certificate (src/vm-resources/.certificate).
    assert.match(t12, /subject=CN = MakoServer/);
    assert.match(await sClient(p.sslport, ['-tls1_1']), /alert protocol version|no protocols available|unsupported protocol/i);
    assert.match(await sClient(p.sslport, ['-tls1_2', '-cipher', 'AES128-SHA']), /alert handshake failure|no cipher match/i);
    // The listener still serves after the refused handshakes.
    assert.equal((await curl(['-k', `https://127.0.0.1:${p.sslport}/static.txt`])).out, 'static over either listener\n');
  } finally {
    p.child.kill('SIGKILL');
  }
});

test('certfile/keyfile from the configuration: curl verifies the chain with the test CA', async () => {
  requireTool('curl');
  const pki = testPki();
  const cfg = conf('own-cert.conf', `port = 0\nsslport = 0\ncertfile = ${JSON.stringify(pki.file('server.pem'))}\nkeyfile = ${JSON.stringify(pki.file('server.key'))}\n`);
  const p = await startCli(['-c', cfg, '-l::' + APP]);
  try {
    // No -k: the configured certificate (not the demo one) must verify against the CA.
    const r = await curl(['--cacert', pki.file('ca.pem'), `https://localhost:${p.sslport}/static.txt`]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'static over either listener\n');
  } finally {
    p.child.kill('SIGKILL');
  }
});

test('sslport taken: the first free port of 9443–9460 is opened and reported', async () => {
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, r));
  const taken = (blocker.address() as net.AddressInfo).port;
  const p = await startCli(['-c', conf('taken.conf', `port = 0\nsslport = ${taken}\n`), '-l::' + APP]);
  try {
    assert.ok(p.sslport >= 9443 && p.sslport <= 9460, `HTTPS on ${p.sslport}`);
    const page = await curl(['-k', `https://127.0.0.1:${p.sslport}/index.lsp`]);
    assert.match(page.out, new RegExp(`\\t${p.sslport}\\t${p.sslport}\\n$`));
  } finally {
    p.child.kill('SIGKILL');
    blocker.close();
  }
});

for (const mode of ['blocking', 'cosocket']) {
  test(`req2sock on an HTTPS request (${mode}): a TLS socket that echoes, with cipher/certificate/trusted`, async () => {
    const p = await startCli(['-c', BASE, '-l::' + APP]);
    try {
      const c = new TlsClient(p.sslport);
      await new Promise<void>((r) => c.sock.once('secureConnect', () => r()));
      c.sock.write(`GET /echo.lsp?mode=${mode} HTTP/1.1\r\nHost: localhost\r\n\r\nearly`);
      const first = await c.until(/\n/);
      // No HTTP response; the TLS methods answer for the HTTPS connection (no client certificate).
      assert.match(first, /^tls AES_256_GCM_SHA384 TLS_1_3 cert=nil\/nil trusted=nil\/none pending=early\n$/);
      c.data = '';
      c.sock.write('ping\n');
      assert.equal(await c.until(/ping\n/), 'echo:ping\n');
      c.data = '';
      const big = 'x'.repeat(100_000) + '\n';
      c.sock.write(big);
      await c.until(/\n$/);
      assert.equal(c.data.replace(/echo:/g, ''), big);
      c.sock.end();
      await new Promise<void>((r) => c.sock.once('close', () => r()));
    } finally {
      p.child.kill('SIGKILL');
    }
  });
}

test('a WebSocket over HTTPS (wss://): req2sock answers the upgrade on the TLS connection', async () => {
  const p = await startCli(['-c', BASE, '-l::' + APP, '-lsock::test/fixtures/apps/sock']);
  try {
    const ws = new WebSocket(`wss://127.0.0.1:${p.sslport}/sock/ws.lsp`, { rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const got: string[] = [];
    const done = new Promise<void>((resolve) =>
      ws.on('message', (d: Buffer) => {
        got.push(d.toString());
        if (got.length === 2) resolve();
      }),
    );
    ws.send('hi');
    // Below the read chunk (8192): echoed whole, not in pieces (docs/compat.md).
    ws.send('x'.repeat(5000));
    await done;
    assert.equal(got[0], 'echo hi');
    assert.ok(got[1] === 'echo ' + 'x'.repeat(5000), `second message: ${got[1]?.length} bytes`);
    ws.close();
  } finally {
    p.child.kill('SIGKILL');
  }
});

test('a bad certfile or keyfile: one line on stderr, exit status 2', async () => {
  const pki = testPki();
  const junk = join(dir, 'junk.pem');
  writeFileSync(junk, 'not a certificate\n');
  const q = (s: string): string => JSON.stringify(s);
  const cases: Array<[string, string, RegExp]> = [
    ['missing', `certfile = ${q(join(dir, 'nope.pem'))}\nkeyfile = ${q(pki.file('server.key'))}\n`, /^remora: HTTPS certfile \S+nope\.pem: cannot read it \(ENOENT\)\n$/],
    ['junk', `certfile = ${q(junk)}\nkeyfile = ${q(pki.file('server.key'))}\n`, /^remora: HTTPS certfile \S+junk\.pem: no PEM certificate found \(pem_cert_unrecognized_format\)\n$/],
    ['mismatch', `certfile = ${q(pki.file('server.pem'))}\nkeyfile = ${q(pki.file('client.key'))}\n`, /^remora: HTTPS keyfile \S+client\.key \/ certfile \S+server\.pem: the key does not belong to the certificate \(pem_key_cert_mismatch\)\n$/],
    ['encrypted', `certfile = ${q(pki.file('server.pem'))}\nkeyfile = ${q(pki.file('server-enc.key'))}\n`, /^remora: HTTPS keyfile \S+server-enc\.key: the key is encrypted; .*\(pem_key_passphrase_required\)\n$/],
    ['alone', `certfile = ${q(pki.file('server.pem'))}\n`, /^remora: HTTPS certificate: 'certfile' and 'keyfile' must be given together \(only 'certfile' is set\)\n$/],
  ];
  for (const [name, text, re] of cases) {
    const r = await runCli(['-c', conf(`bad-${name}.conf`, `port = 0\nsslport = 0\n${text}`), '-l::' + APP]);
    assert.equal(r.code, 2, `${name}: ${r.out}`);
    assert.match(r.out, re, name);
    // Never any key material.
    assert.doesNotMatch(r.out, /PRIVATE KEY/);
  }
});
