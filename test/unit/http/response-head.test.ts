import test from 'node:test';
import assert from 'node:assert/strict';
import { serializeResponseHead, isHeaderName, isHeaderValue } from '../../../src/http/response-head.js';

test('serializes the status line and fields in order', () => {
  const b = serializeResponseHead(101, undefined, [
    ['Upgrade', 'websocket'],
    ['Connection', 'Upgrade'],
  ]);
  assert.equal(b.toString('latin1'), 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
});

test('byte-string values are sent byte for byte', () => {
  const b = serializeResponseHead(200, 'OK', [['X', 'caf\u00e9']]);
  assert.deepEqual(b.subarray(b.indexOf('X: ') + 3, b.length - 4), Buffer.from([0x63, 0x61, 0x66, 0xe9]));
});

test('validation', () => {
  assert.equal(isHeaderName('X-Ok'), true);
  assert.equal(isHeaderName('X Bad'), false);
  assert.equal(isHeaderName(''), false);
  assert.equal(isHeaderValue('a\tb c'), true);
  assert.equal(isHeaderValue('a\rb'), false);
  assert.equal(isHeaderValue('a\nb'), false);
  assert.equal(isHeaderValue('a\0b'), false);
  assert.equal(isHeaderValue('\u2713'), false);
  assert.throws(() => serializeResponseHead(200, 'OK\r\nX: y', []), TypeError);
  assert.throws(() => serializeResponseHead(1000, undefined, []), RangeError);
  assert.throws(() => serializeResponseHead(200, undefined, [['A', 'b\nc']]), TypeError);
});
