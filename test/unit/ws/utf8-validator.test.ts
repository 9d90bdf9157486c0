import test from 'node:test';
import assert from 'node:assert/strict';
import { isUtf8 } from 'node:buffer';
import { Utf8Validator, isValidUtf8 } from '../../../src/ws/utf8-validator.js';
import { prng, randomBytes } from './frame-fixtures.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** Validates `bytes` split at every possible point into two writes, and byte by byte. */
function validateAllSplits(bytes: Buffer): boolean[] {
  const v = new Utf8Validator();
  const results: boolean[] = [];
  for (let cut = 0; cut <= bytes.length; cut++) {
    const a = v.write(bytes, 0, cut);
    const b = v.write(bytes, cut, bytes.length);
    const c = v.end(); // always called: it also resets the validator for the next split
    results.push(a && b && c);
  }
  let ok = true;
  for (let i = 0; i < bytes.length; i++) ok = v.write(bytes.subarray(i, i + 1)) && ok;
  const c = v.end();
  results.push(c && ok);
  return results;
}

const VALID: Array<[string, Buffer]> = [
  ['empty', Buffer.alloc(0)],
  ['ASCII', Buffer.from('Hello, world!')],
  ['2-byte', Buffer.from('héllo ÿ')],
  ['3-byte', Buffer.from('€ 日本語')],
  ['4-byte', Buffer.from('😀 𝄞')],
  ['mixed', Buffer.from('aé€😀z'.repeat(20))],
  ['U+007F and U+0080', hex('7f c280')],
  ['U+07FF and U+0800', hex('dfbf e0a080')],
  ['U+D7FF and U+E000 (around the surrogates)', hex('ed9fbf ee8080')],
  ['U+FFFF and U+10000', hex('efbfbf f0908080')],
  ['U+10FFFF', hex('f48fbfbf')],
];

const INVALID: Array<[string, Buffer]> = [
  ['overlong 2-byte C0 80', hex('c080')],
  ['overlong 2-byte C1 BF', hex('c1bf')],
  ['overlong 3-byte E0 80 80', hex('e08080')],
  ['overlong 3-byte E0 9F BF', hex('e09fbf')],
  ['overlong 4-byte F0 80 80 80', hex('f0808080')],
  ['overlong 4-byte F0 8F BF BF', hex('f08fbfbf')],
  ['high surrogate U+D800', hex('eda080')],
  ['low surrogate U+DFFF', hex('edbfbf')],
  ['above U+10FFFF (F4 90)', hex('f4908080')],
  ['lead byte F5', hex('f5808080')],
  ['lead byte FF', hex('ff')],
  ['lone continuation byte', hex('80')],
  ['continuation after ASCII', hex('41 bf')],
  ['lead byte followed by ASCII', hex('e2 41 41')],
  ['2-byte lead followed by lead', hex('c2 c2 80')],
  ['too many continuation bytes', hex('c280 80')],
  ['truncated 2-byte at the end', hex('41 c3')],
  ['truncated 3-byte at the end', hex('41 e282')],
  ['truncated 4-byte at the end', hex('41 f09f98')],
  ['invalid after a long valid run', Buffer.concat([Buffer.from('a€'.repeat(100)), hex('eda080')])],
];

for (const [name, bytes] of VALID) {
  test(`utf8: valid ${name}, whole and split at every point`, () => {
    for (const ok of validateAllSplits(bytes)) assert.equal(ok, true);
    assert.equal(isValidUtf8(bytes), true);
  });
}

for (const [name, bytes] of INVALID) {
  test(`utf8: invalid ${name}, whole and split at every point`, () => {
    for (const ok of validateAllSplits(bytes)) assert.equal(ok, false);
    assert.equal(isValidUtf8(bytes), false);
  });
}

test('utf8: a truncated sequence passes write but fails end (RFC 6455 §8.1)', () => {
  const v = new Utf8Validator();
  assert.equal(v.write(hex('41 e2 82')), true);
  assert.equal(v.end(), false);
  // end() resets: the next message starts clean
  assert.equal(v.write(Buffer.from('ok')), true);
  assert.equal(v.end(), true);
});

test('utf8: an error is reported as soon as it is seen, and stays', () => {
  const v = new Utf8Validator();
  assert.equal(v.write(Buffer.from('fine')), true);
  assert.equal(v.write(hex('e0 80')), false);
  assert.equal(v.write(Buffer.from('more fine text')), false);
  assert.equal(v.end(), false);
  assert.equal(v.write(Buffer.from('next message')), true);
  assert.equal(v.end(), true);
});

test('utf8: reset forgets an unfinished character', () => {
  const v = new Utf8Validator();
  assert.equal(v.write(hex('f0 9f')), true);
  v.reset();
  assert.equal(v.write(Buffer.from('A')), true);
  assert.equal(v.end(), true);
});

test('utf8: start/end arguments restrict the range', () => {
  const v = new Utf8Validator();
  const bytes = Buffer.concat([hex('ff'), Buffer.from('€'), hex('ff')]);
  assert.equal(v.write(bytes, 1, 4), true);
  assert.equal(v.end(), true);
});

test('utf8: agrees with buffer.isUtf8 on random input fed in random pieces', () => {
  const rand = prng(0xc0ffee);
  // Bias towards bytes that form or almost form multi-byte sequences.
  const alphabet = [0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc2, 0xdf, 0xe0, 0xe1, 0xed, 0xef, 0xf0, 0xf1, 0xf4, 0xf5, 0xff];
  let valid = 0;
  for (let round = 0; round < 4000; round++) {
    const n = Math.floor(rand() * 12);
    const bytes = Buffer.alloc(n);
    for (let i = 0; i < n; i++) bytes[i] = alphabet[Math.floor(rand() * alphabet.length)]!;
    const expected = isUtf8(bytes);
    if (expected) valid++;
    const v = new Utf8Validator();
    let ok = true;
    let i = 0;
    while (i < n) {
      const k = 1 + Math.floor(rand() * 4);
      ok = v.write(bytes, i, Math.min(n, i + k)) && ok;
      i += k;
    }
    assert.equal(ok && v.end(), expected, bytes.toString('hex'));
  }
  assert.ok(valid > 100, 'the corpus has valid samples too');
});

test('utf8: long valid text split in random pieces', () => {
  const rand = prng(7);
  const text = Buffer.from('Grüße, 世界! 🎉 '.repeat(2000));
  const v = new Utf8Validator();
  let i = 0;
  while (i < text.length) {
    const k = 1 + Math.floor(rand() * 700);
    assert.equal(v.write(text, i, Math.min(text.length, i + k)), true);
    i += k;
  }
  assert.equal(v.end(), true);
  assert.equal(isValidUtf8(randomBytes(0, rand)), true);
});
