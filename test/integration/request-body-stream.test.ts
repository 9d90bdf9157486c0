// Chunked request bodies reach the page while they arrive (request:rawrdr, request:multipart,
// ba.create.upload): 200 MB in small chunks hashed by the page with the server's memory bounded,
// a sender that waits for the page's echo of each chunk before sending the next, broken chunk
// framing closing that connection only, and pipelined requests after bodies the page read,
// skipped or refused.
// With REMORA_SLOW_PEER=1 (the test runner's second pass) every client sends one byte at a time.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { copyApp, RawClient, startTestServer } from '../harness/app-server.js';

const APP = { name: '', prio: 0, path: 'test/fixtures/apps/body' };
const slow = process.env.REMORA_SLOW_PEER === '1';
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** Writes `data`, one byte per write in slow-peer mode, waiting for the socket to drain. */
async function send(sock: net.Socket, data: string | Buffer): Promise<void> {
  const b = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
  if (!slow) {
    if (!sock.write(b)) await new Promise((r) => sock.once('drain', r));
    return;
  }
  for (let i = 0; i < b.length; i++) {
    if (sock.destroyed) return;
    sock.write(b.subarray(i, i + 1));
    await new Promise((r) => setImmediate(r));
  }
}

/** The chunked coding of `pieces`, ended by the last chunk. */
function chunked(pieces: Buffer[]): Buffer {
  const out: Buffer[] = [];
  for (const p of pieces) out.push(Buffer.from(`${p.length.toString(16)}\r\n`), p, Buffer.from('\r\n'));
  out.push(Buffer.from('0\r\n\r\n'));
  return Buffer.concat(out);
}

/** The bodies of the responses in `text` (all chunked, as a page answers), in order. */
function bodies(text: string): string[] {
  const out: string[] = [];
  const re = /HTTP\/1\.1 (\d+)[^\r]*\r\n(?:[^\r]+\r\n)*\r\n/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) {
    let at = re.lastIndex;
    let body = '';
    if (/Transfer-Encoding: chunked/i.test(m[0])) {
      for (;;) {
        const nl = text.indexOf('\r\n', at);
        const n = parseInt(text.slice(at, nl), 16);
        at = nl + 2;
        if (n === 0) {
          at += 2;
          break;
        }
        body += text.slice(at, at + n);
        at += n + 2;
      }
    } else {
      const len = /Content-Length: (\d+)/i.exec(m[0]);
      const n = len ? Number(len[1]) : 0;
      body = text.slice(at, at + n);
      at += n;
    }
    out.push(`${m[1]} ${body}`);
    re.lastIndex = at;
  }
  return out;
}

test('200 MB chunked in 4 KiB chunks: the page hashes it as it arrives and the server stays within bounded memory', async (t) => {
  const s = await startTestServer([APP]);
  try {
    // In the one-byte pass a smaller body (each byte is a write of its own).
    const total = slow ? 20_000 : 200 * 1024 * 1024;
    const block = randomBytes(1 << 20);
    const hash = createHash('sha256');
    const c = net.connect(s.port, '127.0.0.1');
    let answer = '';
    c.on('data', (d) => (answer += d.toString('latin1')));
    await new Promise((r) => c.once('connect', r));
    global.gc?.();
    const base = process.memoryUsage().rss;
    let peak = base;
    const sample = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    try {
      await send(c, 'POST /hash.lsp?size=65536 HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n');
      const CHUNK = 4096;
      for (let sent = 0; sent < total; ) {
        const n = Math.min(CHUNK, total - sent);
        const at = sent % block.length;
        const piece = at + n <= block.length ? block.subarray(at, at + n) : Buffer.concat([block.subarray(at), block.subarray(0, n - (block.length - at))]);
        hash.update(piece);
        await send(c, Buffer.concat([Buffer.from(`${n.toString(16)}\r\n`), piece, Buffer.from('\r\n')]));
        sent += n;
      }
      await send(c, '0\r\n\r\n');
      for (let i = 0; i < 6000 && !/\r\n0\r\n\r\n$/.test(answer); i++) await new Promise((r) => setTimeout(r, 10));
    } finally {
      clearInterval(sample);
      c.destroy();
    }
    const [reply] = bodies(answer);
    assert.equal(reply, `200 ${total}\t${Math.min(65536, total)}\t${hash.digest('hex')}\tnil\n`);
    const grew = (peak - base) / (1 << 20);
    t.diagnostic(`RSS ${Math.round(base / (1 << 20))} MiB before, peak ${Math.round(peak / (1 << 20))} MiB (+${grew.toFixed(1)} MiB) for a ${total}-byte body`);
    // Generous: the body is 200 MiB; buffering it whole would add at least that much.
    if (!slow) assert.ok(grew < 100, `RSS grew by ${grew.toFixed(1)} MiB`);
  } finally {
    s.close();
  }
});

test('a slow chunked sender: the page echoes each chunk before the client sends the next', async () => {
  const s = await startTestServer([APP]);
  const c = new RawClient(s.port);
  try {
    await c.connected();
    await send(c.sock, 'POST /echo.lsp?size=7 HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n');
    for (let i = 1; i <= 5; i++) {
      const piece = `chunk-${i}`;
      await send(c.sock, `7\r\n${piece}\r\n`);
      // The page has this chunk (and answered it) while the rest of the body is not sent yet.
      await c.until((t) => bodies(t + '0\r\n\r\n')[0]?.includes(`got:${piece}\n`) ?? false);
    }
    await send(c.sock, '0\r\n\r\n');
    await c.until(/end\n\r\n0\r\n\r\n$/);
    assert.deepEqual(bodies(c.text), ['200 got:chunk-1\ngot:chunk-2\ngot:chunk-3\ngot:chunk-4\ngot:chunk-5\nend\n']);
  } finally {
    c.sock.destroy();
    s.close();
  }
});

test('broken chunk framing: the page gets the bytes before it, then nil, "socketreadfailed"; that connection closes, others go on', async () => {
  const s = await startTestServer([APP]);
  const other = new RawClient(s.port);
  const bad = new RawClient(s.port);
  try {
    await other.connected();
    await bad.connected();
    await send(other.sock, 'POST /hash.lsp?size=3 HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n');
    await send(bad.sock, 'POST /hash.lsp?size=3 HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\nzz\r\ndef\r\n0\r\n\r\nGET /echo.lsp HTTP/1.1\r\nHost: x\r\n\r\n');
    await bad.until(() => bad.ended);
    assert.deepEqual(bodies(bad.text), ['200 error\tsocketreadfailed\n3\t3\tba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\tnil\tsocketreadfailed\n']);
    // The other connection, in the middle of its own chunked body, is untouched.
    await send(other.sock, '3\r\ndef\r\n0\r\n\r\n');
    await other.until(/\r\n0\r\n\r\n$/);
    assert.deepEqual(bodies(other.text), [`200 6\t3\t${sha(Buffer.from('abcdef'))}\tnil\n`]);
  } finally {
    other.sock.destroy();
    bad.sock.destroy();
    s.close();
  }
});

test('pipelined requests after chunked bodies: read, left unread (skipped), a form decoded for request:data(); an unread body above maxbodysize closes', async () => {
  // Sizes in tenths in the one-byte pass.
  const k = slow ? 10 : 1;
  const s = await startTestServer([APP], { raw: { maxbodysize: 100_000 / k } });
  const c = new RawClient(s.port);
  // Connected only when used: a connection that sends nothing is closed after the head timeout
  // (15 s), which the one-byte pass of the first part can outlast on a busy machine.
  let d: RawClient | null = null;
  try {
    await c.connected();
    const body = randomBytes(150_000 / k);
    const pieces = [body.subarray(0, 1), body.subarray(1, 70_000 / k), body.subarray(70_000 / k)];
    await send(
      c.sock,
      Buffer.concat([
        Buffer.from('POST /hash.lsp HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n'),
        // The page reads 150,000 bytes: more than maxbodysize, which limits only what it leaves.
        chunked(pieces),
        Buffer.from('POST /ignore.lsp HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n'),
        chunked([Buffer.alloc(50_000 / k, 1), Buffer.alloc(10, 2)]),
        Buffer.from(`POST /ignore.lsp HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: ${90_000 / k}\r\n\r\n`),
        Buffer.alloc(90_000 / k, 3),
        Buffer.from('POST /refused.lsp?q=1 HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n'),
        chunked([Buffer.from('k='), Buffer.from('form')]),
        Buffer.from('GET /echo.lsp HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n'),
      ]),
    );
    await c.until((t) => bodies(t).length === 5, 20_000);
    assert.deepEqual(bodies(c.text), [
      `200 ${body.length}\t${Math.min(65536, body.length)}\t${sha(body)}\tnil\n`,
      '200 not reading the body\n',
      '200 not reading the body\n',
      '200 false\tURL encoded data\nform\n',
      '200 end\n',
    ]);
    assert.equal(c.ended, false);

    // A page that leaves more than maxbodysize unread: answered, then the connection closes.
    d = new RawClient(s.port);
    await d.connected();
    const head = 'POST /ignore.lsp HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n';
    const big = 120_000 / k;
    await send(d.sock, `${head}${big.toString(16)}\r\n`);
    await d.until(/not reading the body/);
    await send(d.sock, Buffer.alloc(big, 4));
    const dd = d;
    await d.until(() => dd.ended, 10_000);
    assert.deepEqual(bodies(d.text), ['200 not reading the body\n']);
  } finally {
    c.sock.destroy();
    d?.sock.destroy();
    s.close();
  }
});

test('a chunked PUT to ba.create.upload is written while it arrives, beyond maxbodysize', async () => {
  const app = copyApp('test/fixtures/apps/upload');
  const s = await startTestServer([{ name: '', prio: 0, path: app.dir }], { raw: { maxbodysize: 100_000 } });
  const c = new RawClient(s.port);
  try {
    await c.connected();
    const data = randomBytes(slow ? 5000 : 8 << 20);
    const pieces: Buffer[] = [];
    for (let at = 0; at < data.length; at += 1000) pieces.push(data.subarray(at, at + 1000));
    await send(c.sock, 'PUT /index.lsp?name=chunked.bin HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n');
    await send(c.sock, chunked(pieces));
    await c.until(/"name":"chunked.bin"/, 30_000);
    assert.equal(sha(readFileSync(join(app.dir, 'up', 'chunked.bin'))), sha(data));
  } finally {
    c.sock.destroy();
    s.close();
    app.remove();
  }
});

test('request:multipart reads a chunked multipart/form-data body as it arrives', async () => {
  const s = await startTestServer([APP]);
  const c = new RawClient(s.port);
  try {
    await c.connected();
    const file = randomBytes(slow ? 3000 : 300_000);
    const body = Buffer.concat([
      Buffer.from('--XyZ\r\nContent-Disposition: form-data; name="a"\r\n\r\nvalue-a\r\n'),
      Buffer.from('--XyZ\r\nContent-Disposition: form-data; name="f"; filename="x.bin"\r\nContent-Type: application/octet-stream\r\n\r\n'),
      file,
      Buffer.from('\r\n--XyZ--\r\n'),
    ]);
    const pieces: Buffer[] = [];
    for (let at = 0; at < body.length; at += 777) pieces.push(body.subarray(at, at + 777));
    await send(c.sock, 'POST /upload.lsp HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=XyZ\r\nTransfer-Encoding: chunked\r\n\r\n');
    await send(c.sock, chunked(pieces));
    await c.until(/\r\n0\r\n\r\n$/, 20_000);
    assert.deepEqual(bodies(c.text), [
      `200 field a=value-a\nfile f x.bin application/octet-stream nil\nend ${file.length} ${sha(file)}\nendmp\nreturn true nil\n`,
    ]);
  } finally {
    c.sock.destroy();
    s.close();
  }
});

test('two coroutines waiting on one reader before the body arrives both get their piece', async () => {
  const s = await startTestServer([APP]);
  const c = new RawClient(s.port);
  try {
    await c.connected();
    await send(c.sock, 'POST /two-waiters.lsp HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n');
    // Both wait (the page and its thread job) before any body byte is sent.
    await new Promise((r) => setTimeout(r, 100));
    await send(c.sock, '6\r\nabcdef\r\n0\r\n\r\n');
    await c.until(/\r\n0\r\n\r\n$/);
    assert.deepEqual(bodies(c.text), ['200 abc def\tnil\n']);
  } finally {
    c.sock.destroy();
    s.close();
  }
});
