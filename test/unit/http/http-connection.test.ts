/**
 * HTTP connections over real loopback sockets: keep-alive, pipelining,
 * one-byte dribbling, bodies, errors, takeover with pending bytes and give-back with pushback.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { HttpConnection, type HttpExchange, type HttpHandler, type HttpConnectionOptions } from '../../../src/http/http-connection.js';
import { serveHttp } from '../../../src/http/http-server.js';
import { sendFile } from '../../../src/http/send-file.js';

interface Response {
  status: number;
  headers: Map<string, string>;
  body: Buffer;
}

/** Parses complete responses from `buf`; bodies by Content-Length or chunked. */
function parseResponses(buf: Buffer, headRequests = 0): { responses: Response[]; rest: Buffer } {
  const responses: Response[] = [];
  let off = 0;
  let heads = headRequests;
  for (;;) {
    const end = buf.indexOf('\r\n\r\n', off);
    if (end < 0) break;
    const lines = buf.toString('latin1', off, end).split('\r\n');
    const status = Number(lines[0].split(' ')[1]);
    const headers = new Map<string, string>();
    for (const l of lines.slice(1)) headers.set(l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim());
    let p = end + 4;
    let body: Buffer = Buffer.alloc(0);
    if (status >= 200 && status !== 204 && status !== 304 && !(heads > 0)) {
      if (headers.get('transfer-encoding') === 'chunked') {
        const parts: Buffer[] = [];
        let complete = false;
        for (;;) {
          const le = buf.indexOf('\r\n', p);
          if (le < 0) break;
          const size = parseInt(buf.toString('latin1', p, le), 16);
          if (le + 2 + size + 2 > buf.length) break;
          parts.push(buf.subarray(le + 2, le + 2 + size));
          p = le + 2 + size + 2;
          if (size === 0) {
            complete = true;
            break;
          }
        }
        if (!complete) break;
        body = Buffer.concat(parts);
      } else {
        const len = Number(headers.get('content-length') ?? '0');
        if (p + len > buf.length) break;
        body = buf.subarray(p, p + len);
        p += len;
      }
    }
    if (status >= 200 && heads > 0) heads--;
    responses.push({ status, headers, body });
    off = p;
  }
  return { responses, rest: buf.subarray(off) };
}

class Client {
  data: Buffer = Buffer.alloc(0);
  ended = false;
  private waiters: Array<() => void> = [];

  constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.data = Buffer.concat([this.data, d]);
      this.wake();
    });
    socket.on('end', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('close', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  async send(data: string | Buffer, dribble = false): Promise<void> {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    if (!dribble) {
      this.socket.write(bytes);
      return;
    }
    for (const b of bytes) {
      this.socket.write(Buffer.from([b]));
      await new Promise((r) => setImmediate(r));
    }
  }

  async until(pred: (c: Client) => boolean, ms = 3000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!pred(this)) {
      if (Date.now() > deadline) throw new Error(`timeout; received ${JSON.stringify(this.data.toString('latin1').slice(0, 500))}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
  }

  async responses(n: number, headRequests = 0): Promise<Response[]> {
    await this.until((c) => parseResponses(c.data, headRequests).responses.length >= n);
    return parseResponses(this.data, headRequests).responses;
  }

  text(): string {
    return this.data.toString('latin1');
  }
}

async function withServer(handler: HttpHandler, options: HttpConnectionOptions, fn: (open: () => Promise<Client>, server: Server) => Promise<void>): Promise<void> {
  const server = createServer();
  const errors: Error[] = [];
  serveHttp(server, handler, { onError: (e) => errors.push(e), ...options });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  const clients: Client[] = [];
  const open = async (): Promise<Client> => {
    const s = connect(port, '127.0.0.1');
    s.setNoDelay(true);
    await once(s, 'connect');
    const c = new Client(s);
    clients.push(c);
    return c;
  };
  try {
    await fn(open, server);
  } finally {
    for (const c of clients) c.socket.destroy();
    server.close();
  }
}

const echo: HttpHandler = (ex) => {
  ex.response.setContentType('text/plain');
  ex.response.write(`${ex.head.method} ${ex.head.path} ${ex.head.query ?? '-'} body=${ex.body.toString('latin1')}`);
};

test('keep-alive: two requests on one connection', async () => {
  await withServer(echo, {}, async (open) => {
    const c = await open();
    await c.send('GET /a?x=1 HTTP/1.1\r\nHost: h\r\n\r\n');
    const [r1] = await c.responses(1);
    assert.equal(r1.status, 200);
    assert.equal(r1.body.toString(), 'GET /a x=1 body=');
    assert.equal(r1.headers.get('content-type'), 'text/plain');
    assert.ok(r1.headers.has('date'));
    await c.send('GET /b HTTP/1.1\r\nHost: h\r\n\r\n');
    const rs = await c.responses(2);
    assert.equal(rs[1].body.toString(), 'GET /b - body=');
    assert.equal(c.ended, false);
  });
});

test('pipelined requests are answered in order, even when handlers finish out of order', async () => {
  const delays: Record<string, number> = { '/slow': 60, '/fast': 0, '/mid': 20 };
  const handler: HttpHandler = async (ex) => {
    await new Promise((r) => setTimeout(r, delays[ex.head.path] ?? 0));
    ex.response.write(ex.head.path);
  };
  await withServer(handler, {}, async (open) => {
    const c = await open();
    await c.send('GET /slow HTTP/1.1\r\n\r\nGET /fast HTTP/1.1\r\n\r\nPOST /mid HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcGET /fast HTTP/1.1\r\n\r\n');
    const rs = await c.responses(4);
    assert.deepEqual(
      rs.map((r) => r.body.toString()),
      ['/slow', '/fast', '/mid', '/fast'],
    );
  });
});

test('a request dribbled one byte at a time', async () => {
  await withServer(echo, {}, async (open) => {
    const c = await open();
    await c.send('POST /d HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\nGET /e HTTP/1.1\r\n\r\n', true);
    const rs = await c.responses(2);
    assert.equal(rs[0].body.toString(), 'POST /d - body=abcde');
    assert.equal(rs[1].body.toString(), 'GET /e - body=');
  });
});

test('HTTP/1.0 and Connection: close end the connection after the response', async () => {
  await withServer(echo, {}, async (open) => {
    const a = await open();
    await a.send('GET /x HTTP/1.0\r\n\r\n');
    await a.until((c) => c.ended);
    assert.equal(parseResponses(a.data).responses[0].status, 200);
    const b = await open();
    await b.send('GET /x HTTP/1.1\r\nConnection: close\r\n\r\nGET /never HTTP/1.1\r\n\r\n');
    await b.until((c) => c.ended);
    const rs = parseResponses(b.data).responses;
    assert.equal(rs.length, 1);
    assert.equal(rs[0].headers.get('connection'), 'close');
  });
});

test('a half-closed peer still gets its answer', async () => {
  await withServer(echo, {}, async (open) => {
    const c = await open();
    c.socket.end('GET /half HTTP/1.1\r\n\r\n');
    await c.until((x) => x.ended);
    assert.equal(parseResponses(c.data).responses[0].body.toString(), 'GET /half - body=');
  });
});

test('malformed requests get their status and the connection closes', async () => {
  const cases: Array<[string, number]> = [
    ['GET / HTTP/1.1\r\nBad Header\r\n\r\n', 400],
    ['GET / HTTP/2.0\r\n\r\n', 505],
    [`GET / HTTP/1.1\r\nX: ${'a'.repeat(20000)}\r\n\r\n`, 431],
    ['POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n', 400],
    ['POST / HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n', 413],
    ['POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', 400],
  ];
  let calls = 0;
  await withServer(
    () => {
      calls++;
    },
    { maxBodySize: 1024 * 1024 },
    async (open) => {
      for (const [req, status] of cases) {
        const c = await open();
        await c.send(req);
        await c.until((x) => x.ended);
        const rs = parseResponses(c.data).responses;
        assert.equal(rs.length, 1, req.slice(0, 40));
        assert.equal(rs[0].status, status, req.slice(0, 40));
        assert.equal(rs[0].headers.get('connection'), 'close');
      }
    },
  );
  assert.equal(calls, 0);
});

test('a chunked body above maxBodySize is refused with 413', async () => {
  await withServer(echo, { maxBodySize: 10 }, async (open) => {
    const c = await open();
    await c.send('POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n');
    await c.until((x) => x.ended);
    assert.equal(parseResponses(c.data).responses[0].status, 413);
  });
});

test('Expect: 100-continue gets an interim response before the body', async () => {
  await withServer(echo, {}, async (open) => {
    const c = await open();
    await c.send('POST /up HTTP/1.1\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n');
    await c.until((x) => x.text().includes('100 Continue'));
    await c.send('data');
    const rs = await c.responses(2);
    assert.equal(rs[0].status, 100);
    assert.equal(rs[1].body.toString(), 'POST /up - body=data');
  });
});

test('a handler error before output is a 500; after a flush the connection is cut', async () => {
  const handler: HttpHandler = async (ex) => {
    if (ex.head.path === '/late') {
      ex.response.write('partial');
      ex.response.flush();
    }
    throw new Error('page failed');
  };
  const errors: Error[] = [];
  await withServer(handler, { onError: (e) => errors.push(e) }, async (open) => {
    const a = await open();
    await a.send('GET /early HTTP/1.1\r\n\r\n');
    const [r] = await a.responses(1);
    assert.equal(r.status, 500);
    const b = await open();
    await b.send('GET /late HTTP/1.1\r\n\r\n');
    await b.until((x) => x.ended);
    assert.match(b.text(), /^HTTP\/1\.1 200 OK\r\n/);
    assert.ok(b.text().endsWith('7\r\npartial\r\n'), 'no terminating chunk');
  });
  assert.equal(errors.filter((e) => e.message === 'page failed').length, 2);
});

test('takeOver returns the socket and the bytes read past the head; flushed output was sent', async () => {
  const handler: HttpHandler = (ex) => {
    ex.response.write('A');
    ex.response.flush();
    ex.response.write('unflushed');
    const t = ex.takeOver();
    assert.ok(t);
    t.socket.write(Buffer.concat([Buffer.from('raw:'), t.pending, Buffer.from('|')]));
    t.socket.resume();
    t.socket.on('data', (d: Buffer) => t.socket.write(`echo:${d.toString('latin1')}|`));
    assert.equal(ex.takeOver(), null, 'only once');
  };
  await withServer(handler, {}, async (open) => {
    const c = await open();
    await c.send('GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x80extra');
    await c.until((x) => x.text().includes('raw:'));
    await c.send('more');
    await c.until((x) => x.text().includes('echo:more|'));
    const text = c.text();
    assert.match(text, /^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\n1\r\nA\r\nraw:\x81\x80extra\|echo:more\|$/);
    assert.doesNotMatch(text, /unflushed/);
  });
});

test('give-back: a new HttpConnection parses the pushback bytes as the next request', async () => {
  const handler: HttpHandler = (ex) => {
    if (ex.head.path !== '/take') {
      ex.response.write(`served ${ex.head.path}`);
      return;
    }
    const t = ex.takeOver();
    assert.ok(t);
    t.socket.write(`got:${t.pending.toString('latin1')}\n`);
    t.socket.once('data', (d: Buffer) => {
      // Like ba.socket.sock2req(sock, pushback): the rest after "PING " is the next request.
      t.socket.pause();
      new HttpConnection(t.socket, handler, {}, d.subarray(5));
    });
    t.socket.resume();
  };
  await withServer(handler, {}, async (open) => {
    const c = await open();
    await c.send('GET /take HTTP/1.1\r\nHost: h\r\n\r\nHELLO');
    await c.until((x) => x.text().endsWith('got:HELLO\n'));
    await c.send('PING GET /back HTTP/1.1\r\nHost: h\r\n\r\n');
    await c.until((x) => x.text().includes('served /back'));
    const afterRaw = c.data.subarray(c.data.indexOf('got:HELLO\n') + 10);
    const rs = parseResponses(afterRaw).responses;
    assert.equal(rs.length, 1);
    assert.equal(rs[0].body.toString(), 'served /back');
    await c.send('GET /again HTTP/1.1\r\n\r\n');
    await c.until((x) => x.text().includes('served /again'));
  });
});

test('takeOver on a connection that is gone returns null', async () => {
  let result: unknown = 'unset';
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const handler: HttpHandler = async (ex: HttpExchange) => {
    while (!ex.closed) await new Promise((r) => setTimeout(r, 5));
    result = ex.takeOver();
    done();
  };
  await withServer(handler, {}, async (open) => {
    const c = await open();
    await c.send('GET / HTTP/1.1\r\n\r\n');
    await new Promise((r) => setTimeout(r, 30));
    c.socket.resetAndDestroy();
    await finished;
  });
  assert.equal(result, null);
});

test('a peer that only half-closed can still be taken over', async () => {
  let pending: Buffer | null = null;
  const handler: HttpHandler = async (ex: HttpExchange) => {
    await new Promise((r) => setTimeout(r, 50));
    const t = ex.takeOver();
    assert.ok(t);
    pending = t.pending;
    t.socket.end('bye');
  };
  await withServer(handler, {}, async (open) => {
    const c = await open();
    c.socket.end('GET / HTTP/1.1\r\n\r\ntail');
    await c.until((x) => x.ended);
    assert.equal(c.text(), 'bye');
  });
  assert.equal(String(pending), 'tail');
});

test('idle connections time out; a running handler does not', async () => {
  const handler: HttpHandler = async (ex) => {
    await new Promise((r) => setTimeout(r, 250));
    ex.response.write('slow but fine');
  };
  await withServer(handler, { idleTimeout: 100 }, async (open) => {
    const idle = await open();
    await idle.until((x) => x.ended, 2000);
    const slow = await open();
    await slow.send('GET / HTTP/1.1\r\n\r\n');
    const [r] = await slow.responses(1);
    assert.equal(r.body.toString(), 'slow but fine');
  });
});

test('EOF in the middle of a head closes without an answer', async () => {
  await withServer(echo, {}, async (open) => {
    const c = await open();
    c.socket.end('GET / HTTP/1.1\r\nHost:');
    await c.until((x) => x.ended);
    assert.equal(c.data.length, 0);
  });
});

test('sendFile streams large files byte-exact; 304 and Range on a kept-alive connection', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'remora-sendfile-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const big = randomBytes(3 * 1024 * 1024 + 17);
  const path = join(dir, 'big.bin');
  writeFileSync(path, big);
  const small = join(dir, 'small.txt');
  writeFileSync(small, 'tiny text');
  const handler: HttpHandler = (ex) => {
    const p = ex.head.path === '/big' ? path : small;
    return sendFile(ex, { path: p, stat: statSync(p) });
  };
  await withServer(handler, {}, async (open) => {
    const c = await open();
    await c.send('GET /big HTTP/1.1\r\n\r\n');
    const [r] = await c.responses(1);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-length'), String(big.length));
    assert.ok(r.body.equals(big), 'body is byte-exact');

    const s = await open();
    await s.send('GET /small HTTP/1.1\r\n\r\n');
    const [sr] = await s.responses(1);
    assert.equal(sr.body.toString(), 'tiny text');
    assert.equal(sr.headers.get('content-type'), 'text/plain; charset=utf-8');
    const etag = sr.headers.get('etag') as string;
    await s.send(`GET /small HTTP/1.1\r\nIf-None-Match: ${etag}\r\n\r\nGET /big HTTP/1.1\r\nRange: bytes=100-199\r\n\r\n`);
    const rs = await s.responses(3);
    assert.equal(rs[1].status, 304);
    assert.equal(rs[1].body.length, 0);
    assert.equal(rs[2].status, 206);
    assert.ok(rs[2].body.equals(big.subarray(100, 200)));
  });
});

test('sendFile: HEAD has no body, Range gives 206, other methods 405', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'remora-sendfile-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const data = randomBytes(200 * 1024);
  const path = join(dir, 'f.bin');
  writeFileSync(path, data);
  const handler: HttpHandler = (ex) => sendFile(ex, { path, stat: statSync(path) });
  await withServer(handler, {}, async (open) => {
    const h = await open();
    await h.send('HEAD /f HTTP/1.1\r\n\r\nGET /f HTTP/1.1\r\nRange: bytes=100000-100099\r\n\r\nPUT /f HTTP/1.1\r\nContent-Length: 0\r\n\r\nOPTIONS /f HTTP/1.1\r\n\r\n');
    const rs = await h.responses(4, 1);
    assert.equal(rs[0].status, 200);
    assert.equal(rs[0].body.length, 0);
    assert.equal(rs[1].status, 206);
    assert.equal(rs[1].headers.get('content-range'), `bytes 100000-100099/${data.length}`);
    assert.ok(rs[1].body.equals(data.subarray(100000, 100100)));
    assert.equal(rs[2].status, 405);
    assert.equal(rs[2].headers.get('allow'), 'OPTIONS, GET, HEAD');
    assert.equal(rs[3].status, 200);
    assert.equal(rs[3].headers.get('allow'), 'OPTIONS, GET, HEAD');
    assert.equal(rs[3].body.length, 0);
  });
});

test('bytes kept between reads survive other connections reading meanwhile (a body, a pipelined head, a streamed body)', async () => {
  // On a plain TCP socket every connection reads into one shared buffer: what a connection
  // keeps past a read (body bytes, the unparsed rest) must be its own copy.
  const handler: HttpHandler = async (ex) => {
    let body = ex.body;
    if (ex.bodyStream) {
      await new Promise((r) => setTimeout(r, 30));
      const parts: Buffer[] = [];
      for (;;) {
        const b = ex.bodyStream.read(1 << 20);
        if (b instanceof Error) throw b;
        if (b === null) break;
        if (b === undefined) {
          await new Promise<void>((r) => ex.bodyStream!.onReadable(() => r()));
          continue;
        }
        parts.push(b);
      }
      body = Buffer.concat(parts);
    } else if (ex.head.path === '/late') await new Promise((r) => setTimeout(r, 30));
    ex.response.write(`${ex.head.path} ${body.toString('latin1')}`);
  };
  await withServer(handler, { streamThreshold: 100 }, async (open) => {
    const a = await open();
    const b = await open();
    const noise = async (n: number): Promise<void> => {
      await b.send(`POST /noise HTTP/1.1\r\nContent-Length: 10\r\n\r\nXXXXXXXXXX`);
      await b.responses(n);
    };
    await a.send('POST /late HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123');
    await new Promise((r) => setTimeout(r, 20));
    await noise(1);
    await a.send('456789GET /next HT');
    await new Promise((r) => setTimeout(r, 20));
    await noise(2);
    await a.send('TP/1.1\r\n\r\n');
    const big = 'abcdefghij'.repeat(30);
    await a.send(`POST /stream HTTP/1.1\r\nContent-Length: ${big.length}\r\n\r\n${big.slice(0, 150)}`);
    await new Promise((r) => setTimeout(r, 10));
    await noise(3);
    await a.send(big.slice(150));
    const rs = await a.responses(3);
    assert.deepEqual(
      rs.map((r) => r.body.toString('latin1')),
      ['/late 0123456789', '/next ', `/stream ${big}`],
    );
  });
});

test('response output the kernel cannot take at once is counted as queued and drained in order', async () => {
  const piece = Buffer.alloc(256 * 1024);
  let queuedSeen = 0;
  const handler: HttpHandler = async (ex) => {
    ex.response.setHeader('Content-Length', String(piece.length * 16));
    for (let i = 0; i < 16; i++) {
      piece.fill(65 + i);
      ex.response.write(piece);
      ex.response.flush();
      queuedSeen = Math.max(queuedSeen, ex.queued);
      await new Promise<void>((r) => ex.whenDrained(() => r()));
      assert.equal(ex.queued, 0);
    }
  };
  await withServer(handler, {}, async (open) => {
    const c = await open();
    c.socket.pause();
    await c.send('GET /big HTTP/1.1\r\n\r\n');
    await new Promise((r) => setTimeout(r, 50));
    c.socket.resume();
    const [r] = await c.responses(1);
    assert.equal(r.body.length, piece.length * 16);
    for (let i = 0; i < 16; i++) assert.equal(r.body[i * piece.length + 100], 65 + i, `piece ${i} in order`);
    assert.ok(queuedSeen > 0, 'the kernel did not take 256 KiB at once');
  });
});
