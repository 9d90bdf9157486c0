// ba.create.dav driven by real clients: curl for every WebDAV method (OPTIONS, PROPFIND depth
// 0/1, MKCOL, PUT, GET, COPY, MOVE, PROPPATCH, LOCK, UNLOCK, DELETE) with the status codes,
// headers and XML Mako answers; node:http for a large PUT streamed to disk while it arrives;
// names that try to leave the directory; a directory without locking; a Basic authenticator;
// dav:lockmgr from a page; the lock directory's owner files, lock timeouts and limits, a
// restart; the upload limit with a slow node:http PUT; dav:service from a directory function.
import test from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import http from 'node:http';
import { existsSync, readFileSync, readdirSync, statSync, symlinkSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
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
    assert.equal((await curl(['-X', 'UNLOCK', `${B}/dav/new.txt`])).status, 404, 'nothing to unlock');

    // Without a lock directory: DAV class 1, no LOCK.
    const ro = await curl(['-X', 'OPTIONS', `${B}/ro/`]);
    assert.equal(ro.headers.get('dav'), '1');
    assert.ok(!ro.headers.get('allow')!.includes('LOCK'));
    // BAS: LOCK and UNLOCK there are refused with 403.
    assert.equal((await curl(['-X', 'LOCK', '--data', LOCKINFO, `${B}/ro/x.txt`])).status, 403);
    assert.equal((await curl(['-X', 'UNLOCK', `${B}/ro/x.txt`])).status, 403);
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
      'locked\tfalse\nlock\ttrue\nagain\tnil\talreadylocked\nlocked\ttrue\nowner\tWFM\tnumber\nunlock\ttrue\nunlock\tnil\tlocknotfound\nro\tnil\tlockdisabled\n',
    );
  });
});

test('lock owners are files L<n> of the lock directory; timeouts 300..3600 s; refresh; limit; restart', async () => {
  const app = copyApp('test/fixtures/apps/dav');
  const lockDir = join(app.dir, 'files', '.LOCK3');
  try {
    let s = await startTestServer([{ name: '', prio: 0, path: app.dir }]);
    let B = `http://127.0.0.1:${s.port}`;
    try {
      await curl(['-X', 'PUT', ...OCTET, '--data-binary', 'x', `${B}/lim/a.txt`]);
      const short = await curl(['-X', 'LOCK', '-H', 'Timeout: Second-10', '--data', LOCKINFO, `${B}/lim/a.txt`]);
      assert.equal(short.status, 200);
      assert.ok(short.body.includes('<D:timeout>Second-300</D:timeout>'), 'at least 300 s');
      assert.equal(readFileSync(join(lockDir, 'L0'), 'utf8'), '<n1:owner xmlns:n1="DAV:">\n<n1:href>me</n1:href>\n</n1:owner>\n');
      const long = await curl(['-X', 'LOCK', '-H', 'Timeout: Second-99999', '--data', LOCKINFO, `${B}/lim/b.txt`]);
      assert.equal(long.status, 201);
      assert.ok(long.body.includes('<D:timeout>Second-3600</D:timeout>'), 'at most 3600 s');
      assert.deepEqual(readdirSync(lockDir).sort(), ['L0', 'L1']);
      // Two locks is the limit of /lim/: 503 with Retry-After, as BAS answers.
      const full = await curl(['-X', 'LOCK', '--data', LOCKINFO, `${B}/lim/c.txt`]);
      assert.equal(full.status, 503);
      assert.equal(full.headers.get('retry-after'), '60');
      // A refresh (no body) answers the same lock with its token.
      const refresh = await curl(['-X', 'LOCK', '-H', 'Timeout: Second-500', `${B}/lim/a.txt`]);
      assert.equal(refresh.status, 200);
      assert.equal(refresh.headers.get('lock-token'), short.headers.get('lock-token'));
      assert.equal((await curl(['-X', 'LOCK', `${B}/lim/c.txt`])).status, 404, 'no lock to refresh');
      assert.equal((await curl(['-X', 'UNLOCK', `${B}/lim/b.txt`])).status, 204);
      assert.deepEqual(readdirSync(lockDir), ['L0'], 'UNLOCK removes the owner file');
      // A directory with a locked file in it is not deleted.
      assert.equal((await curl(['-X', 'MKCOL', `${B}/lim/d`])).status, 201);
      await curl(['-X', 'PUT', ...OCTET, '--data-binary', 'x', `${B}/lim/d/in.txt`]);
      assert.equal((await curl(['-X', 'LOCK', '--data', LOCKINFO, `${B}/lim/d/in.txt`])).status, 200);
      const del = await curl(['-X', 'DELETE', `${B}/lim/d/`]);
      assert.equal(del.status, 423);
      assert.equal(del.body, 'Cannot remove  d/in.txt. Locked');
      assert.ok(existsSync(join(app.dir, 'files', 'd', 'in.txt')));
    } finally {
      s.close();
    }
    // As in BAS, a new server starts with no locks; the files left are reused by number.
    s = await startTestServer([{ name: '', prio: 0, path: app.dir }]);
    B = `http://127.0.0.1:${s.port}`;
    try {
      const pf = await curl(['-X', 'PROPFIND', '-H', 'Depth: 0', `${B}/lim/a.txt`]);
      assert.ok(!pf.body.includes('lockdiscovery'));
      const again = await curl(['-X', 'LOCK', '--data', LOCKINFO.replace('>me<', '>you<'), `${B}/lim/a.txt`]);
      assert.equal(again.status, 200);
      assert.match(readFileSync(join(lockDir, 'L0'), 'utf8'), /you/);
    } finally {
      s.close();
    }
  } finally {
    app.remove();
  }
});

test('maxuploads: a PUT while the only slot streams gets 503 with BAS text', async () => {
  await withDav(async (B, files, port) => {
    const total = 2_000_000;
    const req = http.request({ host: '127.0.0.1', port, method: 'PUT', path: '/lim/big.bin', headers: { 'Content-Length': total }, agent: false });
    const first = new Promise<number>((resolve, reject) => {
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
    });
    first.catch(() => undefined); // awaited below; a destroyed request must not be unhandled
    try {
      req.write(Buffer.alloc(200_000, 97));
      const file = join(files, 'big.bin');
      for (let i = 0; i < 400 && !(existsSync(file) && statSync(file).size > 0); i++) await new Promise((r) => setTimeout(r, 25));
      assert.ok(existsSync(file), 'the first PUT is streaming');
      const second = await curl(['-X', 'PUT', ...OCTET, '--data-binary', 'second', `${B}/lim/second.txt`]);
      assert.equal(second.status, 503);
      assert.equal(second.body, 'The maximum number of concurrent uploads reached');
      assert.equal(second.headers.get('content-type'), 'text/plain');
      assert.equal(second.headers.get('connection'), 'close');
      assert.ok(!existsSync(join(files, 'second.txt')));
      req.end(Buffer.alloc(total - 200_000, 98));
      assert.equal(await first, 201);
      assert.equal(statSync(file).size, total);
      // The slot is free again; other directories have their own limit (BAS: 5).
      assert.equal((await curl(['-X', 'PUT', ...OCTET, '--data-binary', 'third', `${B}/lim/third.txt`])).status, 201);
    } finally {
      req.destroy();
    }
  });
});

test('dav:service runs WebDAV for a directory function\'s request, as the web file manager uses it', async () => {
  await withDav(async (B, files) => {
    const o = await curl(['-X', 'OPTIONS', `${B}/svc/`]);
    assert.equal(o.status, 200);
    assert.equal(o.headers.get('dav'), '1, 2');
    assert.equal(o.headers.get('content-type'), undefined);
    const put = await curl(['-X', 'PUT', ...OCTET, '--data-binary', 'via service', `${B}/svc/sub.txt`]);
    assert.equal(put.status, 201);
    assert.equal(readFileSync(join(files, 'sub.txt'), 'utf8'), 'via service');
    assert.equal((await curl(['-X', 'MKCOL', `${B}/svc/col`])).status, 201);
    const pf = await curl(['-X', 'PROPFIND', '-H', 'Depth: 1', `${B}/svc/`]);
    assert.equal(pf.status, 207);
    assert.ok(pf.body.includes(`<D:href>${B}/svc/</D:href>`), 'hrefs start at the request path without rel');
    assert.ok(pf.body.includes(`<D:href>${B}/svc/sub.txt</D:href>`));
    assert.ok(pf.body.includes(`<D:href>${B}/svc/col/</D:href>`));
    const get = await curl([`${B}/svc/sub.txt`]);
    assert.equal(get.status, 200);
    assert.equal(get.body, 'via service');
    // GET of a directory: service answers nothing and returns false; the tree then says 404.
    assert.equal((await curl([`${B}/svc/col/`])).status, 404);
    assert.equal((await curl([`${B}/svc/missing.txt`])).status, 404);
    assert.equal((await curl(['-X', 'DELETE', `${B}/svc/col`])).status, 204);
    const log = await curl([`${B}/svclog.lsp`]);
    assert.equal(log.body, 'OPTIONS  true\nPUT sub.txt true\nMKCOL col true\nPROPFIND  true\nGET sub.txt true\nGET col/ false\nGET missing.txt true\nDELETE col true\n');
  });
});

// Mako's web file manager (wfs.lua of BAS-Resources, not part of this repository): its
// ba.create.wfs object is a table that directory methods accept, and its WebDAV requests go
// through dav:service. Runs when REMORA_BAS_SRC names BAS-Resources/src.
const BAS_SRC = process.env.REMORA_BAS_SRC ?? '';
const wfsSkip = BAS_SRC && existsSync(join(BAS_SRC, 'core', '.lua', 'wfs.lua')) ? false : 'set REMORA_BAS_SRC to BAS-Resources/src to run';

test('the web file manager (wfs.lua) serves WebDAV clients through dav:service', { skip: wfsSkip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'remora-wfs-'));
  try {
    const files = join(dir, 'files');
    mkdirSync(join(files, 'col'), { recursive: true });
    writeFileSync(join(files, 'a.txt'), 'hi\n');
    writeFileSync(
      join(dir, '.preload'),
      `package.path = ${JSON.stringify(join(BAS_SRC, 'core', '.lua', '?.lua'))} .. ";" .. package.path\nrequire"wfs"\nfs = ba.create.wfs("fs", ba.mkio(io, "files"), ".LOCK")\ndir:insert(fs, true)\n`,
    );
    const s = await startTestServer([{ name: '', prio: 0, path: dir }]);
    const B = `http://127.0.0.1:${s.port}`;
    try {
      const o = await curl(['-X', 'OPTIONS', `${B}/fs/`]);
      assert.equal(o.headers.get('dav'), '1, 2');
      const pf = await curl(['-X', 'PROPFIND', '-H', 'Depth: 1', `${B}/fs/`]);
      assert.equal(pf.status, 207);
      assert.ok(pf.body.includes(`<D:href>${B}/fs/a.txt</D:href>`));
      assert.equal((await curl(['-X', 'PUT', ...OCTET, '--data-binary', 'bee', `${B}/fs/b.txt`])).status, 201);
      assert.equal(readFileSync(join(files, 'b.txt'), 'utf8'), 'bee');
      assert.equal((await curl(['-X', 'LOCK', '--data', LOCKINFO, `${B}/fs/b.txt`])).status, 200);
      assert.equal((await curl(['-X', 'DELETE', `${B}/fs/b.txt`])).status, 423);
      assert.equal((await curl(['-X', 'UNLOCK', `${B}/fs/b.txt`])).status, 204);
      assert.equal((await curl(['-X', 'DELETE', `${B}/fs/b.txt`])).status, 204);
      // A browser gets the HTML listing; its links are escaped by ba.urlencode as BAS does.
      const page = await curl(['-A', 'Mozilla/5.0', `${B}/fs/`]);
      assert.equal(page.status, 200);
      assert.ok(page.body.includes("<a href='col/'>col</a>"), 'directory link as on Mako');
      assert.equal((await curl(['-A', 'Mozilla/5.0', `${B}/fs/col/`])).status, 200);
    } finally {
      s.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a zip file IO is served read-only: OPTIONS, PROPFIND, GET; writing methods 405', async () => {
  await withDav(async (B) => {
    const o = await curl(['-X', 'OPTIONS', `${B}/zdav/`]);
    assert.equal(o.status, 200);
    assert.equal(o.headers.get('allow'), 'OPTIONS, GET, HEAD, PROPFIND');
    assert.equal(o.headers.get('dav'), '1');
    const pf = await curl(['-X', 'PROPFIND', '-H', 'Depth: 1', `${B}/zdav/`]);
    assert.equal(pf.status, 207);
    for (const h of ['zdav/', 'zdav/d/', 'zdav/m.lua', 'zdav/p.lsp', 'zdav/t.txt']) assert.ok(pf.body.includes(`<D:href>${B}/${h}</D:href>`), h);
    assert.ok(pf.body.includes('<D:getcontentlength>9</D:getcontentlength>'));
    assert.ok(pf.body.includes('<D:getetag>65937d26</D:getetag>'), 'the entry time (2024-01-02 03:04:06) in hex');
    const d0 = await curl(['-X', 'PROPFIND', '-H', 'Depth: 0', `${B}/zdav/d/`]);
    assert.equal(d0.status, 207);
    assert.ok(d0.body.includes('<D:resourcetype><D:collection/></D:resourcetype>'));
    const get = await curl([`${B}/zdav/t.txt`]);
    assert.equal(get.status, 200);
    assert.equal(get.body, 'zip text\n');
    const lsp = await curl([`${B}/zdav/p.lsp`]);
    assert.equal(lsp.body, '<?lsp= 40+2 ?> zip page io=<?lsp= type(io) ?>\n', 'pages are files here');
    assert.equal((await curl(['-X', 'PROPFIND', `${B}/zdav/none.txt`])).status, 404);
    assert.equal((await curl(['-X', 'PROPFIND', `${B}/zdav/t.txt/`])).status, 404);
    for (const m of ['PUT', 'DELETE', 'MKCOL', 'LOCK', 'PROPPATCH']) {
      const r = await curl(['-X', m, '--data', 'x', `${B}/zdav/n.txt`]);
      assert.equal(r.status, 405, m);
      assert.equal(r.headers.get('allow'), 'OPTIONS, GET, HEAD, PROPFIND');
    }
    const page = await curl([`${B}/zdavio.lsp`]);
    assert.equal(page.body, 'io\ttrue\tfalse\tlockdisabled\n');
  });
});
