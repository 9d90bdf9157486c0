// ba.create.dav driven by real clients: curl for every WebDAV method (OPTIONS, PROPFIND depth
// 0/1, MKCOL, PUT, GET, COPY, MOVE, PROPPATCH, LOCK, UNLOCK, DELETE) with the status codes,
// headers and XML Mako answers; node:http for a large PUT streamed to disk while it arrives;
// names that try to leave the directory; a directory without locking; a Basic authenticator;
// dav:lockmgr from a page.
import test from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statSync, symlinkSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copyApp, request, RawClient, startTestServer } from '../harness/app-server.js';

interface CurlReply {
  status: number;
  headers: Map<string, string>;
  body: string;
}

function curl(args: string[]): Promise<CurlReply> {
  return new Promise((resolve, reject) =>
    execFile('curl', ['-s', '-S', '-i', ...args], { encoding: 'buffer', maxBuffer: 1 << 24, timeout: 60_000 }, (e, out, err) => {
      if (e) return reject(new Error(`${e.message}: ${err.toString()}`));
      const text = out.toString('utf8');
      const sep = text.indexOf('\r\n\r\n');
      const head = text.slice(0, sep).split('\r\n');
      const headers = new Map<string, string>();
      for (const l of head.slice(1)) {
        const c = l.indexOf(':');
        headers.set(l.slice(0, c).toLowerCase(), l.slice(c + 1).trim());
      }
      resolve({ status: Number(head[0]!.split(' ')[1]), headers, body: text.slice(sep + 4) });
    }),
  );
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const OCTET = ['-H', 'Content-Type: application/octet-stream'];
const LOCKINFO =
  '<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner><D:href>me</D:href></D:owner></D:lockinfo>';

async function withDav(fn: (base: string, files: string, port: number) => Promise<void>): Promise<void> {
  const app = copyApp('test/fixtures/apps/dav');
  const s = await startTestServer([{ name: '', prio: 0, path: app.dir }]);
  try {
    await fn(`http://127.0.0.1:${s.port}`, join(app.dir, 'files'), s.port);
  } finally {
    s.close();
    app.remove();
  }
}

test('OPTIONS, MKCOL, PUT, GET, PROPFIND, COPY, MOVE, DELETE with curl', async () => {
  await withDav(async (B, files) => {
    const o = await curl(['-X', 'OPTIONS', `${B}/dav/`]);
    assert.equal(o.status, 200);
    assert.equal(o.headers.get('dav'), '1, 2');
    assert.equal(o.headers.get('allow'), 'OPTIONS, GET, HEAD, PROPFIND, PUT, COPY, DELETE, MOVE, MKCOL, PROPFIND, PROPPATCH, LOCK, UNLOCK');
    assert.equal(o.headers.get('ms-author-via'), 'DAV');

    assert.equal((await curl(['-X', 'MKCOL', `${B}/dav/col`])).status, 201);
    assert.equal((await curl(['-X', 'MKCOL', `${B}/dav/col`])).status, 405);
    assert.equal((await curl(['-X', 'MKCOL', `${B}/dav/nope/col`])).status, 409);
    assert.equal((await curl(['-X', 'MKCOL', '--data', 'x', `${B}/dav/k/`])).status, 415);

    const put = await curl(['-X', 'PUT', ...OCTET, '--data-binary', 'hello world', `${B}/dav/col/a.txt`]);
    assert.equal(put.status, 201);
    assert.match(put.headers.get('etag')!, /^[0-9a-f]+$/);
    assert.equal(readFileSync(join(files, 'col', 'a.txt'), 'utf8'), 'hello world');
    const get = await curl([`${B}/dav/col/a.txt`]);
    assert.equal(get.status, 200);
    assert.equal(get.body, 'hello world');
    assert.equal((await curl(['-X', 'PUT', ...OCTET, '--data-binary', 'x', `${B}/dav/nope/x.txt`])).status, 409);

    const d0 = await curl(['-X', 'PROPFIND', '-H', 'Depth: 0', `${B}/dav/col/a.txt`]);
    assert.equal(d0.status, 207);
    assert.equal(d0.headers.get('content-type'), 'text/xml; charset="utf-8"');
    assert.match(d0.body, /^<\?xml version="1.0" encoding="utf-8"\?>\n<D:multistatus xmlns:D="DAV:">\n<D:response>\n/);
    assert.ok(d0.body.includes(`<D:href>${B}/dav/col/a.txt</D:href>`));
    assert.ok(d0.body.includes('<D:resourcetype/>\n<D:getcontentlength>11</D:getcontentlength>\n<D:getcontenttype>text/plain</D:getcontenttype>'));
    const d1 = await curl(['-X', 'PROPFIND', '-H', 'Depth: 1', `${B}/dav/`]);
    assert.equal(d1.status, 207);
    assert.ok(d1.body.includes(`<D:href>${B}/dav/col/</D:href>`));
    assert.ok(d1.body.includes('<D:resourcetype><D:collection/></D:resourcetype>'));
    assert.ok(!d1.body.includes('a.txt'), 'depth 1 lists children only');
    const named = await curl([
      '-X', 'PROPFIND', '-H', 'Depth: 0', '--data',
      '<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:getcontentlength/><D:displayname/></D:prop></D:propfind>',
      `${B}/dav/col/a.txt`,
    ]);
    assert.match(named.body, /<D:getcontentlength>11<\/D:getcontentlength>\n<\/D:prop>\n<D:status>HTTP\/1.1 200 OK<\/D:status>/);
    assert.match(named.body, /<D:displayname\/>\n<\/D:prop>\n<D:status>HTTP\/1.1 404 Not Found<\/D:status>/);
    assert.equal((await curl(['-X', 'PROPFIND', '--data', 'garbage<', `${B}/dav/col/a.txt`])).status, 400);
    assert.equal((await curl(['-X', 'PROPFIND', `${B}/dav/missing.txt`])).status, 404);

    assert.equal((await curl(['-X', 'COPY', '-H', `Destination: ${B}/dav/col/b.txt`, `${B}/dav/col/a.txt`])).status, 201);
    const no = await curl(['-X', 'COPY', '-H', `Destination: ${B}/dav/col/b.txt`, '-H', 'Overwrite: F', `${B}/dav/col/a.txt`]);
    assert.equal(no.status, 412);
    assert.equal(no.body, 'File exist col/b.txt');
    assert.equal((await curl(['-X', 'MOVE', '-H', `Destination: ${B}/dav/col/c.txt`, `${B}/dav/col/b.txt`])).status, 201);
    assert.ok(!existsSync(join(files, 'col', 'b.txt')));
    assert.equal(readFileSync(join(files, 'col', 'c.txt'), 'utf8'), 'hello world');
    assert.equal((await curl(['-X', 'COPY', '-H', `Destination: ${B}/dav/col2/`, `${B}/dav/col/`])).status, 201);
    assert.equal(readFileSync(join(files, 'col2', 'a.txt'), 'utf8'), 'hello world');
    // A Destination elsewhere (another host, outside the directory): 502 as in BAS.
    assert.equal((await curl(['-X', 'MOVE', '-H', 'Destination: http://other.example/x', `${B}/dav/col/c.txt`])).status, 502);
    assert.equal((await curl(['-X', 'MOVE', '-H', `Destination: ${B}/dav/../../etc/x`, `${B}/dav/col/c.txt`])).status, 502);
    assert.equal((await curl(['-X', 'MOVE', `${B}/dav/col/c.txt`])).status, 502);
    assert.equal((await curl(['-X', 'DELETE', `${B}/dav/col2/`])).status, 204);
    assert.ok(!existsSync(join(files, 'col2')));
    assert.equal((await curl(['-X', 'DELETE', `${B}/dav/col2/`])).status, 404);
    // Not a DAV method: 405 with the DAV headers.
    const post = await curl(['-X', 'POST', '--data', 'x', `${B}/dav/col/`]);
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('dav'), '1, 2');
    // The directory itself cannot be deleted (BAS would delete everything in it).
    assert.equal((await curl(['-X', 'DELETE', `${B}/dav/`])).status, 403);
    assert.ok(existsSync(join(files, 'col', 'a.txt')));
  });
});

test('PROPPATCH dead properties, LOCK and UNLOCK with curl', async () => {
  await withDav(async (B, files) => {
    await curl(['-X', 'PUT', ...OCTET, '--data-binary', 'x', `${B}/dav/a.txt`]);
    const pp = await curl([
      '-X', 'PROPPATCH', '--data',
      '<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="http://ns.example.com/z/"><D:set><D:prop><Z:author>Jim &amp; Co</Z:author></D:prop></D:set></D:propertyupdate>',
      `${B}/dav/a.txt`,
    ]);
    assert.equal(pp.status, 207);
    assert.ok(pp.body.includes('<D:prop><n1:author/></D:prop>\n<D:status>HTTP/1.1 200 OK</D:status>'));
    // Stored as BAS stores them: .DAV/<name> beside the file.
    assert.match(readFileSync(join(files, '.DAV', 'a.txt'), 'utf8'), /<prop xmlns:d1="http:\/\/ns.example.com\/z\/">\n<d1:author>Jim &amp; Co<\/d1:author>\n<\/prop>/);
    const all = await curl(['-X', 'PROPFIND', '-H', 'Depth: 0', `${B}/dav/a.txt`]);
    assert.ok(all.body.includes('<D:prop xmlns:f1="http://ns.example.com/z/">'));
    assert.ok(all.body.includes('<f1:author>Jim &amp; Co</f1:author>'));
    // .DAV is neither listed nor reachable.
    const list = await curl(['-X', 'PROPFIND', '-H', 'Depth: 1', `${B}/dav/`]);
    assert.ok(!list.body.includes('.DAV'));
    assert.equal((await curl(['-X', 'PROPFIND', `${B}/dav/.DAV/a.txt`])).status, 404);

    const lk = await curl(['-X', 'LOCK', '-H', 'Timeout: Second-600', '--data', LOCKINFO, `${B}/dav/a.txt`]);
    assert.equal(lk.status, 200);
    const token = /^<(opaquelocktoken:[0-9a-f-]+)>$/.exec(lk.headers.get('lock-token')!)![1]!;
    assert.ok(lk.body.includes(`<D:href>${token}</D:href>`));
    assert.ok(lk.body.includes('<n1:owner xmlns:n1="DAV:">\n<n1:href>me</n1:href>\n</n1:owner>\n<D:timeout>Second-600</D:timeout>'));
    assert.equal((await curl(['-X', 'LOCK', '--data', LOCKINFO, `${B}/dav/a.txt`])).status, 423);
    const del = await curl(['-X', 'DELETE', `${B}/dav/a.txt`]);
    assert.equal(del.status, 423);
    assert.equal(del.body, 'Cannot remove  a.txt. Locked');
    const disc = await curl(['-X', 'PROPFIND', '-H', 'Depth: 0', `${B}/dav/a.txt`]);
    assert.ok(disc.body.includes('<D:lockdiscovery>'));
    assert.equal((await curl(['-X', 'UNLOCK', '-H', `Lock-Token: <${token}>`, `${B}/dav/a.txt`])).status, 204);
    assert.equal((await curl(['-X', 'DELETE', `${B}/dav/a.txt`])).status, 204);
    assert.ok(!existsSync(join(files, '.DAV', 'a.txt')), 'the dead properties go with the file');

    // A lock on a name that does not exist (lock-null): 201, listed by PROPFIND until unlocked.
    const ln = await curl(['-X', 'LOCK', '--data', LOCKINFO, `${B}/dav/new.txt`]);
    assert.equal(ln.status, 201);
    assert.ok(ln.body.includes('<D:timeout>Second-3600</D:timeout>'));
    const lnp = await curl(['-X', 'PROPFIND', '-H', 'Depth: 0', `${B}/dav/new.txt`]);
    assert.equal(lnp.status, 207);
    assert.ok(lnp.body.includes('<D:supportedlock>'));
    assert.equal((await curl([`${B}/dav/new.txt`])).status, 404);
    assert.equal((await curl(['-X', 'UNLOCK', '-H', 'Lock-Token: <opaquelocktoken:x>', `${B}/dav/new.txt`])).status, 204);
    assert.equal((await curl(['-X', 'PROPFIND', `${B}/dav/new.txt`])).status, 404);

    // Without a lock directory: DAV class 1, no LOCK.
    const ro = await curl(['-X', 'OPTIONS', `${B}/ro/`]);
    assert.equal(ro.headers.get('dav'), '1');
    assert.ok(!ro.headers.get('allow')!.includes('LOCK'));
    assert.equal((await curl(['-X', 'LOCK', '--data', LOCKINFO, `${B}/ro/x.txt`])).status, 405);
  });
});

test('a large PUT is written while it arrives (node:http and a raw client)', async () => {
  await withDav(async (B, files, port) => {
    const total = 4 * 1024 * 1024;
    const body = randomBytes(total);
    const c = new RawClient(port);
    await c.connected();
    c.send(`PUT /dav/big.bin HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Length: ${total}\r\n\r\n`);
    c.send(body.subarray(0, total / 2));
    const file = join(files, 'big.bin');
    for (let i = 0; i < 600 && !(existsSync(file) && statSync(file).size >= total / 2 - 256 * 1024); i++) await new Promise((r) => setTimeout(r, 50));
    const mid = statSync(file).size;
    assert.ok(mid >= total / 2 - 256 * 1024 && mid < total, `on disk while arriving: ${mid}`);
    c.send(body.subarray(total / 2));
    await c.until((t) => t.startsWith('HTTP/1.1 201'), 30_000);
    assert.equal(sha(readFileSync(file)), sha(body));
    c.sock.destroy();
    // node:http: PROPFIND and a chunked PUT on one request each.
    const r = await request(port, '/dav/big.bin', { method: 'PROPFIND', headers: { Depth: '0' } });
    assert.equal(r.status, 207);
    assert.ok(r.body.includes(`<D:getcontentlength>${total}</D:getcontentlength>`));
    const r2 = await request(port, '/dav/chunked.txt', { method: 'PUT', headers: { 'Transfer-Encoding': 'chunked' }, body: 'chunky' });
    assert.equal(r2.status, 201);
    assert.equal(readFileSync(join(files, 'chunked.txt'), 'utf8'), 'chunky');
    void B;
  });
});

test('names cannot leave the directory; a symbolic link out of it is refused', async () => {
  const outside = mkdtempSync(join(tmpdir(), 'remora-dav-out-'));
  try {
    await withDav(async (B, files, port) => {
      symlinkSync(outside, join(files, 'link'));
      assert.equal((await curl(['-X', 'PUT', ...OCTET, '--data-binary', 'x', `${B}/dav/link/x.txt`])).status, 403);
      assert.ok(!existsSync(join(outside, 'x.txt')));
      assert.equal((await curl(['-X', 'MKCOL', `${B}/dav/link/sub`])).status, 403);
      for (const p of ['/dav/%2e%2e/x.txt', '/dav/a%2fb.txt', '/dav/..%2f..%2fx.txt', '/dav/%00.txt']) {
        const c = new RawClient(port);
        await c.connected();
        c.send(`PUT ${p} HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nConnection: close\r\n\r\nx`);
        await c.until((t) => /^HTTP\/1.1 \d{3}/.test(t), 10_000);
        assert.match(c.text, /^HTTP\/1.1 (400|404)/, p);
      }
      await curl(['-X', 'PUT', ...OCTET, '--data-binary', 'x', `${B}/dav/in.txt`]);
      const esc = await curl(['-X', 'COPY', '-H', `Destination: ${B}/dav/%2e%2e/%2e%2e/x.txt`, `${B}/dav/in.txt`]);
      assert.equal(esc.status, 502);
      assert.equal((await curl(['-X', 'COPY', '-H', `Destination: ${B}/dav/link/x.txt`, `${B}/dav/in.txt`])).status, 403);
      assert.ok(!existsSync(join(outside, 'x.txt')));
    });
  } finally {
    rmSync(outside, { recursive: true, force: true });
  }
});

test('a Basic authenticator protects the directory; dav:lockmgr from a page', async () => {
  await withDav(async (B) => {
    const no = await curl(['-X', 'PROPFIND', `${B}/prot/`]);
    assert.equal(no.status, 401);
    assert.match(no.headers.get('www-authenticate')!, /^Basic realm="dav"/);
    assert.equal((await curl(['-u', 'alice:wrong', '-X', 'PROPFIND', `${B}/prot/`])).status, 401);
    assert.equal((await curl(['-u', 'alice:secret', '-X', 'PROPFIND', `${B}/prot/`])).status, 207);
    const page = await curl([`${B}/lockmgr.lsp?name=a.txt`]);
    assert.equal(
      page.body,
      'locked\tfalse\nlock\ttrue\nagain\tnil\talreadylocked\nlocked\ttrue\nowner\tWFS\tnumber\nunlock\ttrue\nunlock\tnil\tlocknotfound\nro\tnil\tlockdisabled\n',
    );
  });
});
