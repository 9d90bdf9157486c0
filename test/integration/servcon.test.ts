// ba.create.servcon through the real `remora` command, with real clients (node:http, node:tls,
// curl): an extra HTTP listener serves the server's directory tree, moves with setport and
// stops with close; a busy port answers nil, "bind"; an HTTPS listener presents its SharkSSL
// object's certificate, asks for a client certificate with clientcert(true), prefers its RSA
// certificate with favorRSA(true), closes its connections on close(), and is re-created with
// new certificates on the same port while an open connection goes on; the start-up listener
// is ba.lcon6 (setport moves it); an IPv6 listener on ::1 when the machine has IPv6.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTool, testPki } from '../harness/tls-certs.js';
import { request } from '../harness/app-server.js';
import { freePort, startCli, type CliProc } from '../harness/net-util.js';

const dir = mkdtempSync(join(tmpdir(), 'remora-servcon-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

// The app: .preload keeps the listeners in `cons`; ctl.lsp runs one operation per request and
// prints its results; who.lsp shows the request's TLS client certificate.
const PRELOAD = `
cons = {}
local function cert(name)
  if name == "demo" then
    return assert(ba.create.sharkcert(ba.openio"vm", ".certificate/MakoServer.pem", ".certificate/MakoServer.key", "sharkssl"))
  end
  return assert(ba.create.sharkcert(PKI .. "/" .. name .. ".pem", PKI .. "/" .. name .. ".key"))
end
function shark(names, trust)
  local store
  if trust then
    store = ba.create.certstore()
    assert(store:addcert(PKI .. "/" .. trust .. ".pem"))
  end
  local s = ba.create.sharkssl(store, {server = true})
  for n in names:gmatch("[^,]+") do s:addcert(cert(n)) end
  return s
end
`;
const CTL = `<?lsp
local d = request:data()
local function out(...) local t = table.pack(...) for i = 1, t.n do t[i] = tostring(t[i]) end print(table.concat(t, " ")) end
local id, op = d.id, d.op
local cfg = {intf = d.intf or "127.0.0.1", ipv6 = d.ipv6 == "1" or nil}
if d.certs then cfg.shark = app.shark(d.certs, d.trust) end
if op == "open" then
  local c, err = ba.create.servcon(tonumber(d.port), cfg)
  app.cons[id] = c
  if c then out("ok") else out("nil", err) end
elseif op == "recreate" then
  local c = ba.create.servcon(app.cons[id], {shark = app.shark(d.certs, d.trust)})
  app.cons[id] = c
  out(type(c))
elseif op == "setport" then
  out(app.cons[id]:setport(tonumber(d.port), cfg))
elseif op == "close" then
  out(app.cons[id]:close())
elseif op == "clientcert" then
  out(app.cons[id]:clientcert(d.on == "1"))
elseif op == "favorRSA" then
  out(app.cons[id]:favorRSA(d.on == "1"))
elseif op == "sclientcert" then
  out(ba.slcon6:clientcert(d.on == "1"))
elseif op == "lcon" then
  app.cons[id] = ba.lcon6
  out(type(ba.lcon), type(ba.lcon6), type(ba.slcon), type(ba.slcon6), tostring(ba.lcon6):match"^%u+")
end
?>`;

function ctl(p: CliProc, q: Record<string, string | number>): Promise<string> {
  const qs = new URLSearchParams(Object.entries(q).map(([k, v]) => [k, String(v)])).toString();
  return request(p.port, `/ctl.lsp?${qs}`).then((r) => {
    assert.equal(r.status, 200, r.body);
    return r.body.trim();
  });
}

/** True when nothing accepts a TCP connection on 127.0.0.1:port. */
function refused(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });
}

/** A TLS connection: the served certificate's CN, and the socket. */
function tlsConnect(port: number, opts: tls.ConnectionOptions = {}): Promise<{ cn: string; sock: tls.TLSSocket }> {
  return new Promise((resolve, reject) => {
    const sock = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', rejectUnauthorized: false, ...opts }, () => {
      resolve({ cn: String(sock.getPeerCertificate().subject.CN), sock });
    });
    sock.once('error', reject);
  });
}

/** One HTTP/1.1 request over an open socket; resolves with the whole answer once it is complete. */
function ask(sock: net.Socket, path: string, close = true): Promise<string> {
  return new Promise((resolve) => {
    let got = '';
    const onData = (b: Buffer): void => {
      got += b.toString('latin1');
      const m = /\r\nContent-Length: (\d+)\r\n[\s\S]*?\r\n\r\n/i.exec(got);
      if (!close && m && got.length >= got.indexOf('\r\n\r\n') + 4 + Number(m[1])) {
        sock.off('data', onData);
        resolve(got);
      }
    };
    sock.on('data', onData);
    if (close) sock.once('close', () => resolve(got));
    // HTTP/1.0 when the server is to close: the body comes unchunked.
    sock.write(`GET ${path} HTTP/1.${close ? 0 : 1}\r\nHost: localhost\r\n\r\n`);
  });
}

function curl(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('curl', ['-s', '-S', ...args], { timeout: 30_000 }, (e, out, err) => (e ? reject(new Error(`${e.message}\n${err}`)) : resolve(out)));
  });
}

let p: CliProc;

test.before(async () => {
  requireTool('openssl');
  const pki = testPki();
  const app = join(dir, 'www');
  mkdirSync(app);
  writeFileSync(join(app, '.preload'), `PKI = ${JSON.stringify(pki.dir)}\n${PRELOAD}`);
  writeFileSync(join(app, 'ctl.lsp'), CTL);
  writeFileSync(join(app, 'hello.txt'), 'hello from the tree\n');
  writeFileSync(join(app, 'who.lsp'), '<?lsp local c, t = request:certificate() print(c and c.subject.commonname or "none", t) ?>');
  const conf = join(dir, 'm.conf');
  writeFileSync(conf, 'port = 0\nsslport = 0\nhost = "127.0.0.1"\nsslhost = "127.0.0.1"\n');
  p = await startCli(['-c', conf, '-l::' + app]);
});

test.after(async () => {
  p.child.kill('SIGTERM');
  assert.equal(await p.exited, 0, p.out());
});

test('an extra HTTP listener serves the same tree, moves with setport, stops with close', async () => {
  const [p1, p2] = [await freePort(), await freePort()];
  assert.equal(await ctl(p, { op: 'open', id: 'a', port: p1 }), 'ok');
  const r = await request(p1, '/hello.txt');
  assert.equal(r.status, 200);
  assert.equal(r.body, 'hello from the tree\n');
  assert.equal(await curl([`http://127.0.0.1:${p1}/hello.txt`]), 'hello from the tree\n');
  // A plain listener has no TLS settings.
  assert.equal(await ctl(p, { op: 'clientcert', id: 'a', on: 1 }), 'false');
  // The main port is busy: nil, "bind", and the listener stays where it is.
  assert.equal(await ctl(p, { op: 'open', id: 'busy', port: p.port }), 'nil bind');
  assert.equal(await ctl(p, { op: 'setport', id: 'a', port: p.port }), 'nil bind');
  assert.equal((await request(p1, '/hello.txt')).status, 200);
  // A keep-alive connection accepted before setport goes on after it.
  const kept = net.connect({ host: '127.0.0.1', port: p1 });
  await new Promise((r) => kept.once('connect', r));
  assert.match(await ask(kept, '/hello.txt', false), /^HTTP\/1\.1 200 /);
  assert.equal(await ctl(p, { op: 'setport', id: 'a', port: p2 }), 'true');
  assert.ok(await refused(p1), 'the old port is closed');
  assert.equal((await request(p2, '/hello.txt')).body, 'hello from the tree\n');
  assert.match(await ask(kept, '/hello.txt'), /hello from the tree/);
  assert.equal(await ctl(p, { op: 'close', id: 'a' }), 'true');
  assert.ok(await refused(p2), 'closed');
  // The main listener is unaffected.
  assert.equal((await request(p.port, '/hello.txt')).status, 200);
});

test('an HTTPS listener: its certificate, client certificates, favorRSA, close, re-creation on the same port', async () => {
  requireTool('curl');
  const pki = testPki();
  const port = await freePort();
  assert.equal(await ctl(p, { op: 'open', id: 's', port, certs: 'server' }), 'ok');
  const one = await tlsConnect(port);
  assert.equal(one.cn, 'localhost');
  assert.match(await ask(one.sock, '/hello.txt'), /^HTTP\/1\.\d 200 [\s\S]*hello from the tree\n$/);
  // curl trusts it with the test CA.
  assert.equal(await curl(['--cacert', pki.file('ca.pem'), `https://localhost:${port}/hello.txt`, '--resolve', `localhost:${port}:127.0.0.1`]), 'hello from the tree\n');

  // No client certificate is asked for until clientcert(true).
  const opts = { cert: pki.pem('client'), key: pki.key('client') };
  const noAsk = await tlsConnect(port, opts);
  assert.match(await ask(noAsk.sock, '/who.lsp'), /\r\n\r\nnone\tfalse\n$/);
  assert.equal(await ctl(p, { op: 'clientcert', id: 's', on: 1 }), 'true');
  const asked = await tlsConnect(port, opts);
  assert.match(await ask(asked.sock, '/who.lsp'), /\r\n\r\nclient\tfalse\n$/, 'sent, not trusted: no certificate store');
  // A client without a certificate is still served.
  const without = await tlsConnect(port);
  assert.match(await ask(without.sock, '/who.lsp'), /\r\n\r\nnone\tfalse\n$/);

  // Re-created with other certificates: same port, new certificate for new connections, an
  // open connection goes on.
  const open = await tlsConnect(port);
  assert.match(await ask(open.sock, '/hello.txt', false), /^HTTP\/1\.1 200 /);
  assert.equal(await ctl(p, { op: 'recreate', id: 's', certs: 'wrongname', trust: 'ca' }), 'userdata');
  const two = await tlsConnect(port);
  assert.equal(two.cn, 'other.example');
  two.sock.destroy();
  assert.match(await ask(open.sock, '/hello.txt', false), /hello from the tree/);
  // The clientcert setting went over to the new object, whose certificate store (the test
  // CA) vouches for the client's certificate.
  const asked2 = await tlsConnect(port, opts);
  assert.match(await ask(asked2.sock, '/who.lsp'), /\r\n\r\nclient\ttrue\n$/);

  // An EC and an RSA certificate: favorRSA(true) makes the RSA one win.
  const port2 = await freePort();
  assert.equal(await ctl(p, { op: 'open', id: 'f', port: port2, certs: 'server,demo' }), 'ok');
  const ec = await tlsConnect(port2);
  ec.sock.destroy();
  assert.equal(ec.cn, 'localhost', 'the EC certificate by default');
  assert.equal(await ctl(p, { op: 'favorRSA', id: 'f', on: 1 }), 'true');
  const rsa = await tlsConnect(port2);
  rsa.sock.destroy();
  assert.equal(rsa.cn, 'MakoServer');
  const rsa12 = await tlsConnect(port2, { maxVersion: 'TLSv1.2' });
  rsa12.sock.destroy();
  assert.equal(rsa12.cn, 'MakoServer', 'TLS 1.2 too');
  assert.equal(await ctl(p, { op: 'close', id: 'f' }), 'true');

  // close() ends the TLS connections the listener accepted (those the listener it was
  // re-created from accepted stay with that one, as in BAS).
  const mine = await tlsConnect(port);
  assert.match(await ask(mine.sock, '/hello.txt', false), /^HTTP\/1\.1 200 /);
  const closed = new Promise((r) => mine.sock.once('close', r));
  assert.equal(await ctl(p, { op: 'close', id: 's' }), 'true');
  await closed;
  assert.ok(await refused(port));
  assert.match(await ask(open.sock, '/hello.txt'), /hello from the tree/);
});

test('the start-up HTTPS listener is ba.slcon6: clientcert(true) asks for a certificate, which nothing trusts', async () => {
  const pki = testPki();
  const opts = { cert: pki.pem('client'), key: pki.key('client') };
  assert.equal(await ctl(p, { op: 'lcon', id: 'main' }), 'nil userdata nil userdata BASERVCON');
  const before = await tlsConnect(p.sslport, opts);
  assert.match(await ask(before.sock, '/who.lsp'), /\r\n\r\nnone\tfalse\n$/);
  assert.equal(await ctl(p, { op: 'sclientcert', on: 1 }), 'true');
  const after = await tlsConnect(p.sslport, opts);
  assert.match(await ask(after.sock, '/who.lsp'), /\r\n\r\nclient\tfalse\n$/);
  assert.equal(await ctl(p, { op: 'sclientcert', on: 0 }), 'true');
});

test('the start-up listener is ba.lcon6; setport moves it', async () => {
  assert.equal(await ctl(p, { op: 'lcon', id: 'main' }), 'nil userdata nil userdata BASERVCON');
  const old = p.port;
  const np = await freePort();
  assert.equal(await ctl(p, { op: 'setport', id: 'main', port: np }), 'true');
  assert.ok(await refused(old));
  p.port = np;
  assert.equal((await request(np, '/hello.txt')).status, 200);
});

test('an IPv6 listener on ::1', async (t) => {
  const probe = net.createServer();
  const has6 = await new Promise<boolean>((r) => {
    probe.once('error', () => r(false));
    probe.listen(0, '::1', () => r(true));
  });
  probe.close();
  if (!has6) return t.skip('no IPv6 loopback on this machine');
  const port = await freePort();
  // Without ipv6 = true an IPv6 address cannot be bound (nil, "bind"), as in BAS.
  assert.equal(await ctl(p, { op: 'open', id: 'v6', port, intf: '::1' }), 'nil bind');
  assert.equal(await ctl(p, { op: 'open', id: 'v6', port, intf: '::1', ipv6: 1 }), 'ok');
  assert.equal(await curl([`http://[::1]:${port}/hello.txt`]), 'hello from the tree\n');
  assert.ok(await refused(port), 'not on 127.0.0.1');
  assert.equal(await ctl(p, { op: 'close', id: 'v6' }), 'true');
});
