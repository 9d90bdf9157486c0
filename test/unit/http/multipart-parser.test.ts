import test from 'node:test';
import assert from 'node:assert/strict';
import { MultipartParser, multipartBoundary, type MultipartEvent } from '../../../src/http/multipart-parser.js';

const B = 'XyZ-123';
const body = Buffer.concat([
  Buffer.from(`preamble\r\n--${B}\r\nContent-Disposition: form-data; name="a"\r\n\r\nline1\r\nline2\r\n`),
  Buffer.from(`--${B}  \r\nContent-Disposition: form-data; name="f"; filename="x y.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`),
  Buffer.from([0, 13, 10, 45, 45, 1, 2, 3]), // CR LF "--" inside the file, not a delimiter
  Buffer.from(`\r\n--${B}\r\nContent-Disposition: form-data; name="empty"\r\n\r\n\r\n--${B}--\r\nepilogue`),
]);

function summary(events: MultipartEvent[]): string[] {
  const out: string[] = [];
  let data: Buffer[] = [];
  for (const e of events) {
    if (e.kind === 'data') data.push(e.data);
    else {
      if (data.length) out.push(`data ${Buffer.concat(data).toString('hex')}`);
      data = [];
      if (e.kind === 'field') out.push(`field ${e.name}=${JSON.stringify(e.value.toString())}`);
      else if (e.kind === 'file') out.push(`file ${e.name} ${e.filename} ${e.contentType}`);
      else out.push(e.kind);
    }
  }
  return out;
}

const expected = ['field a="line1\\r\\nline2"', 'file f x y.bin application/octet-stream', 'data 000d0a2d2d010203', 'fileend', 'field empty=""', 'end'];

test('multipart: whole body, and the same body fed one byte at a time', () => {
  const whole = new MultipartParser(B);
  assert.deepEqual(summary(whole.feed(body)), expected);
  assert.equal(whole.finish(), null);
  const dribble = new MultipartParser(B);
  const events: MultipartEvent[] = [];
  for (let i = 0; i < body.length; i++) events.push(...dribble.feed(body.subarray(i, i + 1)));
  assert.deepEqual(summary(events), expected);
  assert.equal(dribble.finish(), null);
});

test('multipart: a body without its closing delimiter, a part without form-data, a broken delimiter line', () => {
  const p = new MultipartParser(B);
  p.feed(Buffer.from(`--${B}\r\nContent-Disposition: form-data; name="a"\r\n\r\nvalue`));
  assert.equal(p.finish(), 'multipart body ended before its closing delimiter');
  const q = new MultipartParser(B);
  q.feed(Buffer.from(`--${B}\r\nContent-Type: text/plain\r\n\r\nx\r\n--${B}--`));
  assert.equal(q.error, 'multipart part without Content-Disposition: form-data');
  const r = new MultipartParser(B);
  r.feed(Buffer.from(`--${B}\r\nContent-Disposition: form-data; name="a"\r\n\r\nx\r\n--${B}junk\r\n`));
  assert.equal(r.error, 'bad multipart delimiter line');
});

test('multipartBoundary reads the Content-Type parameter', () => {
  assert.equal(multipartBoundary('multipart/form-data; boundary=abc'), 'abc');
  assert.equal(multipartBoundary('Multipart/Form-Data; charset=x; boundary="a b"'), 'a b');
  assert.equal(multipartBoundary('application/json'), null);
  assert.equal(multipartBoundary('multipart/form-data'), null);
  assert.equal(multipartBoundary(undefined), null);
});
