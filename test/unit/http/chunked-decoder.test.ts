/** Chunked request bodies (RFC 9112 §7.1), fed whole and one byte at a time. */
import test from 'node:test';
import assert from 'node:assert/strict';
import { ChunkedDecoder } from '../../../src/http/chunked-decoder.js';

interface Outcome {
  body: string;
  end: number;
  done: boolean;
  error: { status: number; code: string } | null;
}

function decode(input: string, piece: number): Outcome {
  const bytes = Buffer.from(input, 'latin1');
  const d = new ChunkedDecoder({ maxTrailerSize: 64, maxExtensionSize: 16 });
  const parts: Buffer[] = [];
  let off = 0;
  while (off < bytes.length) {
    const chunk = bytes.subarray(off, off + piece);
    const r = d.feed(chunk);
    parts.push(...r.data.map((b) => Buffer.from(b)));
    off += r.consumed;
    if (r.error) return { body: Buffer.concat(parts).toString('latin1'), end: off, done: false, error: { status: r.error.status, code: r.error.code } };
    if (r.done) return { body: Buffer.concat(parts).toString('latin1'), end: off, done: true, error: null };
    assert.equal(r.consumed, chunk.length);
  }
  return { body: Buffer.concat(parts).toString('latin1'), end: off, done: d.done, error: null };
}

function both(input: string): Outcome {
  const whole = decode(input, input.length || 1);
  for (const piece of [1, 2, 3]) assert.deepEqual(decode(input, piece), whole, `piece ${piece}`);
  return whole;
}

test('decodes chunks and stops after the last CRLF', () => {
  const body = '5\r\nhello\r\n7;ext=1;flag\r\n, world\r\n0\r\n\r\n';
  const r = both(body + 'GET / HTTP/1.1\r\n\r\n');
  assert.deepEqual(r, { body: 'hello, world', end: body.length, done: true, error: null });
});

test('hex sizes in either case, whitespace before an extension', () => {
  const data = 'x'.repeat(0x1a);
  assert.equal(both(`1A\r\n${data}\r\n1a \t;e\r\n${data}\r\n0\r\n\r\n`).body, data + data);
});

test('trailers are collected', () => {
  const d = new ChunkedDecoder();
  const r = d.feed(Buffer.from('1\r\na\r\n0\r\nX-Sum: 12\r\nY: z\r\n\r\n'));
  assert.equal(r.done, true);
  assert.deepEqual(d.trailers.entries(), [
    ['X-Sum', '12'],
    ['Y', 'z'],
  ]);
  assert.equal(d.received, 1);
});

test('incomplete input is not done', () => {
  const r = both('5\r\nhel');
  assert.equal(r.done, false);
  assert.equal(r.body, 'hel');
});

test('malformed framing is refused', () => {
  const cases: Array<[string, number]> = [
    ['\r\n', 400], // no size
    ['g\r\n', 400], // not hex
    ['-1\r\n', 400],
    ['5\nhello\r\n0\r\n\r\n', 400], // bare LF after size
    ['5\r\nhelloX\r\n', 400], // data longer than size
    ['5\r\nhello\n0\r\n\r\n', 400], // bare LF after data
    ['5\r\nhello\rX', 400],
    ['5;a\x01b\r\n', 400], // control in extension
    ['5;' + 'e'.repeat(20) + '\r\n', 400], // extension too long
    ['1' + '0'.repeat(13) + '\r\n', 400], // size too large
    ['0\r\nBad Field: x\r\n\r\n', 400],
    ['0\r\nX: a\nb\r\n\r\n', 400],
    ['0\r\n\rX', 400],
    ['0\r\nX: ' + 'a'.repeat(80) + '\r\n\r\n', 431],
  ];
  for (const [input, status] of cases) {
    const r = both(input);
    assert.equal(r.error?.status, status, JSON.stringify(input));
  }
});

test('feeding after an error is a programming error', () => {
  const d = new ChunkedDecoder();
  assert.ok(d.feed(Buffer.from('z')).error);
  assert.throws(() => d.feed(Buffer.from('0\r\n')));
});
