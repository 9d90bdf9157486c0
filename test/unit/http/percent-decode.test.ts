import test from 'node:test';
import assert from 'node:assert/strict';
import { percentDecode, byteStringToBuffer } from '../../../src/http/percent-decode.js';

test('decodes escapes to bytes', () => {
  assert.deepEqual(percentDecode('%41%4a%4A%00%ff%2e'), Buffer.from([0x41, 0x4a, 0x4a, 0, 0xff, 0x2e]));
  assert.deepEqual(percentDecode('a+b'), Buffer.from('a+b'));
  assert.deepEqual(percentDecode('a+b', { plusAsSpace: true }), Buffer.from('a b'));
});

test('strict mode refuses broken escapes, lenient mode keeps them', () => {
  for (const s of ['%', '%4', '%g1', 'a%zz', '%%41']) {
    assert.equal(percentDecode(s, { strict: true }), null, s);
  }
  assert.deepEqual(percentDecode('%%41'), Buffer.from('%A'));
  assert.deepEqual(percentDecode('100%'), Buffer.from('100%'));
});

test('byte strings map one char to one byte; wider text is UTF-8', () => {
  assert.deepEqual(byteStringToBuffer('\u00e9'), Buffer.from([0xe9]));
  assert.deepEqual(byteStringToBuffer('\u2713'), Buffer.from('\u2713', 'utf8'));
  assert.deepEqual(percentDecode(new Uint8Array([0x25, 0x34, 0x31])), Buffer.from('A'));
});
