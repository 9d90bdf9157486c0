import test from 'node:test';
import assert from 'node:assert/strict';
import { ByteWriter, StreamSplitter, formatFloat, writeJsonString } from '../../../src/ba/json.js';

test('formatFloat: shortest round-trip text, integral floats keep ".0"', () => {
  for (const [n, s] of [
    [1, '1.0'],
    [-0, '-0.0'],
    [0.1, '0.1'],
    [1e21, '1e+21'],
    [2 ** 63, '9223372036854776000.0'],
    [5e-324, '5e-324'],
    [-2.5, '-2.5'],
  ] as const) {
    assert.equal(formatFloat(n), s);
    assert.equal(Number(s), n);
  }
});

test('writeJsonString escapes as BAS: quotes, backslashes, controls, slash, DEL and UTF-8; other bytes kept', () => {
  const w = new ByteWriter();
  writeJsonString(w, Buffer.from([0x61, 0x22, 0x5c, 0x0a, 0x01, 0x2f, 0x7f, 0xff, 0xc3, 0xa9, 0xf0, 0x9f, 0x98, 0x80]));
  assert.deepEqual(w.result(), Buffer.concat([Buffer.from('"a\\"\\\\\\n\\u0001\\/\\u007f', 'latin1'), Buffer.from([0xff]), Buffer.from('\\u00e9\\ud83d\\ude00"')]));
  const big = new ByteWriter();
  writeJsonString(big, Buffer.alloc(10_000, 0x41));
  assert.equal(big.result().length, 10_002);
});

test('StreamSplitter finds complete top-level values across chunk boundaries, byte by byte', () => {
  const text = ' {"a":"}{[\\"","b":[1,{"c":2}]}\n[3,"]"]{}';
  const want = ['{"a":"}{[\\"","b":[1,{"c":2}]}', '[3,"]"]', '{}'];
  const whole = new StreamSplitter();
  assert.equal(whole.push(Buffer.from(text)), null);
  assert.deepEqual(whole.ready.map((b) => b.toString()), want);
  const dribble = new StreamSplitter();
  for (const c of Buffer.from(text)) assert.equal(dribble.push(Buffer.from([c])), null);
  assert.deepEqual(dribble.ready.map((b) => b.toString()), want);
});

test('StreamSplitter rejects scalars at the top level once they are complete', () => {
  const sp = new StreamSplitter();
  assert.equal(sp.push(Buffer.from('  7')), null); // the number may go on
  assert.equal(sp.push(Buffer.from(' ')), 'parse');
  sp.reset();
  assert.equal(sp.push(Buffer.from('[1]')), null);
  assert.equal(sp.ready.length, 1);
});

test('StreamSplitter fails on the chunk that brings the bad byte or token, as BAS', () => {
  const cases: [string, string | null][] = [
    ['{bad', 'parse'], // a byte no token starts with
    ['{"a":tru', null],
    ['{"a":trux', 'parse'],
    ['{"a" 1', null], // the number is not complete yet
    ['{"a" 1 ', 'parse'],
    ['[1 2', null],
    ['[1 2,', 'parse'],
    ['{1', 'mem'], // a number where a key belongs
    ['{"a":1,}', null], // BAS closes an object after a comma
    ['[1,]', 'parse'],
    ['["\\x', 'parse'],
    ['["\\u12g', 'parse'],
    ['[1 /* c */ , // d\n 2', null],
    ['[1 /x', 'parse'],
    ['[1}', 'parse'],
    [`{"${'k'.repeat(254)}":1}`, null],
    [`{"${'k'.repeat(255)}`, 'mem'], // BAS's key buffer
  ];
  for (const [text, want] of cases) {
    const whole = new StreamSplitter();
    assert.equal(whole.push(Buffer.from(text)), want, text);
    if (text.length > 200) continue; // BAS checks the key buffer again at each chunk
    const dribble = new StreamSplitter();
    let got: string | null = null;
    for (const c of Buffer.from(text)) if ((got = dribble.push(Buffer.from([c])))) break;
    assert.equal(got, want, `${text} byte by byte`);
  }
  const sp = new StreamSplitter();
  assert.equal(sp.push(Buffer.from('{"a":1,}[2]')), null);
  assert.deepEqual(sp.ready.map((b) => b.toString()), ['{"a":1,}', '[2]']);
});
