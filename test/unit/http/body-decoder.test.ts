import test from 'node:test';
import assert from 'node:assert/strict';
import { createBodyDecoder } from '../../../src/http/body-decoder.js';

test('a Content-Length body ends after its length', () => {
  const d = createBodyDecoder({ kind: 'length', length: 5 });
  const r1 = d.feed(Buffer.from('hel'));
  assert.deepEqual([r1.consumed, r1.done, Buffer.concat(r1.data).toString()], [3, false, 'hel']);
  const r2 = d.feed(Buffer.from('loGET'));
  assert.deepEqual([r2.consumed, r2.done, Buffer.concat(r2.data).toString()], [2, true, 'lo']);
  assert.equal(d.received, 5);
  assert.equal(d.done, true);
});

test('no body is done at once and consumes nothing', () => {
  const d = createBodyDecoder({ kind: 'none' });
  assert.equal(d.done, true);
  assert.deepEqual(d.feed(Buffer.from('GET')), { consumed: 0, data: [], done: true, error: null });
});

test('chunked framing gets the chunked decoder', () => {
  const d = createBodyDecoder({ kind: 'chunked' });
  const r = d.feed(Buffer.from('2\r\nok\r\n0\r\n\r\nrest'));
  assert.equal(r.done, true);
  assert.equal(r.consumed, 12);
  assert.equal(Buffer.concat(r.data).toString(), 'ok');
});
