import test from 'node:test';
import assert from 'node:assert/strict';
import { ResponseWriter, type ResponseWriterOptions } from '../../../src/http/response-writer.js';

const FIXED = new Date(Date.UTC(2024, 0, 2, 3, 4, 5));
const DATE = 'Date: Tue, 02 Jan 2024 03:04:05 GMT\r\n';

function make(options: Partial<ResponseWriterOptions> = {}): { w: ResponseWriter; out: () => string; writes: Buffer[] } {
  const writes: Buffer[] = [];
  const w = new ResponseWriter((b) => writes.push(typeof b === 'string' ? Buffer.from(b, 'latin1') : b), { method: 'GET', versionMinor: 1, keepAlive: true, now: () => FIXED, ...options });
  return { w, writes, out: () => Buffer.concat(writes).toString('latin1') };
}

test('a buffered response gets a Content-Length and stays alive', () => {
  const { w, out, writes } = make();
  w.setContentType('text/plain');
  w.write('hello ');
  w.write(Buffer.from('world'));
  assert.equal(writes.length, 0, 'nothing is sent before end or flush');
  assert.equal(w.bufferedBytes, 11);
  w.end();
  assert.equal(out(), `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n${DATE}\r\nhello world`);
  assert.equal(w.keepAlive, true);
  assert.equal(w.finished, true);
  assert.equal(w.write('more'), false);
});

test('flush sends the head and switches to chunked for HTTP/1.1', () => {
  const { w, out } = make({ server: 'remora' });
  w.write('abc');
  w.flush();
  assert.equal(w.headersSent, true);
  assert.equal(out(), `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n${DATE}Server: remora\r\n\r\n3\r\nabc\r\n`);
  w.write('0123456789abcdef');
  w.end();
  assert.ok(out().endsWith('3\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n'));
  assert.equal(w.keepAlive, true);
  assert.equal(w.setStatus(404), false, 'status is fixed once sent');
  assert.equal(w.setHeader('X', 'y'), false);
});

test('an HTTP/1.0 client gets a close-delimited body after flush', () => {
  const { w, out } = make({ versionMinor: 0, keepAlive: true });
  w.write('abc');
  w.flush();
  w.end('def');
  assert.equal(out(), `HTTP/1.1 200 OK\r\nConnection: close\r\n${DATE}\r\nabcdef`);
  assert.equal(w.keepAlive, false);
});

test('an HTTP/1.0 keep-alive client is told keep-alive', () => {
  const { w, out } = make({ versionMinor: 0, keepAlive: true });
  w.end('x');
  assert.equal(out(), `HTTP/1.1 200 OK\r\nContent-Length: 1\r\nConnection: keep-alive\r\n${DATE}\r\nx`);
  assert.equal(w.keepAlive, true);
});

test('Connection: close from the client or the page closes', () => {
  const a = make({ keepAlive: false });
  a.w.end();
  assert.match(a.out(), /Connection: close\r\n/);
  assert.equal(a.w.keepAlive, false);
  const b = make();
  b.w.setHeader('Connection', 'close');
  b.w.end();
  assert.equal(b.w.keepAlive, false);
});

test('HEAD: headers as for GET, no body bytes', () => {
  const { w, out } = make({ method: 'HEAD' });
  w.write('hello');
  w.end();
  assert.equal(out(), `HTTP/1.1 200 OK\r\nContent-Length: 5\r\n${DATE}\r\n`);
  assert.equal(w.keepAlive, true);
  const f = make({ method: 'HEAD' });
  f.w.write('x');
  f.w.flush();
  f.w.write('y');
  f.w.end();
  assert.equal(f.out(), `HTTP/1.1 200 OK\r\n${DATE}\r\n`);
  assert.equal(f.w.keepAlive, true);
});

test('204 and 304 carry no body', () => {
  const a = make();
  a.w.setStatus(204);
  a.w.setHeader('Content-Length', '10');
  a.w.end('ignored');
  assert.equal(a.out(), `HTTP/1.1 204 No Content\r\n${DATE}\r\n`);
  assert.equal(a.w.keepAlive, true);
  const b = make();
  b.w.setStatus(304);
  b.w.setHeader('ETag', 'W/"1"');
  b.w.end();
  assert.equal(b.out(), `HTTP/1.1 304 Not Modified\r\nETag: W/"1"\r\n${DATE}\r\n`);
});

test('a Content-Length set by the page is honoured, excess cut and the connection closed', () => {
  const a = make();
  a.w.setHeader('content-length', '3');
  a.w.write('ab');
  a.w.flush();
  a.w.end('c');
  assert.equal(a.out(), `HTTP/1.1 200 OK\r\ncontent-length: 3\r\n${DATE}\r\nabc`);
  assert.equal(a.w.keepAlive, true);
  const b = make();
  b.w.setHeader('Content-Length', '2');
  b.w.end('abcdef');
  assert.ok(b.out().endsWith('\r\n\r\nab'));
  assert.equal(b.w.keepAlive, false);
  const c = make();
  c.w.setHeader('Content-Length', '10');
  c.w.end('abc');
  assert.equal(c.w.keepAlive, false, 'short body');
});

test('a Transfer-Encoding set by the page is replaced by the writer', () => {
  const { w, out } = make();
  w.setHeader('Transfer-Encoding', 'chunked');
  w.end('ab');
  assert.equal(out(), `HTTP/1.1 200 OK\r\nContent-Length: 2\r\n${DATE}\r\nab`);
});

test('a full buffer flushes by itself', () => {
  const { w, writes } = make({ bufferSize: 4 });
  w.write('ab');
  assert.equal(writes.length, 0);
  w.write('cd');
  assert.equal(w.headersSent, true);
  assert.equal(w.bufferedBytes, 0);
});

test('sendError replaces the prepared response', () => {
  const { w, out } = make();
  w.setHeader('X-Page', '1');
  w.write('partial page');
  assert.equal(w.sendError(404, 'No <such> page'), true);
  const text = out();
  assert.match(text, /^HTTP\/1\.1 404 Not Found\r\n/);
  assert.doesNotMatch(text, /X-Page|partial page/);
  assert.match(text, /Content-Type: text\/html; charset=utf-8\r\n/);
  assert.match(text, /<p>No &lt;such&gt; page<\/p>/);
  const body = text.slice(text.indexOf('\r\n\r\n') + 4);
  assert.match(text, new RegExp(`Content-Length: ${Buffer.byteLength(body)}\\r\\n`));
  assert.equal(w.sendError(500), false);
});

test('sendError with extra headers, and after flush it cannot', () => {
  const a = make();
  a.w.sendError(405, undefined, [['Allow', 'GET, HEAD']]);
  assert.match(a.out(), /^HTTP\/1\.1 405 Method Not Allowed\r\nAllow: GET, HEAD\r\n/);
  const b = make();
  b.w.flush();
  assert.equal(b.w.sendError(500), false);
});

test('sendRedirect', () => {
  const { w, out } = make();
  w.sendRedirect('/dir/?a=1&b="2"');
  const text = out();
  assert.match(text, /^HTTP\/1\.1 302 Found\r\nLocation: \/dir\/\?a=1&b="2"\r\n/);
  assert.match(text, /href="\/dir\/\?a=1&amp;b=&quot;2&quot;"/);
  const p = make();
  p.w.sendRedirect('/x', 301);
  assert.match(p.out(), /^HTTP\/1\.1 301 Moved Permanently\r\n/);
});

test('header injection is refused', () => {
  const { w } = make();
  assert.throws(() => w.setHeader('X', 'a\r\nSet-Cookie: evil'), TypeError);
  assert.throws(() => w.setHeader('Bad Name', 'v'), TypeError);
  assert.throws(() => w.sendRedirect('/x\r\nX: y'), TypeError);
  assert.throws(() => w.setStatus(42), RangeError);
});

test('custom status and reason', () => {
  const { w, out } = make();
  w.setStatus(299, 'Fine Enough');
  w.end();
  assert.match(out(), /^HTTP\/1\.1 299 Fine Enough\r\n/);
  const u = make();
  u.w.setStatus(599);
  u.w.end();
  assert.match(u.out(), /^HTTP\/1\.1 599 Server Error\r\n/);
});

test('detach discards unflushed output and stops writing', () => {
  const { w, out } = make();
  w.write('flushed');
  w.flush();
  w.write('unflushed');
  w.detach();
  w.end('late');
  const text = out();
  assert.ok(text.endsWith('7\r\nflushed\r\n'));
  assert.doesNotMatch(text, /unflushed|late|0\r\n\r\n$/);
  assert.equal(w.keepAlive, false);
  assert.equal(w.finished, true);
});

test('sendContinue before the head', () => {
  const { w, out } = make();
  w.sendContinue();
  w.end('ok');
  assert.ok(out().startsWith('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n'));
});

test('the page may set its own Date and Server; add keeps repeated fields', () => {
  const { w, out } = make({ server: 'remora' });
  w.setHeader('Date', 'x');
  w.setHeader('Server', 'mine');
  w.addHeader('Set-Cookie', 'a=1');
  w.addHeader('Set-Cookie', 'b=2');
  w.end();
  assert.equal(out(), 'HTTP/1.1 200 OK\r\nDate: x\r\nServer: mine\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nContent-Length: 0\r\n\r\n');
});

test('one write per end()/flush(): head and body leave together; a large body is not copied', () => {
  const { w, writes, out } = make();
  w.write('hello');
  w.end();
  assert.equal(writes.length, 1);
  assert.equal(out(), `HTTP/1.1 200 OK\r\nContent-Length: 5\r\n${DATE}\r\nhello`);

  const c = make();
  c.w.write('abc');
  c.w.flush();
  assert.equal(c.writes.length, 1, 'head and first chunk');
  c.w.write('de');
  c.w.end();
  assert.equal(c.writes.length, 2, 'chunk and last chunk');
  assert.ok(c.out().endsWith('3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n'));

  const big = Buffer.alloc(40_000, 0x78);
  const b = make();
  b.w.write(big);
  b.w.end();
  assert.equal(b.writes.length, 2);
  assert.equal(b.writes[1]!.length, big.length);

  // A head that cannot be serialized sends nothing; the error page still can be sent.
  const e = make();
  e.w.write('x');
  e.w.setStatus(200, 'bad\r\nreason');
  assert.throws(() => e.w.end(), TypeError);
  assert.equal(e.writes.length, 0);
  assert.equal(e.w.sendError(500), true);
  assert.equal(e.writes.length, 1);
  assert.match(e.out(), /^HTTP\/1\.1 500 /);
});
