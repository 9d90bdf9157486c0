/**
 * Request-head parser: every request is parsed whole, one byte at a time and in random
 * pieces, and all three must agree.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { RequestParser, type ParseResult, type RequestHead, type RequestParserOptions } from '../../../src/http/request-parser.js';

type Final = Exclude<ParseResult, { state: 'incomplete' }>;

/** Feeds `bytes` in pieces of the given sizes; returns the final result and its absolute end. */
function feedPieces(bytes: Buffer, sizes: (i: number) => number, options?: RequestParserOptions): { result: ParseResult; end: number } {
  const p = new RequestParser(options);
  let off = 0;
  let i = 0;
  let result: ParseResult = { state: 'incomplete', consumed: 0 };
  while (off < bytes.length) {
    const piece = bytes.subarray(off, Math.min(bytes.length, off + sizes(i++)));
    result = p.feed(piece);
    if (result.state !== 'incomplete') return { result, end: off + result.consumed };
    assert.equal(result.consumed, piece.length, 'incomplete consumes everything');
    off += piece.length;
  }
  return { result, end: off };
}

let seed = 42;
function rnd(n: number): number {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed % n;
}

/** Parses whole, byte by byte and in random pieces; asserts they agree and returns it. */
function parse(input: string | Buffer, options?: RequestParserOptions): { result: Final; end: number } {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'latin1') : input;
  const whole = feedPieces(bytes, () => bytes.length, options);
  const bytewise = feedPieces(bytes, () => 1, options);
  const random = feedPieces(bytes, () => 1 + rnd(7), options);
  for (const other of [bytewise, random]) {
    assert.equal(other.result.state, whole.result.state);
    assert.equal(other.end, whole.end);
    if (whole.result.state === 'complete' && other.result.state === 'complete') {
      assert.deepEqual(summary(other.result.head), summary(whole.result.head));
    }
    if (whole.result.state === 'error' && other.result.state === 'error') {
      assert.equal(other.result.error.status, whole.result.error.status);
      assert.equal(other.result.error.code, whole.result.error.code);
    }
  }
  assert.notEqual(whole.result.state, 'incomplete', 'request head should be complete');
  return whole as { result: Final; end: number };
}

function summary(h: RequestHead): unknown {
  return { ...h, headers: h.headers.entries() };
}

function head(input: string | Buffer, options?: RequestParserOptions): RequestHead {
  const { result } = parse(input, options);
  if (result.state !== 'complete') assert.fail(`expected a head, got ${result.error.status} ${result.error.message}`);
  return result.head;
}

function error(input: string | Buffer, options?: RequestParserOptions): { status: number; code: string } {
  const { result } = parse(input, options);
  if (result.state !== 'error') assert.fail('expected an error');
  return { status: result.error.status, code: result.error.code };
}

test('a simple GET', () => {
  const h = head('GET /a/b.lsp?q=1&r=%20 HTTP/1.1\r\nHost: example.com\r\nX-Mixed-Case: v\r\nAccept: */*\r\n\r\n');
  assert.equal(h.method, 'GET');
  assert.equal(h.target, '/a/b.lsp?q=1&r=%20');
  assert.equal(h.targetForm, 'origin');
  assert.equal(h.path, '/a/b.lsp');
  assert.equal(h.query, 'q=1&r=%20');
  assert.equal(h.versionMinor, 1);
  assert.deepEqual(h.headers.entries(), [
    ['Host', 'example.com'],
    ['X-Mixed-Case', 'v'],
    ['Accept', '*/*'],
  ]);
  assert.equal(h.headers.get('host'), 'example.com');
  assert.equal(h.headers.get('x-mixed-case'), 'v');
  assert.equal(h.headers.get('HOST'), 'example.com');
  assert.deepEqual(h.body, { kind: 'none' });
  assert.equal(h.keepAlive, true);
  assert.equal(h.upgrade, false);
  assert.equal(h.expectContinue, false);
});

test('no query gives null, an empty query gives ""', () => {
  assert.equal(head('GET / HTTP/1.1\r\n\r\n').query, null);
  assert.equal(head('GET /x? HTTP/1.1\r\n\r\n').query, '');
});

test('consumed stops at the end of the head', () => {
  const req = 'POST /f HTTP/1.1\r\nContent-Length: 5\r\n\r\n';
  const { result, end } = parse(req + 'helloGET / HTTP/1.1\r\n\r\n');
  assert.equal(result.state, 'complete');
  assert.equal(end, req.length);
  if (result.state === 'complete') assert.deepEqual(result.head.body, { kind: 'length', length: 5 });
});

test('a head ended by bare LFs stops there, even when the body holds a CRLF CRLF', () => {
  const req = 'POST /f HTTP/1.1\nContent-Length: 9\n\n';
  const { result, end } = parse(req + 'ab\r\n\r\ncde');
  assert.equal(result.state, 'complete');
  assert.equal(end, req.length);
  if (result.state === 'complete') assert.equal(result.head.headSize, req.length);
});

test('pipelined requests parse one after the other', () => {
  const a = 'GET /one HTTP/1.1\r\nHost: h\r\n\r\n';
  const b = 'GET /two HTTP/1.1\r\nHost: h\r\n\r\n';
  const c = 'HEAD /three HTTP/1.0\r\n\r\n';
  const all = Buffer.from(a + b + c, 'latin1');
  for (const piece of [all.length, 1, 5]) {
    const p = new RequestParser();
    const paths: string[] = [];
    let pending = Buffer.alloc(0);
    for (let off = 0; off < all.length; off += piece) {
      pending = Buffer.concat([pending, all.subarray(off, off + piece)]);
      while (pending.length > 0) {
        const r = p.feed(pending);
        if (r.state === 'error') assert.fail(r.error.message);
        pending = pending.subarray(r.consumed);
        if (r.state === 'incomplete') break;
        paths.push(r.head.path);
        p.reset();
      }
    }
    assert.deepEqual(paths, ['/one', '/two', '/three']);
  }
});

test('bytes after an Upgrade request head are left over', () => {
  const req =
    'GET /ws.lsp HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n' +
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';
  const frame = Buffer.from([0x81, 0x85, 1, 2, 3, 4, 0x69, 0x67, 0x6f, 0x68, 0x6e]);
  const bytes = Buffer.concat([Buffer.from(req, 'latin1'), frame]);
  const { result, end } = parse(bytes);
  assert.equal(result.state, 'complete');
  assert.deepEqual(bytes.subarray(end), frame);
  if (result.state === 'complete') {
    assert.equal(result.head.upgrade, true);
    assert.equal(result.head.headers.get('sec-websocket-key'), 'dGhlIHNhbXBsZSBub25jZQ==');
  }
});

test('leading empty lines are ignored and bare LF ends lines', () => {
  const h = head('\r\n\r\nGET /x HTTP/1.1\nHost: a\n\n');
  assert.equal(h.path, '/x');
  assert.equal(h.headers.get('host'), 'a');
  assert.equal(h.headSize, 4 + 16 + 8 + 1);
});

test('field values are trimmed, may be empty and keep obs-text bytes', () => {
  const h = head(Buffer.concat([Buffer.from('GET / HTTP/1.1\r\nA:  x y \t\r\nB:\r\nC: caf'), Buffer.from([0xe9]), Buffer.from('\r\n\r\n')]));
  assert.equal(h.headers.get('a'), 'x y');
  assert.equal(h.headers.get('b'), '');
  assert.equal(h.headers.get('c'), 'caf\u00e9');
  assert.deepEqual(Buffer.from(h.headers.get('c') as string, 'latin1'), Buffer.from([0x63, 0x61, 0x66, 0xe9]));
});

test('repeated fields are kept in order and joined by get()', () => {
  const h = head('GET / HTTP/1.1\r\nAccept: a\r\nX: 1\r\naccept: b\r\n\r\n');
  assert.equal(h.headers.get('accept'), 'a, b');
  assert.deepEqual(h.headers.getAll('ACCEPT'), ['a', 'b']);
  assert.equal(h.headers.size, 3);
});

test('keep-alive, upgrade and expect', () => {
  assert.equal(head('GET / HTTP/1.1\r\n\r\n').keepAlive, true);
  assert.equal(head('GET / HTTP/1.1\r\nConnection: close\r\n\r\n').keepAlive, false);
  assert.equal(head('GET / HTTP/1.1\r\nConnection: Upgrade, CLOSE\r\n\r\n').keepAlive, false);
  assert.equal(head('GET / HTTP/1.0\r\n\r\n').keepAlive, false);
  assert.equal(head('GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n').keepAlive, true);
  assert.equal(head('GET / HTTP/1.1\r\nUpgrade: websocket\r\n\r\n').upgrade, false, 'Upgrade without Connection: upgrade');
  assert.equal(head('GET / HTTP/1.1\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n').upgrade, true);
  assert.equal(head('CONNECT example.com:443 HTTP/1.1\r\n\r\n').upgrade, true);
  assert.equal(head('POST / HTTP/1.1\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\n').expectContinue, true);
  assert.equal(head('POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n').expectContinue, false);
});

test('HTTP/1.x minor versions above 1 are handled as 1.1', () => {
  assert.equal(head('GET / HTTP/1.9\r\n\r\n').versionMinor, 1);
  assert.equal(head('GET / HTTP/1.0\r\n\r\n').versionMinor, 0);
});

test('request-target forms', () => {
  const abs = head('GET http://example.com:8080/p/q?x=1 HTTP/1.1\r\n\r\n');
  assert.equal(abs.targetForm, 'absolute');
  assert.equal(abs.path, '/p/q');
  assert.equal(abs.query, 'x=1');
  const bare = head('GET http://example.com?y HTTP/1.1\r\n\r\n');
  assert.equal(bare.path, '/');
  assert.equal(bare.query, 'y');
  const star = head('OPTIONS * HTTP/1.1\r\n\r\n');
  assert.equal(star.targetForm, 'asterisk');
  const conn = head('CONNECT example.com:443 HTTP/1.1\r\n\r\n');
  assert.equal(conn.targetForm, 'authority');
  assert.equal(conn.path, 'example.com:443');
  assert.deepEqual(error('GET * HTTP/1.1\r\n\r\n'), { status: 400, code: 'BAD_TARGET' });
  assert.deepEqual(error('GET example.com HTTP/1.1\r\n\r\n'), { status: 400, code: 'BAD_TARGET' });
});

test('body framing', () => {
  assert.deepEqual(head('POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n').body, { kind: 'none' });
  assert.deepEqual(head('POST / HTTP/1.1\r\nContent-Length: 12\r\n\r\n').body, { kind: 'length', length: 12 });
  assert.deepEqual(head('POST / HTTP/1.1\r\nContent-Length: 7, 7\r\nContent-Length: 7\r\n\r\n').body, { kind: 'length', length: 7 });
  assert.deepEqual(head('POST / HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n').body, { kind: 'chunked' });
});

test('invalid body framing is refused', () => {
  const cases: Array<[string, number, string]> = [
    ['Content-Length: 5\r\nTransfer-Encoding: chunked', 400, 'BAD_TRANSFER_ENCODING'],
    ['Transfer-Encoding: chunked\r\nContent-Length: 5', 400, 'BAD_TRANSFER_ENCODING'],
    ['Transfer-Encoding: chunked, gzip', 400, 'BAD_TRANSFER_ENCODING'],
    ['Transfer-Encoding: chunked, chunked', 400, 'BAD_TRANSFER_ENCODING'],
    ['Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked', 400, 'BAD_TRANSFER_ENCODING'],
    ['Transfer-Encoding: ', 400, 'BAD_TRANSFER_ENCODING'],
    ['Transfer-Encoding: gzip, chunked', 501, 'UNSUPPORTED_TRANSFER_CODING'],
    ['Content-Length: abc', 400, 'BAD_CONTENT_LENGTH'],
    ['Content-Length: -1', 400, 'BAD_CONTENT_LENGTH'],
    ['Content-Length: +5', 400, 'BAD_CONTENT_LENGTH'],
    ['Content-Length: 1.5', 400, 'BAD_CONTENT_LENGTH'],
    ['Content-Length: 0x10', 400, 'BAD_CONTENT_LENGTH'],
    ['Content-Length: ', 400, 'BAD_CONTENT_LENGTH'],
    ['Content-Length: 1234567890123456', 400, 'BAD_CONTENT_LENGTH'],
    ['Content-Length: 5\r\nContent-Length: 6', 400, 'BAD_CONTENT_LENGTH'],
    ['Content-Length: 5, 6', 400, 'BAD_CONTENT_LENGTH'],
  ];
  for (const [fields, status, code] of cases) {
    assert.deepEqual(error(`POST / HTTP/1.1\r\n${fields}\r\n\r\n`), { status, code }, fields);
  }
  assert.deepEqual(error('POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n'), { status: 400, code: 'BAD_TRANSFER_ENCODING' });
});

test('malformed request lines', () => {
  const cases: Array<[string, number, string]> = [
    ['GET  / HTTP/1.1', 400, 'BAD_REQUEST_LINE'],
    ['GET / HTTP/1.1 ', 400, 'BAD_REQUEST_LINE'],
    [' GET / HTTP/1.1', 400, 'BAD_REQUEST_LINE'],
    ['GET /', 400, 'BAD_REQUEST_LINE'],
    ['GET', 400, 'BAD_REQUEST_LINE'],
    ['GET\t/ HTTP/1.1', 400, 'BAD_REQUEST_LINE'],
    ['G(T / HTTP/1.1', 400, 'BAD_METHOD'],
    ['GET /a\x01b HTTP/1.1', 400, 'BAD_TARGET'],
    ['GET /a#frag HTTP/1.1', 400, 'BAD_TARGET'],
    ['GET /a\x7f HTTP/1.1', 400, 'BAD_TARGET'],
    ['GET / http/1.1', 400, 'BAD_VERSION'],
    ['GET / HTTP/1', 400, 'BAD_VERSION'],
    ['GET / HTTP/1.10', 400, 'BAD_VERSION'],
    ['GET / HTTP/2.0', 505, 'UNSUPPORTED_VERSION'],
    ['GET / HTTP/0.9', 505, 'UNSUPPORTED_VERSION'],
    ['GET / HTTP/1.1\rX', 400, 'BAD_REQUEST_LINE'],
  ];
  for (const [line, status, code] of cases) {
    assert.deepEqual(error(`${line}\r\nHost: h\r\n\r\n`), { status, code }, JSON.stringify(line));
  }
});

test('malformed header lines', () => {
  const cases: string[] = [
    'NoColon',
    ': empty-name',
    'Space : before-colon',
    'Tab\t: before-colon',
    'Bad(Name): x',
    ' folded: continuation',
    '\tfolded',
    'Nul: a\x00b',
    'Ctl: a\x1bb',
    'Del: a\x7f',
    'Cr: a\rb',
  ];
  for (const line of cases) {
    assert.deepEqual(error(`GET / HTTP/1.1\r\nHost: h\r\n${line}\r\n\r\n`), { status: 400, code: 'BAD_HEADER' }, JSON.stringify(line));
  }
});

test('head size limit: 431 for headers, 414 for the request line', () => {
  const big = 'X-Big: ' + 'a'.repeat(17 * 1024);
  assert.deepEqual(error(`GET / HTTP/1.1\r\n${big}\r\n\r\n`), { status: 431, code: 'HEAD_TOO_LARGE' });
  assert.deepEqual(error(`GET /${'a'.repeat(17 * 1024)} HTTP/1.1\r\n\r\n`), { status: 414, code: 'URI_TOO_LONG' });
  // Exactly at the limit is fine, one byte more is not.
  const base = 'GET / HTTP/1.1\r\nX: \r\n\r\n';
  const fill = 100 - base.length;
  const atLimit = `GET / HTTP/1.1\r\nX: ${'v'.repeat(fill)}\r\n\r\n`;
  assert.equal(atLimit.length, 100);
  assert.equal(head(atLimit, { maxHeadSize: 100 }).headers.get('x'), 'v'.repeat(fill));
  assert.equal(error(`GET / HTTP/1.1\r\nX: ${'v'.repeat(fill + 1)}\r\n\r\n`, { maxHeadSize: 100 }).status, 431);
});

test('an endless line is refused before its end arrives', () => {
  const p = new RequestParser({ maxHeadSize: 64 });
  assert.equal(p.feed(Buffer.from('GET / HTTP/1.1\r\nX: ')).state, 'incomplete');
  const r = p.feed(Buffer.alloc(100, 0x61));
  assert.equal(r.state, 'error');
  if (r.state === 'error') assert.equal(r.error.status, 431);
});

test('header count limit', () => {
  const fields = (n: number): string => Array.from({ length: n }, (_, i) => `H${i}: ${i}\r\n`).join('');
  assert.equal(head(`GET / HTTP/1.1\r\n${fields(100)}\r\n`).headers.size, 100);
  assert.deepEqual(error(`GET / HTTP/1.1\r\n${fields(101)}\r\n`), { status: 431, code: 'TOO_MANY_HEADERS' });
  assert.deepEqual(error(`GET / HTTP/1.1\r\n${fields(3)}\r\n`, { maxHeaders: 2 }), { status: 431, code: 'TOO_MANY_HEADERS' });
});

test('requireHost enforces RFC 9112 §3.2 when asked', () => {
  assert.equal(head('GET / HTTP/1.1\r\n\r\n').path, '/');
  assert.deepEqual(error('GET / HTTP/1.1\r\n\r\n', { requireHost: true }), { status: 400, code: 'MISSING_HOST' });
  assert.deepEqual(error('GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n', { requireHost: true }), { status: 400, code: 'MISSING_HOST' });
  assert.equal(head('GET / HTTP/1.0\r\n\r\n', { requireHost: true }).path, '/');
});

test('feeding after the end needs reset(); inProgress tracks a started head', () => {
  const p = new RequestParser();
  assert.equal(p.inProgress, false);
  assert.equal(p.feed(Buffer.from('GET / HT')).state, 'incomplete');
  assert.equal(p.inProgress, true);
  assert.equal(p.feed(Buffer.from('TP/1.1\r\n\r\n')).state, 'complete');
  assert.equal(p.inProgress, false);
  assert.throws(() => p.feed(Buffer.from('GET / HTTP/1.1\r\n\r\n')), /reset/);
  p.reset();
  const r = p.feed(new Uint8Array(Buffer.from('GET /again HTTP/1.1\r\n\r\n')));
  assert.equal(r.state === 'complete' && r.head.path, '/again');
});

test('the parser copies partial lines, so callers may reuse their buffer', () => {
  const p = new RequestParser();
  const buf = Buffer.from('GET /abc HTTP/1.1\r\nX: 1');
  assert.equal(p.feed(buf).state, 'incomplete');
  buf.fill(0x7a);
  const r = p.feed(Buffer.from('2\r\n\r\n'));
  assert.equal(r.state, 'complete');
  if (r.state === 'complete') {
    assert.equal(r.head.path, '/abc');
    assert.equal(r.head.headers.get('x'), '12');
  }
});
