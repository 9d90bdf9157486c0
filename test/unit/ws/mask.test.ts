import test from 'node:test';
import assert from 'node:assert/strict';
import { applyMask } from '../../../src/ws/mask.js';
import { prng, randomBytes } from './frame-fixtures.js';

function naive(data: Uint8Array, mask: Uint8Array, phase: number): Buffer {
  const out = Buffer.from(data);
  for (let i = 0; i < out.length; i++) out[i]! ^= mask[(phase + i) & 3]!;
  return out;
}

test('mask: matches the RFC 6455 §5.3 definition for every length, alignment and phase', () => {
  const rand = prng(42);
  const mask = Uint8Array.from([0x12, 0x34, 0x56, 0x78]);
  // A big backing buffer lets the data start at every byte offset modulo 4.
  const backing = randomBytes(400, rand);
  for (const len of [0, 1, 3, 4, 5, 31, 32, 33, 64, 100, 257]) {
    for (let start = 0; start < 4; start++) {
      for (let phase = 0; phase < 4; phase++) {
        const data = Buffer.from(backing).subarray(start, start + len);
        const expected = naive(data, mask, phase);
        applyMask(data, mask, phase);
        assert.deepEqual(Buffer.from(data), expected, `len ${len} start ${start} phase ${phase}`);
      }
    }
  }
});

test('mask: masking twice restores the data', () => {
  const rand = prng(1);
  const data = randomBytes(1000, rand);
  const copy = Buffer.from(data);
  const mask = randomBytes(4, rand);
  applyMask(data, mask);
  assert.notDeepEqual(data, copy);
  applyMask(data, mask);
  assert.deepEqual(data, copy);
});

test('mask: unmasking piece by piece with the running phase equals unmasking at once', () => {
  const rand = prng(9);
  const data = randomBytes(5000, rand);
  const mask = randomBytes(4, rand);
  const whole = naive(data, mask, 0);
  const pieces = Buffer.from(data);
  let pos = 0;
  while (pos < pieces.length) {
    const k = 1 + Math.floor(rand() * 97);
    const piece = pieces.subarray(pos, pos + k);
    applyMask(piece, mask, pos & 3);
    pos += piece.length;
  }
  assert.deepEqual(pieces, whole);
});

test('mask: leaves bytes outside the view alone', () => {
  const backing = Buffer.alloc(80, 0xaa);
  applyMask(backing.subarray(3, 77), Uint8Array.from([1, 2, 3, 4]));
  assert.deepEqual([...backing.subarray(0, 3)], [0xaa, 0xaa, 0xaa]);
  assert.deepEqual([...backing.subarray(77)], [0xaa, 0xaa, 0xaa]);
});
