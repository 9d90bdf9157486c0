// mako.loadcerts through the real `remora` command: the HTTPS listener starts with the
// configured certificate; after the configuration file names another one, mako.loadcerts()
// makes new connections (node:tls) get it while an open connection goes on; key and
// certificate names in the home IO are loaded too; a missing file prints Mako's line.
import test from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import tls from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTool, testPki } from '../harness/tls-certs.js';
import { request, waitFor } from '../harness/app-server.js';
import { startCli } from '../harness/net-util.js';

const dir = mkdtempSync(join(tmpdir(), 'remora-loadcerts-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

/** The subject CN of the certificate the HTTPS listener presents to a new connection. */
function servedCN(port: number): Promise<{ cn: string; sock: tls.TLSSocket }> {
  return new Promise((resolve, reject) => {
    const sock = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', rejectUnauthorized: false }, () => {
      const c = sock.getPeerCertificate();
      resolve({ cn: String(c.subject.CN), sock });
    });
    sock.on('error', reject);
  });
}

/** The server's trace reaches the pipe independently of the HTTP answer: wait (bounded) for the line, then assert. */
async function outShows(out: () => string, re: RegExp): Promise<void> {
  await waitFor(() => re.test(out()), 10_000, String(re)).catch(() => undefined);
  assert.match(out(), re);
}

test('mako.loadcerts: new HTTPS connections get the certificate the configuration names now', async () => {
  requireTool('openssl');
  const pki = testPki();
  const app = join(dir, 'www');
  const home = join(dir, 'home');
  mkdirSync(app);
  mkdirSync(home);
  copyFileSync(pki.file('selfsigned.pem'), join(home, 'self.pem'));
  copyFileSync(pki.file('selfsigned.key'), join(home, 'self.key'));
  writeFileSync(
    join(app, 'lc.lsp'),
    `<?lsp
local k, c = request:data"k", request:data"c"
local ok, sh, err = pcall(mako.loadcerts, k and {k}, c and {c})
if ok then print(type(sh), err) else print("error", (tostring(sh):gsub("^[^\\n]-:%d+: ", ""))) end
?>`,
  );
  const conf = join(dir, 'm.conf');
  const config = (name: string): void =>
    writeFileSync(conf, `port = 0\nsslport = 0\nhost = "127.0.0.1"\nsslhost = "127.0.0.1"\nhomeio = ${JSON.stringify(home)}\ncertfile = ${JSON.stringify(pki.file(`${name}.pem`))}\nkeyfile = ${JSON.stringify(pki.file(`${name}.key`))}\n`);
  config('server');
  const p = await startCli(['-c', conf, '-l::' + app]);
  try {
    const first = await servedCN(p.sslport);
    assert.equal(first.cn, 'localhost');

    config('wrongname');
    const r = await request(p.port, '/lc.lsp');
    assert.equal(r.body, 'userdata\tnil\n');
    await outShows(p.out, new RegExp(`Loading certificate "${pki.file('wrongname.pem').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"\\n`));
    const second = await servedCN(p.sslport);
    assert.equal(second.cn, 'other.example');
    second.sock.destroy();

    // The connection opened before the reload still works (it keeps its certificate).
    first.sock.write('GET /lc.lsp?k=self.key&c=self.pem HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
    const answer = await new Promise<string>((resolve) => {
      let got = '';
      first.sock.on('data', (b: Buffer) => (got += b.toString()));
      first.sock.on('close', () => resolve(got));
    });
    assert.match(answer, /^HTTP\/1\.1 200 /, p.out());
    assert.match(answer, /userdata\tnil/);
    await outShows(p.out, /Loading certificate "self\.pem"\n/);
    // Two certificates now (other.example from the configuration, the home IO's self-signed
    // localhost): the listener still answers new connections with one of them.
    const third = await servedCN(p.sslport);
    assert.ok(['other.example', 'localhost'].includes(third.cn), third.cn);
    third.sock.destroy();

    // A configured file that does not exist: Mako's line; as in Mako, re-creating the listener
    // with no certificate raises, and the listener keeps its certificates.
    writeFileSync(conf, `port = 0\nsslport = 0\nhomeio = ${JSON.stringify(home)}\ncertfile = "nothere.pem"\nkeyfile = "nothere.key"\n`);
    const none = await request(p.port, '/lc.lsp');
    assert.equal(none.body, 'error\tCertificate required for server\n');
    await outShows(p.out, /Error: \/?nothere\.pem not found\n/);
    const fourth = await servedCN(p.sslport);
    assert.ok(['other.example', 'localhost'].includes(fourth.cn), fourth.cn);
    fourth.sock.destroy();
  } finally {
    p.child.kill('SIGKILL');
  }
});
