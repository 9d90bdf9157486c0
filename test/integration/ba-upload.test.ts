// ba.create.upload with real clients (curl and raw sockets): PUT and multipart POST bodies of
// several MiB saved byte-exact, the file growing on disk while the client is still sending (the
// body is streamed, not buffered), the callbacks' deferred response (also completed later from a
// timer), BAS's error paths (errorfunc codes, a raising callback, no response, a request that is
// no upload) and the limit of concurrent uploads.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withFixtureApp, request, RawClient } from '../harness/app-server.js';

function curl(args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile('curl', ['-s', '-S', ...args], { encoding: 'buffer', maxBuffer: 1 << 24, timeout: 60_000 }, (e, out, err) =>
      e ? reject(new Error(`${e.message}: ${err.toString()}`)) : resolve(out.toString('latin1')),
    ),
  );
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (ok()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`timed out waiting for ${what}`);
}

const withApp = (fn: (port: number, dir: string, log: () => string) => Promise<void>): Promise<void> => withFixtureApp('test/fixtures/apps/upload', fn);

test('PUT and multipart POST of several MiB are saved byte-exact (curl)', async () => {
  await withApp(async (port, dir) => {
    const big = randomBytes(3 * 1024 * 1024 + 17);
    const small = Buffer.from('hello upload\n');
    writeFileSync(join(dir, 'big.bin'), big);
    writeFileSync(join(dir, 'small.txt'), small);
    const put = JSON.parse(await curl(['-T', join(dir, 'big.bin'), `http://127.0.0.1:${port}/index.lsp?name=put.bin`]));
    assert.equal(put.name, 'put.bin');
    assert.equal(put.multipart, false);
    assert.equal(put.url, `http://127.0.0.1:${port}/index.lsp`);
    assert.equal(put.session, false);
    assert.equal(sha(readFileSync(join(dir, 'up', 'put.bin'))), sha(big));

    // Two files and a field; each file is saved under its own name, form fields are ignored.
    const mp = JSON.parse(
      await curl(['-F', 'note=x', '-F', `a=@${join(dir, 'small.txt')}`, '-F', `b=@${join(dir, 'big.bin')};filename=dir/sub/win.bin`, `http://127.0.0.1:${port}/index.lsp`]),
    );
    assert.deepEqual(mp.starts, ['small.txt', 'win.bin']);
    assert.equal(mp.name, 'win.bin');
    assert.equal(mp.multipart, true);
    assert.equal(sha(readFileSync(join(dir, 'up', 'small.txt'))), sha(small));
    assert.equal(sha(readFileSync(join(dir, 'up', 'win.bin'))), sha(big));

    // An empty PUT makes an empty file; a chunked PUT (curl -T - reads stdin) works too.
    const empty = JSON.parse(await curl(['-T', '/dev/null', `http://127.0.0.1:${port}/index.lsp?name=empty.bin`]));
    assert.equal(empty.name, 'empty.bin');
    assert.equal(statSync(join(dir, 'up', 'empty.bin')).size, 0);
    // The deferred response completed from a timer after the callback returned.
    const later = JSON.parse(await curl(['-H', 'Transfer-Encoding: chunked', '-T', join(dir, 'small.txt'), `http://127.0.0.1:${port}/index.lsp?name=later.txt&mode=later`]));
    assert.equal(later.name, 'later.txt');
    assert.equal(readFileSync(join(dir, 'up', 'later.txt')).toString(), small.toString());
  });
});

test('a large PUT is written while it arrives (never held whole), and the connection goes on', async () => {
  await withApp(async (port, dir) => {
    const total = 4 * 1024 * 1024;
    const body = randomBytes(total);
    const c = new RawClient(port);
    await c.connected();
    c.send(`PUT /index.lsp?name=stream.bin HTTP/1.1\r\nHost: x\r\nContent-Length: ${total}\r\n\r\n`);
    c.send(body.subarray(0, total / 2));
    // The first half is on disk before the client sends the second one.
    const file = join(dir, 'up', 'stream.bin');
    await until('the first half on disk', () => existsSync(file) && statSync(file).size >= total / 2 - 256 * 1024);
    assert.ok(statSync(file).size < total);
    c.send(body.subarray(total / 2));
    await c.until((t) => t.includes('"name":"stream.bin"') && t.endsWith('0\r\n\r\n'), 30_000);
    assert.match(c.text, /^HTTP\/1\.1 200 OK\r\n/);
    assert.equal(sha(readFileSync(file)), sha(body));
    // Keep-alive: the next request on the same connection is served.
    c.take();
    c.send('GET /index.lsp HTTP/1.1\r\nHost: x\r\n\r\n');
    await c.until((t) => t.includes('\r\n\r\n') && t.startsWith('HTTP/1.1 200'));
    c.sock.destroy();
  });
});

test('error paths as in BAS: errorfunc codes, raising and silent callbacks, no upload, a client gone', async () => {
  await withApp(async (port, dir, log) => {
    writeFileSync(join(dir, 'small.txt'), 'x');
    const base = `http://127.0.0.1:${port}/index.lsp`;
    // The file cannot be created: errorfunc gets the IO's code and message.
    assert.equal(await curl(['-T', join(dir, 'small.txt'), `${base}?name=nodir/a.txt`]), 'enoent|No such file or directory');
    // A file part without a file name.
    assert.equal(await curl(['-F', `f=@${join(dir, 'small.txt')};filename=`, base]), 'invalidname|No file name specified.');
    // completefunc raises: 500 with its error; it is traced.
    const raised = await request(port, '/index.lsp?name=r.txt&mode=raise', { method: 'PUT', body: 'abc' });
    assert.equal(raised.status, 500);
    assert.match(raised.body, /complete failed/);
    assert.match(log(), /-------- Lua error: .*complete failed/);
    assert.match(log(), /Err Lua upload: .*complete failed/);
    // completefunc takes no response.
    const silent = await request(port, '/index.lsp?name=s.txt&mode=none', { method: 'PUT', body: 'abc' });
    assert.equal(silent.status, 500);
    assert.equal(silent.body, 'No response in Lua callbacks');
    // Neither PUT nor multipart POST: the uploader raises, the page goes on.
    const form = await request(port, '/index.lsp', { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'a=1' });
    assert.match(form.body, /uploader raised: .*index\.lsp:\d+: Invalid PUT or multipart POST|uploader raised: .*Invalid PUT or multipart POST/);

    // The client goes away halfway: errorfunc gets "unknown", "Sock err" (BAS's words).
    const c = new RawClient(port);
    await c.connected();
    c.send(`PUT /index.lsp?name=gone.bin HTTP/1.1\r\nHost: x\r\nContent-Length: 400000\r\n\r\n`);
    c.send(Buffer.alloc(200000, 1));
    await until('part of the body on disk', () => existsSync(join(dir, 'up', 'gone.bin')));
    c.sock.destroy();
    let failuresText = '';
    for (let i = 0; i < 100 && !/unknown\|Sock err/.test(failuresText); i++) {
      failuresText = (await request(port, '/index.lsp')).body;
      if (!/unknown\|Sock err/.test(failuresText)) await new Promise((r) => setTimeout(r, 50));
    }
    assert.match(failuresText, /unknown\|Sock err/);
  });
});

test('above maxuploads concurrent uploads the client gets 503', async () => {
  await withApp(async (port, dir) => {
    const c = new RawClient(port);
    await c.connected();
    c.send(`PUT /index.lsp?name=one.bin&max=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 300000\r\n\r\n`);
    c.send(Buffer.alloc(100000, 2));
    // The first upload holds the only slot while its body is incomplete. It has started once
    // its file exists (on a busy machine a second request could otherwise take the slot first).
    await until('the first upload to start', () => existsSync(join(dir, 'up', 'one.bin')));
    let second = await request(port, '/index.lsp?name=two.bin&max=1', { method: 'PUT', body: 'x' });
    for (let i = 0; i < 100 && second.status !== 503; i++) {
      await new Promise((r) => setTimeout(r, 50));
      second = await request(port, '/index.lsp?name=two.bin&max=1', { method: 'PUT', body: 'x' });
    }
    assert.equal(second.status, 503);
    assert.match(second.body, /The maximum number of concurrent uploads reached/);
    c.send(Buffer.alloc(200000, 2));
    await c.until((t) => t.includes('"name":"one.bin"'), 30_000);
    c.sock.destroy();
    // The slot is free again.
    const third = await request(port, '/index.lsp?name=three.bin&max=1', { method: 'PUT', body: 'x' });
    assert.equal(third.status, 200);
  });
});
