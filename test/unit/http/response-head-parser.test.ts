/** The HTTP client's response head parser, fed whole and one byte at a time. */
import test from 'node:test';
import assert from 'node:assert/strict';
import { MAX_RESPONSE_HEAD, ResponseHeadParser, type ResponseFeed } from '../../../src/http/response-head-parser.js';

/** Feeds `input` in pieces of `piece` bytes; returns the final answer and the bytes after the head. */
function parse(input: string, piece: number): { r: ResponseFeed; rest: string } {
  const bytes = Buffer.from(input, 'latin1');
  const p = new ResponseHeadParser();
  for (let off = 0; off < bytes.length; off += piece) {
    const chunk = bytes.subarray(off, off + piece);
    const r = p.feed(chunk);
    if (r.state === 'complete') return { r, rest: Buffer.concat([chunk.subarray(r.consumed), bytes.subarray(off + piece)]).toString('latin1') };
    if (r.state === 'error') return { r, rest: '' };
  }
  return { r: { state: 'incomplete' }, rest: '' };
}

/** What a parse produced, without `consumed` (which counts within the last chunk only). */
function outcome(x: { r: ResponseFeed; rest: string }): unknown {
  return { state: x.r.state, head: x.r.state === 'complete' ? x.r.head : null, rest: x.rest };
}

function both(input: string): { r: ResponseFeed; rest: string } {
  const whole = parse(input, input.length || 1);
  assert.deepEqual(outcome(parse(input, 1)), outcome(whole), 'one byte at a time gives the same answer');
  assert.deepEqual(outcome(parse(input, 7)), outcome(whole));
  return whole;
}

test('status line, fields in order with their case, body left over', () => {
  const { r, rest } = both('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-A:  spaced  \r\nx-a: 2\r\n\r\nbody');
  assert.equal(r.state, 'complete');
  if (r.state !== 'complete') return;
  assert.deepEqual(r.head, {
    version: 'HTTP/1.1',
    status: 200,
    reason: 'OK',
    fields: [
      ['Content-Type', 'text/plain'],
      ['X-A', 'spaced'],
      ['x-a', '2'],
    ],
  });
  assert.equal(rest, 'body');
});

test('bare LF line ends, no reason phrase, empty lines before the status line', () => {
  const { r, rest } = both('\r\n\nHTTP/1.0 204\nA: b\n\n');
  assert.equal(r.state, 'complete');
  if (r.state === 'complete') {
    assert.equal(r.head.status, 204);
    assert.equal(r.head.reason, '');
    assert.equal(r.head.version, 'HTTP/1.0');
    assert.deepEqual(r.head.fields, [['A', 'b']]);
  }
  assert.equal(rest, '');
});

test('a 101 leaves the upgraded bytes with the caller', () => {
  const { r, rest } = both('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x02hi');
  assert.equal(r.state, 'complete');
  assert.equal(rest, '\x81\x02hi');
});

test('an incomplete head waits', () => {
  assert.deepEqual(parse('HTTP/1.1 200 OK\r\nA: b\r\n', 1).r, { state: 'incomplete' });
});

test('malformed status lines and fields are errors', () => {
  for (const bad of ['HTTP/2 200 OK\r\n\r\n', 'HTTP/1.1 20 OK\r\n\r\n', 'ICY 200 OK\r\n\r\n', 'HTTP/1.1 200 OK\r\nno colon\r\n\r\n', 'HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n', 'HTTP/1.1 200 OK\r\n: empty\r\n\r\n']) {
    assert.equal(both(bad).r.state, 'error', JSON.stringify(bad));
  }
});

test('a head above the limit is an error, also without a line end', () => {
  const long = 'HTTP/1.1 200 OK\r\nX: ' + 'a'.repeat(MAX_RESPONSE_HEAD) + '\r\n\r\n';
  assert.equal(parse(long, 4096).r.state, 'error');
  assert.equal(parse('HTTP/1.1 200 OK\r\nX: ' + 'a'.repeat(MAX_RESPONSE_HEAD + 10), 1000).r.state, 'error');
});

test('reset() makes the parser ready for the next head (interim responses, keep-alive)', () => {
  const p = new ResponseHeadParser();
  const a = p.feed(Buffer.from('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\n'));
  assert.equal(a.state, 'complete');
  if (a.state !== 'complete') return;
  assert.equal(a.head.status, 100);
  const b = p.feed(Buffer.from('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\n').subarray(a.consumed));
  assert.equal(b.state === 'complete' && b.head.status, 200);
});
