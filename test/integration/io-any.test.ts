// Any IO wherever an IO is taken, with real clients (curl, node:http): a resource reader over a
// Lua-implemented IO (ba.create.luaio) whose functions wait (sleep, file system) serves static
// files byte-exact, ranges, conditional requests and LSP pages; one over a zip file's IO serves
// files and pages; an upload goes through the Lua IO's write functions. Fixture:
// test/fixtures/apps/io-any. An app runs straight from a zip file (-l::app.zip).
import test from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { execFile, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withFixtureApp, request } from '../harness/app-server.js';
import { startCli } from '../harness/net-util.js';

function curl(args: string[]): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    execFile('curl', ['-s', '-S', ...args], { encoding: 'buffer', maxBuffer: 1 << 24, timeout: 60_000 }, (e, out, err) =>
      e ? reject(new Error(`${e.message}: ${err.toString()}`)) : resolve(out),
    ),
  );
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

const withApp = (fn: (port: number, dir: string, log: () => string) => Promise<void>): Promise<void> => withFixtureApp('test/fixtures/apps/io-any', fn);

test('a resource reader over a Lua-implemented IO serves files, ranges and pages (curl)', async () => {
  await withApp(async (port, dir) => {
    const big = randomBytes(2 * 1024 * 1024 + 5);
    writeFileSync(join(dir, 'big.bin'), big);
    const base = `http://127.0.0.1:${port}/lio`;
    assert.equal(sha(await curl([`${base}/big.bin`])), sha(big));
    assert.deepEqual(await curl(['-r', '100000-100099', `${base}/big.bin`]), big.subarray(100000, 100100));
    const head = (await curl(['-i', `${base}/big.bin`, '-r', '0-9'])).toString('latin1');
    assert.match(head, /^HTTP\/1\.1 206/);
    assert.match(head, new RegExp(`Content-Range: bytes 0-9/${big.length}`, 'i'));
    // Conditional request with the validators the first answer gave.
    const lm = /last-modified: ([^\r]+)/i.exec(head)![1]!;
    const cond = (await curl(['-i', '-H', `If-Modified-Since: ${lm}`, `${base}/big.bin`])).toString('latin1');
    assert.match(cond, /^HTTP\/1\.1 304/);

    const page = (await curl([`${base}/page.lsp?x=42`])).toString();
    assert.equal(page, 'page from luaio: lio app lua 42');
    assert.equal((await curl([`${base}/sub/`])).toString(), 'sub index\n');
    const redir = (await curl(['-i', `${base}/sub`])).toString('latin1');
    assert.match(redir, /^HTTP\/1\.1 302/);
    assert.match(redir, new RegExp(`Location: http://127\\.0\\.0\\.1:${port}/lio/sub/`, 'i'));
    // Hidden names and missing files are not there; a stat function that raises is "not there" too.
    for (const p of ['.preload', 'none.txt', 'raise.txt']) {
      const r = await request(port, `/lio/${p}`);
      assert.equal(r.status, 404, p);
    }
    // include and forward resolve in the page's IO (relative to the page, or from its root).
    assert.equal((await curl([`${base}/incl.lsp`])).toString(), 'A[part sub/part.lsp data]sub index\nZ');
    assert.equal((await curl([`${base}/fwd.lsp`])).toString(), '[part sub/part.lsp data]');
    // The app's own pages still work after all that.
    assert.equal((await request(port, '/page.lsp?x=1')).status, 200);
  });
});

test('a Lua IO whose read raises mid-file: that connection is closed short, the server goes on', async () => {
  await withApp(async (port, dir) => {
    const big = randomBytes(300_000);
    writeFileSync(join(dir, 'big.bin'), big);
    // curl reports the short body (exit 18: transfer closed with bytes remaining).
    await assert.rejects(curl([`http://127.0.0.1:${port}/lio/broken/big.bin`]), /curl: \(18\)/);
    assert.equal(sha(await curl([`http://127.0.0.1:${port}/lio/big.bin`])), sha(big));
    assert.equal((await request(port, '/lio/sub/')).body, 'sub index\n');
  });
});

test('concurrent downloads through a Lua-implemented IO do not mix (node:http)', async () => {
  await withApp(async (port, dir) => {
    const files = [0, 1, 2, 3].map((i) => {
      const b = randomBytes(200_000 + i * 7);
      writeFileSync(join(dir, `f${i}.bin`), b);
      return b;
    });
    const got = await Promise.all(files.map((_, i) => curl([`http://127.0.0.1:${port}/lio/f${i}.bin`])));
    got.forEach((g, i) => assert.equal(sha(g), sha(files[i]!), `f${i}`));
  });
});

test('a resource reader over a zip file IO serves its files and pages', async () => {
  await withApp(async (port) => {
    const t = await request(port, '/zip/t.txt');
    assert.equal(t.status, 200);
    assert.equal(t.body, 'zip text\n');
    assert.match(String(t.headers['content-type']), /^text\/plain/);
    const p = await request(port, '/zip/p.lsp');
    assert.equal(p.status, 200);
    assert.equal(p.body, '42 zip page io=userdata');
    assert.equal((await request(port, '/zip/d/')).body, 'ZIDX\n');
    assert.equal((await request(port, '/zip/d')).status, 302);
    assert.equal((await request(port, '/zip/none.txt')).status, 404);
    assert.equal((await request(port, '/zip/t.txt', { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: 'x' })).status, 405);
  });
});

test('ba.create.upload over a Lua-implemented IO writes through its functions (curl -T)', async () => {
  await withApp(async (port, dir) => {
    const body = randomBytes(300_000);
    writeFileSync(join(dir, 'src.bin'), body);
    const out = (await curl(['-T', join(dir, 'src.bin'), `http://127.0.0.1:${port}/upload.lsp?name=put.bin`])).toString();
    assert.equal(out, 'saved up/put.bin');
    assert.equal(sha(readFileSync(join(dir, 'up', 'put.bin'))), sha(body));
    // And the uploaded file is served back through the same IO.
    assert.equal(sha(await curl([`http://127.0.0.1:${port}/lio/up/put.bin`])), sha(body));
  });
});

// test/fixtures/apps/zipapp.zip holds .preload (sets `greeting` from io:resourcetype(), requires
// .lua/zipmod.lua), index.lsp (the greeting and request:uri()), static.txt and sub/index.html.
test('remora -l::app.zip and -lname::app.zip run the app from the zip file (curl)', async () => {
  const zip = 'test/fixtures/apps/zipapp.zip';
  const p = await startCli(['-p', '0', '--no-https', `-l::${zip}`, `-lz::${zip}`]);
  try {
    const base = `http://127.0.0.1:${p.port}`;
    assert.equal((await curl([`${base}/index.lsp`])).toString(), 'hello from zip page=/index.lsp');
    assert.equal((await curl([`${base}/z/index.lsp`])).toString(), 'hello from zip page=/z/index.lsp');
    assert.equal((await curl([`${base}/static.txt`])).toString(), 'static from zip\n');
    assert.equal((await curl(['-r', '7-10', `${base}/z/static.txt`])).toString(), 'from');
    assert.equal((await curl([`${base}/sub/`])).toString(), 'sub index\n');
    const r = await request(p.port, '/sub');
    assert.equal(r.status, 302);
    assert.equal(r.headers.location, `${base}/sub/`);
    assert.equal((await request(p.port, '/.preload')).status, 404);
    assert.match(p.out(), /zipapp preload\thello from zip\troot\n/);
    assert.match(p.out(), /zipapp preload\thello from zip\tz\n/);
    assert.match(p.out(), /zipapp require\tmodule from zip\n/);
    p.child.kill('SIGTERM');
    assert.equal(await p.exited, 0);
  } finally {
    p.child.kill('SIGKILL');
  }
});

test('remora -l::file that is neither a directory nor a zip file: one line, status 2', async () => {
  const p = spawnSync(process.execPath, ['dist/src/cli/main.js', '-p', '0', '-l::test/fixtures/apps/io-any/page.lsp'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(p.status, 2);
  assert.match(p.stderr, /app path is neither a directory nor a zip file: test\/fixtures\/apps\/io-any\/page\.lsp/);
});
