import test from 'node:test';
import assert from 'node:assert/strict';
import { civilToSec, formatIso, parseIso, secToCivil } from '../../../src/ba/datetime.js';
import { aesdecode, aesencode, cmpaddr, encdate, parsedate } from '../../../src/ba/misc.js';

test('calendar conversion agrees with Date over the whole range, leap days included', () => {
  for (let i = 0; i < 5000; i++) {
    // deterministic spread over 0001..9999
    const sec = Math.floor(-62135596800 + ((i * 2654435761) % 1_000_000_007) / 1_000_000_007 * (253402300799 + 62135596800));
    const c = secToCivil(sec);
    const d = new Date(sec * 1000);
    assert.deepEqual(
      [c.year, c.month, c.day, c.hour, c.min, c.sec, c.wday],
      [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCDay()],
      String(sec),
    );
    assert.equal(civilToSec(c.year, c.month, c.day, c.hour, c.min, c.sec), sec);
    const iso = formatIso({ sec, nsec: 0, offset: 0 })!;
    assert.deepEqual(parseIso(iso), { sec, nsec: 0, offset: 0 });
  }
  assert.equal(civilToSec(2023, 2, 29, 0, 0, 0), null);
  assert.equal(civilToSec(2024, 2, 29, 0, 0, 0), 1709164800);
  assert.equal(civilToSec(1900, 2, 29, 0, 0, 0), null);
  assert.equal(civilToSec(2000, 2, 29, 0, 0, 0), 951782400);
});

test('encdate and parsedate round-trip', () => {
  for (let t = -1e9; t < 4e9; t += 12345679) assert.equal(parsedate(encdate(t)), t);
  assert.equal(parsedate(''), 0);
  assert.equal(parsedate('Tue,'), 0);
  assert.equal(parsedate('Tue, 14 Nov'), 0);
});

test('AES tokens round-trip for every key length and data length around block edges', () => {
  for (const klen of [0, 1, 15, 16, 17, 31, 32, 40]) {
    const key = Buffer.alloc(klen, 7);
    for (let n = 0; n < 70; n++) {
      const data = Buffer.alloc(n, n);
      assert.deepEqual(aesdecode(key, aesencode(key, data, true), true), data);
      const raw = aesdecode(key, aesencode(key, data, false), false)!;
      assert.deepEqual(raw.subarray(0, n), data);
      assert.equal(raw.length % 16, 0);
    }
  }
  // a 16 KiB message runs the counter over 255 blocks
  const big = Buffer.alloc(16384, 0x61);
  assert.deepEqual(aesdecode(Buffer.from('k'), aesencode(Buffer.from('k'), big, true), true), big);
  assert.equal(aesdecode(Buffer.from('k'), 'abc', true), null);
  assert.equal(aesdecode(Buffer.from('k'), '!!!!', true), null);
});

test('cmpaddr', () => {
  assert.equal(cmpaddr('::ffff:10.0.0.1', '10.0.0.1'), true);
  assert.equal(cmpaddr('10.0.0.1', '::ffff:10.0.0.1'), true);
  assert.equal(cmpaddr('::ffff:10.0.0.1', '10.0.0.2'), false);
  assert.equal(cmpaddr('::1', '::1'), true);
});
