// Request bodies through request:rawrdr() with real clients (node:http and curl): JSON read with
// the streaming parser, XML, 1 MiB of binary hashed piece by piece, readers sharing a position,
// and the configurable size limit (maxbodysize) answered with 413.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import net from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request, startTestServer } from '../harness/app-server.js';
import { tempDir } from '../harness/temp-dir.js';

// A POST with a body must carry a Content-Type (BAS refuses it otherwise with 400).
const OCTETS = { 'Content-Type': 'application/octet-stream' };

const APP = { name: '', prio: 0, path: 'test/fixtures/apps/body' };

function curl(args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile('curl', ['-s', '-S', ...args], { encoding: 'buffer', maxBuffer: 1 << 24, timeout: 30_000 }, (e, out, err) =>
      e ? reject(new Error(`${e.message}: ${err.toString()}`)) : resolve(out.toString('latin1')),
    ),
  );
}

test('a JSON body read with rawrdr and ba.json.parser (node:http and curl)', async () => {
  const s = await startTestServer([APP]);
  try {
    const items = Array.from({ length: 5000 }, (_, i) => i);
    const body = JSON.stringify({ name: 'tëst', items });
    const r = await request(s.port, '/json.lsp', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(Buffer.from(r.body, 'latin1').toString('utf8')), { name: 'tëst', n: 5000, sum: (4999 * 5000) / 2 });
    const c = await curl(['-H', 'Content-Type: application/json', '--data-binary', '{"name":"c","items":[1,2,3]}', `http://127.0.0.1:${s.port}/json.lsp`]);
    assert.deepEqual(JSON.parse(c), { name: 'c', n: 3, sum: 6 });
    // Chunked transfer coding: the same bytes after decoding.
    const chunked = await curl(['-H', 'Transfer-Encoding: chunked', '-H', 'Content-Type: application/json', '--data-binary', body, `http://127.0.0.1:${s.port}/json.lsp`]);
    assert.equal(JSON.parse(Buffer.from(chunked, 'latin1').toString('utf8')).n, 5000);
    const bad = await request(s.port, '/json.lsp', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"name": ' });
    assert.equal(bad.status, 400);
  } finally {
    s.close();
  }
});

test('an XML body and a binary body (1 MiB from a file with curl --data-binary)', async () => {
  const s = await startTestServer([APP]);
  try {
    const xml = `<?xml version="1.0"?><list>${Array.from({ length: 300 }, (_, i) => `<item>n${i}</item>`).join('')}</list>`;
    const r = await request(s.port, '/xml.lsp', { method: 'POST', headers: { 'Content-Type': 'text/xml' }, body: xml });
    assert.equal(r.body, `text/xml\t${xml.length}\t${Array.from({ length: 300 }, (_, i) => `n${i}`).join(',')}\n`);

    const bin = randomBytes(1 << 20);
    const f = join(tempDir('remora-body-'), 'blob.bin');
    writeFileSync(f, bin);
    const sha = createHash('sha256').update(bin).digest('hex');
    for (const size of [1, 1000, 65536, 2 << 20]) {
      if (size === 1 && process.env.REMORA_SLOW_PEER !== undefined) continue;
      const out = await curl(['-H', 'Content-Type: application/octet-stream', '--data-binary', `@${f}`, `http://127.0.0.1:${s.port}/binary.lsp?size=${size}`]);
      // Above 64 KiB the body streams; each piece is still `size` bytes (the last one fewer), as in Mako.
      const m = /^(\d+)\t(\d+)\t([0-9a-f]+)\n$/.exec(out);
      assert.ok(m, out);
      assert.equal(Number(m[1]), bin.length);
      assert.equal(Number(m[2]), Math.min(size, bin.length), `piece size ${size}: largest ${m[2]}`);
      assert.equal(m[3], sha);
    }
  } finally {
    s.close();
  }
});

test('each reader has its own position; a reader outlives its page as nil; size must be positive; form data and bodiless requests are refused as in Mako', async () => {
  const s = await startTestServer([APP]);
  try {
    const r = await request(s.port, '/twice.lsp?k=q', { method: 'PUT', headers: { 'Content-Type': 'text/plain' }, body: 'abcdefgh' });
    assert.equal(r.body, "abc\tabc\tdef\tdef\tgh\tgh\tnil\tnil\nq\tPUT\nfalse\tbad argument #2 to '?' (size must be positive)\n");
    assert.equal((await request(s.port, '/late.lsp', { method: 'POST', headers: OCTETS, body: 'xyz' })).body, 'stored\n');
    assert.equal((await request(s.port, '/late.lsp', { method: 'POST', headers: OCTETS, body: 'xyz' })).body, 'later:\tnil\n');
    const form = await request(s.port, '/refused.lsp', { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'k=v' });
    assert.equal(form.body, 'false\tURL encoded data\nv\n');
    assert.equal((await request(s.port, '/refused.lsp?k=g')).body, 'false\tMissing content-length and not chunk encoding\ng\n');
    // Content-Length: 0 is a body, an empty one.
    const empty = await request(s.port, '/binary.lsp', { method: 'POST', headers: { 'Content-Type': 'text/plain', 'Content-Length': '0' } });
    assert.equal(empty.body, '0\t0\tnone\n');
  } finally {
    s.close();
  }
});

test('maxbodysize in the configuration: a larger form (or small) body is answered 413 and the page does not run; a streamed one is read', async () => {
  const s = await startTestServer([APP], { raw: { maxbodysize: 1000 } });
  try {
    const ok = await request(s.port, '/binary.lsp', { method: 'POST', headers: OCTETS, body: 'x'.repeat(1000) });
    assert.match(ok.body, /^1000\t1000\t/);
    const big = await request(s.port, '/binary.lsp', { method: 'POST', headers: OCTETS, body: 'x'.repeat(1001) });
    assert.equal(big.status, 413);
    const chunked = await curl(['-o', '/dev/null', '-w', '%{http_code}', '-H', 'Transfer-Encoding: chunked', '--data-binary', 'y'.repeat(5000), `http://127.0.0.1:${s.port}/binary.lsp`]);
    assert.equal(chunked, '413');
    // A body the page reads as it arrives is not limited (the form above was received whole).
    const streamed = await request(s.port, '/binary.lsp', { method: 'POST', headers: { 'Content-Type': 'application/octet-stream' }, body: 'z'.repeat(200_000) });
    assert.match(streamed.body, /^200000\t65536\t/);
  } finally {
    s.close();
  }
});

async function waitForLog(s: { log: { text(): string } }, re: RegExp): Promise<void> {
  for (let i = 0; i < 1000 && !re.test(s.log.text()); i++) await new Promise((r) => setTimeout(r, 10));
  assert.match(s.log.text(), re);
}

test('a large body streams: the page reads the first piece before the client has sent the rest; a client that leaves mid-body gives nil, "socketreadfailed"', async () => {
  const s = await startTestServer([APP]);
  try {
    const total = 4 << 20;
    const c = net.connect(s.port, '127.0.0.1');
    let answer = '';
    c.on('data', (d) => (answer += d.toString('latin1')));
    await new Promise((r) => c.once('connect', r));
    c.write(`POST /stream.lsp HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: ${total}\r\n\r\n`);
    c.write(Buffer.alloc(100_000, 1));
    // Only 100,000 of 4 MiB sent, and the page already has its first piece.
    await waitForLog(s, /first piece\t\d+/);
    assert.doesNotMatch(s.log.text(), /body done/);
    c.write(Buffer.alloc(total - 100_000, 2));
    await waitForLog(s, /body done\t4194304/);
    // A page's answer is chunked (as Mako sends it).
    for (let i = 0; i < 500 && !answer.endsWith('4194304\n\r\n0\r\n\r\n'); i++) await new Promise((r) => setTimeout(r, 10));
    assert.match(answer, /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\n8\r\n4194304\n\r\n0\r\n\r\n$/);

    // The same page, but the client goes away after 200,000 bytes.
    const d = net.connect(s.port, '127.0.0.1');
    d.on('error', () => {});
    await new Promise((r) => d.once('connect', r));
    d.write(`POST /stream.lsp HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: ${total}\r\n\r\n`);
    d.write(Buffer.alloc(200_000, 3));
    await waitForLog(s, /first piece[\s\S]*first piece/);
    d.destroy();
    await waitForLog(s, /reader error\tsocketreadfailed\n[^\n]*body done\t200000/);

    // A page that does not read a large body: answered, then the connection closes.
    const big = await request(s.port, '/ignore.lsp', { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: 'z'.repeat(1 << 20) });
    assert.equal(big.body, 'not reading the body\n');
    c.destroy();
  } finally {
    s.close();
  }
});

test('request:multipart with curl -F: fields, files (small and 1 MiB, streamed), callbacks in Mako\'s order; Mako\'s checks', async () => {
  const s = await startTestServer([APP]);
  try {
    const d = tempDir('remora-body-');
    const small = Buffer.from('hello text file\n');
    const big = randomBytes(1 << 20);
    writeFileSync(join(d, 'small.txt'), small);
    writeFileSync(join(d, 'big.bin'), big);
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    const out = await curl(['-F', 'name=Ada Lovelace', '-F', `file1=@${join(d, 'big.bin')}`, '-F', 'empty=', '-F', `file2=@${join(d, 'small.txt')};type=text/plain`, `http://127.0.0.1:${s.port}/upload.lsp`]);
    assert.equal(
      out,
      [
        'field name=Ada Lovelace',
        'file file1 big.bin application/octet-stream nil',
        `end ${big.length} ${sha(big)}`,
        'field empty=',
        'file file2 small.txt text/plain nil',
        `end ${small.length} ${sha(small)}`,
        'endmp',
        'return true nil',
        '',
      ].join('\n'),
    );
    const checks = await curl(['-F', 'x=1', `http://127.0.0.1:${s.port}/upload-checks.lsp`]);
    assert.equal(checks, "false\tbeginfile and filedata mismatch\nfalse\tbad argument #2 to '?' (table expected, got no value)\n");
    // A body that is not multipart: Mako's trace line, and the connection closes unanswered.
    await assert.rejects(curl(['-d', 'a=b', `http://127.0.0.1:${s.port}/upload.lsp`]), /Empty reply from server/);
    assert.match(s.log.text(), /MultipartUpload::start not multipart\n/);
    // No closing delimiter: the error callback, then nil, err.
    const broken = await request(s.port, '/upload.lsp', {
      method: 'POST',
      headers: { 'Content-Type': 'multipart/form-data; boundary=XyZ' },
      body: '--XyZ\r\nContent-Disposition: form-data; name="a"\r\n\r\nvalue-a\r\n--XyZ\r\nContent-Disposition: form-data; name="f"; filename="x.txt"\r\n\r\nno end',
    });
    assert.equal(
      broken.body,
      'field a=value-a\nfile f x.txt nil nil\nerror multipart body ended before its closing delimiter\nreturn nil multipart body ended before its closing delimiter\n',
    );
  } finally {
    s.close();
  }
});
