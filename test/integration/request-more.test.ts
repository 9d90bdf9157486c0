// The rest of Mako's request/response methods through the real `remora` command: cipher,
// certificate, clientcert and redirect2tls over the HTTPS listener and over plain HTTP,
// response:send without a Content-Length, setresponse (deflate-compressed answer, also when
// the object is closed by a <close> variable), deferred (answered from a timer, the
// connection goes on), send after written output (Error mixingwritesend), ba.seterrh's handler
// for a page error (message and the page's command environment). Byte-level peers: node:net /
// node:tls.
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { inflateRawSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCli, type CliProc } from '../harness/net-util.js';

const dir = mkdtempSync(join(tmpdir(), 'remora-reqmore-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const app = join(dir, 'www');
mkdirSync(app);
writeFileSync(join(dir, 'base.conf'), 'port = 0\nsslport = 0\nhost = "127.0.0.1"\nsslhost = "127.0.0.1"\n');
writeFileSync(
  join(app, 'tls.lsp'),
  `<?lsp
print(response:issecure(), response:cipher())
print(response:certificate())
print(response:clientcert())
print(response:redirect2tls())
?>`,
);
writeFileSync(join(app, 'r.lsp'), '<?lsp print("before") response:redirect2tls() print("not reached") ?>');
writeFileSync(join(app, 'send.lsp'), '<?lsp response:send("abc") response:send("def") ?>');
// ba.seterrh: the handler gets the page's command environment (its globals, request) too.
writeFileSync(
  join(app, '.preload'),
  `ba.seterrh(function(msg, env)
  print("ERRH", (msg:gsub("\\n.*", "")), type(env), env and env.request:uri(), env and env.marker, env and env == env.request:env())
end)`,
);
writeFileSync(join(app, 'boom.lsp'), '<?lsp marker = "m1" error("boom") ?>');
writeFileSync(join(app, 'mix.lsp'), '<?lsp response:write("abc") print(pcall(response.send, response, "x")) if request:data"raise" then response:send("y") end ?>');
writeFileSync(
  join(app, 'z.lsp'),
  `<?lsp
local x <close> = response:setresponse()
response:setheader("X-B", "2")
for i = 1, 200 do print("line", i) end
if request:data"explicit" then x:finalize(true) end
?>`,
);
writeFileSync(
  join(app, 'd.lsp'),
  `<?lsp
response:setheader("X-A", "1")
print("dropped")
local d = response:deferred()
ba.timer(function() d:setheader("X-D", "2") d:write("late") d:close() end):set(30, true)
?>`,
);

/** Sends `text` on a fresh connection and collects everything until the peer closes or `done`. */
function exchange(sock: net.Socket, text: string, done?: (got: Buffer) => boolean): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let got = Buffer.alloc(0);
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`timeout; got ${JSON.stringify(got.toString('latin1'))}`));
    }, 10_000);
    const finish = (): void => {
      clearTimeout(timer);
      sock.destroy();
      resolve(got);
    };
    sock.on('data', (b: Buffer) => {
      got = Buffer.concat([got, b]);
      if (done?.(got)) finish();
    });
    sock.on('end', finish);
    sock.on('error', finish);
    sock.write(text);
  });
}

const plain = (port: number): net.Socket => net.connect(port, '127.0.0.1');
const secure = (port: number): net.Socket => tls.connect({ host: '127.0.0.1', port, servername: 'localhost', rejectUnauthorized: false });
/** One complete chunked response in `b` (or a Content-Length one). */
const complete = (b: Buffer): boolean => {
  const s = b.toString('latin1');
  const head = s.indexOf('\r\n\r\n');
  if (head < 0) return false;
  const len = /\r\nContent-Length: (\d+)/i.exec(s.slice(0, head));
  return len ? s.length - head - 4 >= Number(len[1]) : s.endsWith('0\r\n\r\n');
};
const body = (b: Buffer): Buffer => b.subarray(b.indexOf('\r\n\r\n') + 4);
function dechunk(b: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = b.indexOf('\r\n', at);
    const n = parseInt(b.subarray(at, eol).toString('latin1'), 16);
    if (!n) break;
    parts.push(b.subarray(eol + 2, eol + 2 + n));
    at = eol + 2 + n + 2;
  }
  return Buffer.concat(parts);
}

let server: CliProc;
test.before(async () => {
  server = await startCli(['-c', join(dir, 'base.conf'), '-l::' + app]);
});
test.after(() => server.child.kill('SIGKILL'));

test('cipher, certificate, clientcert, redirect2tls over HTTPS and over plain HTTP', async () => {
  const s = (await exchange(secure(server.sslport), 'GET /tls.lsp HTTP/1.1\r\nHost: localhost\r\n\r\n', complete)).toString('latin1');
  const lines = dechunk(body(Buffer.from(s, 'latin1'))).toString().split('\n');
  // issecure, the cipher in SharkSSL's naming and the protocol; no client certificate: nil,
  // false; clientcert true on TLS; redirect2tls does nothing on a secure connection.
  assert.match(lines[0]!, /^true\t[A-Z0-9_]+\tTLS_1_[23]$/, s);
  assert.equal(lines[1], 'nil\tfalse');
  assert.equal(lines[2], 'true');
  assert.equal(lines[3], 'false');

  const p = (await exchange(plain(server.port), 'GET /tls.lsp HTTP/1.1\r\nHost: localhost\r\n\r\n', complete)).toString('latin1');
  assert.match(p, /^HTTP\/1\.1 301 /, 'redirect2tls on plain HTTP answers and ends the page');
  assert.match(p, /\r\nLocation: https:\/\/localhost\/tls\.lsp\r\n/);
});

test('redirect2tls: Host without a port -> 301 to https, with a port -> 403; the page ends', async () => {
  const a = (await exchange(plain(server.port), 'GET /r.lsp?q=1 HTTP/1.1\r\nHost: example.test\r\n\r\n', complete)).toString('latin1');
  assert.match(a, /^HTTP\/1\.1 301 /);
  assert.match(a, /\r\nLocation: https:\/\/example\.test\/r\.lsp\r\n/);
  assert.doesNotMatch(a, /before|not reached/);
  const b = (await exchange(plain(server.port), `GET /r.lsp HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n\r\n`, complete)).toString('latin1');
  assert.match(b, /^HTTP\/1\.1 403 /);
  assert.match(b, /a secure connection is required/);
  assert.doesNotMatch(b, /not reached/);
});

test('response:send without a Content-Length: no chunked framing, the body ends with the connection', async () => {
  const r = (await exchange(plain(server.port), 'GET /send.lsp HTTP/1.1\r\nHost: x\r\n\r\n')).toString('latin1');
  assert.match(r, /^HTTP\/1\.1 200 /);
  assert.doesNotMatch(r, /Transfer-Encoding|Content-Length/i);
  assert.ok(r.endsWith('\r\n\r\nabcdef'), r);
});

test('response:send after output the page wrote: Error mixingwritesend, a 500 when not caught (as Mako)', async () => {
  const r = (await exchange(plain(server.port), 'GET /mix.lsp HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).toString('latin1');
  assert.match(r, /^HTTP\/1\.1 200 /);
  assert.match(r, /abcfalse\tError mixingwritesend\n/);
  const e = (await exchange(plain(server.port), 'GET /mix.lsp?raise=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).toString('latin1');
  assert.match(e, /^HTTP\/1\.1 500 /);
});

test('ba.seterrh: the handler of a page error gets the message and the page environment', async () => {
  const r = (await exchange(plain(server.port), 'GET /boom.lsp HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).toString('latin1');
  assert.match(r, /^HTTP\/1\.1 500 /);
  const deadline = Date.now() + 5000;
  while (!/ERRH\t/.test(server.out()) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
  assert.match(server.out(), /ERRH\tLua error in LSP: boom\.lsp:1: boom\ttable\t\/boom\.lsp\tm1\ttrue\n/);
});

test('setresponse: the page output is sent deflate-compressed with a Content-Length (finalize or <close>)', async () => {
  const want = Array.from({ length: 200 }, (_, i) => `line\t${i + 1}\n`).join('');
  for (const path of ['/z.lsp?explicit=1', '/z.lsp']) {
    const r = await exchange(plain(server.port), `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`, complete);
    const head = r.subarray(0, r.indexOf('\r\n\r\n')).toString('latin1');
    assert.match(head, /\r\nContent-Encoding: deflate\r\n/, head);
    assert.match(head, /\r\nX-B: 2\r\n/);
    const len = Number(/\r\nContent-Length: (\d+)/.exec(head)![1]);
    assert.ok(len < want.length);
    assert.equal(inflateRawSync(body(r)).toString(), want);
  }
});

test('deferred: the page ends, a timer answers with a bare response, the connection goes on', async () => {
  const two = 'GET /d.lsp HTTP/1.1\r\nHost: x\r\n\r\nGET /send.lsp HTTP/1.0\r\n\r\n';
  const r = (await exchange(plain(server.port), two)).toString('latin1');
  const [first, second] = r.split(/(?=HTTP\/1\.[01] 200)/);
  assert.match(first!, /\r\nX-D: 2\r\n/);
  assert.doesNotMatch(first!, /X-A|dropped/);
  assert.ok(first!.endsWith('late\r\n0\r\n\r\n') || first!.endsWith('\r\n\r\nlate'), first);
  assert.ok(second?.endsWith('abcdef'), r);
});
