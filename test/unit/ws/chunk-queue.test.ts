import test from 'node:test';
import assert from 'node:assert/strict';
import { ChunkQueue } from '../../../src/ws/chunk-queue.js';
import { aliases } from './frame-fixtures.js';

const bytes = (...b: number[]): Buffer => Buffer.from(b);

test('chunk-queue: length counts unread bytes, empty chunks are ignored', () => {
  const q = new ChunkQueue();
  assert.equal(q.length, 0);
  q.push(bytes(1, 2, 3));
  q.push(Buffer.alloc(0));
  q.push(bytes(4));
  assert.equal(q.length, 4);
  q.readUInt8();
  assert.equal(q.length, 3);
  q.clear();
  assert.equal(q.length, 0);
});

test('chunk-queue: integers are read across chunk edges', () => {
  const q = new ChunkQueue();
  for (const b of [0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0xff]) q.push(bytes(b));
  assert.equal(q.readUInt16BE(), 0x1234);
  assert.equal(q.readUInt32BE(), 0x56789abc);
  q.push(bytes(0xff, 0xff));
  assert.equal(q.readUInt8(), 0xde);
  // 0xf0ffffff does not fit a signed 32-bit integer: must stay positive
  assert.equal(q.readUInt32BE(), 0xf0ffffff);
  assert.equal(q.length, 0);
});

test('chunk-queue: readUInt32BE inside one chunk', () => {
  const q = new ChunkQueue();
  q.push(bytes(0xff, 0xff, 0xff, 0xfe, 7));
  assert.equal(q.readUInt32BE(), 0xfffffffe);
  assert.equal(q.readUInt8(), 7);
});

test('chunk-queue: readInto copies a masking key split over chunks', () => {
  const q = new ChunkQueue();
  q.push(bytes(1));
  q.push(bytes(2, 3));
  q.push(bytes(4, 5));
  const key = new Uint8Array(4);
  q.readInto(key, 4);
  assert.deepEqual([...key], [1, 2, 3, 4]);
  assert.equal(q.length, 1);
});

test('chunk-queue: takeContiguous returns subarrays of the first chunk only', () => {
  const q = new ChunkQueue();
  const a = bytes(1, 2, 3, 4);
  const b = bytes(5, 6);
  q.push(a);
  q.push(b);
  const x = q.takeContiguous(2);
  assert.deepEqual([...x], [1, 2]);
  assert.ok(aliases(x, a), 'no copy');
  const y = q.takeContiguous(100);
  assert.deepEqual([...y], [3, 4], 'stops at the chunk edge');
  const z = q.takeContiguous(100);
  assert.deepEqual([...z], [5, 6]);
  assert.equal(q.takeContiguous(1).length, 0);
  assert.equal(q.length, 0);
});

test('chunk-queue: take copies only when the bytes span chunks', () => {
  const q = new ChunkQueue();
  const a = bytes(1, 2, 3);
  q.push(a);
  q.push(bytes(4, 5, 6));
  q.push(bytes(7));
  const inside = q.take(2);
  assert.ok(aliases(inside, a));
  const across = q.take(5);
  assert.deepEqual([...across], [3, 4, 5, 6, 7]);
  assert.ok(!aliases(across, a));
  assert.equal(q.take(0).length, 0);
  assert.equal(q.length, 0);
});

test('chunk-queue: skip discards across chunks and never more than queued', () => {
  const q = new ChunkQueue();
  q.push(bytes(1, 2));
  q.push(bytes(3, 4, 5));
  assert.equal(q.skip(3), 3);
  assert.equal(q.readUInt8(), 4);
  assert.equal(q.skip(10), 1);
  assert.equal(q.length, 0);
  assert.equal(q.skip(1), 0);
});

test('chunk-queue: a long backlog of one-byte chunks reads back in order', () => {
  const q = new ChunkQueue();
  for (let i = 0; i < 1000; i++) q.push(bytes(i & 0xff));
  for (let i = 0; i < 1000; i++) {
    if (i % 7 === 0) q.push(bytes(0)); // interleave pushes with reads
    assert.equal(q.readUInt8(), i & 0xff);
  }
  assert.equal(q.length, Math.ceil(1000 / 7));
});
