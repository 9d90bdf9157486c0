// The configuration's `certstore` and `favorRSA` on the start-up HTTPS listener, through the
// real `remora` command and real peers: openssl s_client sees the store's CA named in the
// certificate request, curl's client certificates are trusted only when that CA signed them
// (request:clientcert() / request:certificate() in a page, as Mako apps call them); without a
// store no certificate is asked for; a store that cannot be read stops start-up in one line.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { requireTool, testPki } from '../harness/tls-certs.js';
import { startCli } from '../harness/net-util.js';

const CLI = 'dist/src/cli/main.js';
const dir = mkdtempSync(join(tmpdir(), 'remora-certstore-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const app = join(dir, 'www');
mkdirSync(app);
writeFileSync(
  join(app, 'cc.lsp'),
  `<?lsp
local asked = request:clientcert()
local c, trusted = request:certificate()
print(asked, c and c.subject.commonname or tostring(c), trusted)
?>`,
);

function curl(port: number, args: string[]): Promise<string> {
  return new Promise((res, rej) =>
    execFile('curl', ['-s', '-S', '-k', ...args, `https://127.0.0.1:${port}/cc.lsp`], { timeout: 30_000 }, (e, out, err) =>
      e ? rej(new Error(`curl: ${e.message} ${err}`)) : res(out),
    ),
  );
}

/** What openssl s_client prints about the server's certificate request. */
function sClient(port: number): string {
  const r = spawnSync('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-tls1_2'], { input: '', encoding: 'utf8', timeout: 30_000 });
  return r.stdout + r.stderr;
}

function conf(name: string, extra: string): string {
  const f = join(dir, name);
  writeFileSync(f, `port = 0\nsslport = 0\nhost = "127.0.0.1"\nsslhost = "127.0.0.1"\n${extra}\n`);
  return f;
}

test('certstore: the HTTPS listener asks for a client certificate and trusts the ones its CAs signed', async () => {
  requireTool('openssl');
  requireTool('curl');
  const pki = testPki();
  const c = conf(
    'store.conf',
    `certfile = ${JSON.stringify(pki.file('server.pem'))}\nkeyfile = ${JSON.stringify(pki.file('server.key'))}\ncertstore = ${JSON.stringify(pki.file('ca.pem'))}\nfavorRSA = true`,
  );
  const p = await startCli(['-c', c, '-l::' + app]);
  try {
    // Mako's start-up lines.
    assert.match(p.out(), new RegExp(`Loading store "${pki.file('ca.pem').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"\\n`));
    assert.match(p.out(), /Loading certificate ".*server\.pem"\n/);
    assert.match(p.out(), /Favor RSA certificate\n/);
    const s = sClient(p.sslport);
    assert.match(s, /Acceptable client certificate CA names\n.*CN *= *remora test CA/, s);
    assert.equal(await curl(p.sslport, []), 'true\tnil\tfalse\n');
    assert.equal(await curl(p.sslport, ['--cert', pki.file('client.pem'), '--key', pki.file('client.key')]), 'true\tclient\ttrue\n');
    assert.equal(await curl(p.sslport, ['--tls-max', '1.2', '--cert', pki.file('client.pem'), '--key', pki.file('client.key')]), 'true\tclient\ttrue\n');
    // Not signed by the store's CA: seen, not trusted.
    assert.equal(await curl(p.sslport, ['--cert', pki.file('selfsigned.pem'), '--key', pki.file('selfsigned.key')]), 'true\tlocalhost\tfalse\n');
  } finally {
    p.child.kill('SIGKILL');
  }
});

test('certstore as a list: every file is a trusted CA; without a store no certificate is asked for', async () => {
  const pki = testPki();
  const cert = `certfile = ${JSON.stringify(pki.file('server.pem'))}\nkeyfile = ${JSON.stringify(pki.file('server.key'))}`;
  const list = conf('list.conf', `${cert}\ncertstore = {${JSON.stringify(pki.file('ca.pem'))}, ${JSON.stringify(pki.file('selfsigned.pem'))}}`);
  const p = await startCli(['-c', list, '-l::' + app]);
  try {
    assert.equal((p.out().match(/Loading store "/g) ?? []).length, 2, p.out());
    assert.equal(await curl(p.sslport, ['--cert', pki.file('selfsigned.pem'), '--key', pki.file('selfsigned.key')]), 'true\tlocalhost\ttrue\n');
    assert.equal(await curl(p.sslport, ['--cert', pki.file('client.pem'), '--key', pki.file('client.key')]), 'true\tclient\ttrue\n');
  } finally {
    p.child.kill('SIGKILL');
  }
  const plain = await startCli(['-c', conf('plain.conf', cert), '-l::' + app]);
  try {
    assert.doesNotMatch(plain.out(), /Loading store|Favor RSA/);
    assert.match(sClient(plain.sslport), /No client certificate CA names sent/);
    assert.equal(await curl(plain.sslport, ['--cert', pki.file('client.pem'), '--key', pki.file('client.key')]), 'true\tnil\tfalse\n');
  } finally {
    plain.child.kill('SIGKILL');
  }
});

test('a certstore that cannot be used stops start-up with one line and status 2', () => {
  const pki = testPki();
  const cases: Array<[string, RegExp]> = [
    ['certstore = "nothere.pem"', /^remora: .*HTTPS certstore .*nothere\.pem: cannot read it \(ENOENT\)\n$/],
    [`certstore = ${JSON.stringify(pki.file('server.key'))}`, /^remora: .*HTTPS certstore .*server\.key: no PEM certificate found\n$/],
    ['certstore = 5', /^remora: .*'certstore' must be a string or a list of strings\n$/],
  ];
  for (const [line, re] of cases) {
    const r = spawnSync(process.execPath, [resolve(CLI), '-c', conf('bad.conf', line), '-l::' + app], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, re);
  }
});

test('certfile and keyfile as lists: an RSA and an EC certificate; favorRSA picks the RSA one for openssl s_client', async () => {
  const pki = testPki();
  // The test PKI is EC only: one RSA certificate of our own.
  const rsaKey = join(dir, 'rsa.key');
  const rsaPem = join(dir, 'rsa.pem');
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', rsaKey, '-out', rsaPem, '-days', '2', '-subj', '/CN=rsa.example'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const lists = `certfile = {${JSON.stringify(pki.file('server.pem'))}, ${JSON.stringify(rsaPem)}}\nkeyfile = {${JSON.stringify(pki.file('server.key'))}, ${JSON.stringify(rsaKey)}}`;
  const served = (port: number, v: string): string => {
    const s = spawnSync('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, v], { input: '', encoding: 'utf8', timeout: 30_000 });
    return /^subject=.*CN *= *([^,\n]+)/m.exec(s.stdout)?.[1] ?? s.stdout + s.stderr;
  };
  for (const [fav, cn] of [
    ['true', 'rsa.example'],
    ['false', 'localhost'],
  ] as const) {
    const p = await startCli(['-c', conf(`list-${fav}.conf`, `${lists}\nfavorRSA = ${fav}`), '-l::' + app]);
    try {
      assert.equal((p.out().match(/Loading certificate "/g) ?? []).length, 2, p.out());
      assert.equal(/Favor RSA certificate/.test(p.out()), fav === 'true');
      assert.equal(served(p.sslport, '-tls1_3'), cn);
      assert.equal(served(p.sslport, '-tls1_2'), cn);
    } finally {
      p.child.kill('SIGKILL');
    }
  }
  const bad = spawnSync(process.execPath, [resolve(CLI), '-c', conf('mismatch.conf', `certfile = {${JSON.stringify(pki.file('server.pem'))}, ${JSON.stringify(rsaPem)}}\nkeyfile = ${JSON.stringify(pki.file('server.key'))}`), '-l::' + app], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(bad.status, 2, bad.stderr);
  assert.match(bad.stderr, /^remora: HTTPS certificate: 'certfile' and 'keyfile' must name as many files \(2 and 1\)\n$/);
});
