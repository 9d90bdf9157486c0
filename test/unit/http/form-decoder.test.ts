import test from 'node:test';
import assert from 'node:assert/strict';
import { decodeForm, decodeRequestParams, FormParams } from '../../../src/http/form-decoder.js';

test('decodes pairs in order with + and %XX', () => {
  const f = decodeForm('q=hello+world&x=%41%62&empty=&flag&a%20b=c%2Bd');
  assert.deepEqual(f.pairs, [
    ['q', 'hello world'],
    ['x', 'Ab'],
    ['empty', ''],
    ['flag', ''],
    ['a b', 'c+d'],
  ]);
  assert.equal(f.get('q'), 'hello world');
  assert.equal(f.get('missing'), undefined);
  assert.equal(f.has('flag'), true);
});

test('repeated keys keep every value', () => {
  const f = decodeForm('k=1&k=2&j=0&k=3');
  assert.equal(f.get('k'), '1');
  assert.deepEqual(f.getAll('k'), ['1', '2', '3']);
  assert.equal(f.size, 4);
});

test('empty pieces are skipped; "=" inside a value is kept', () => {
  assert.deepEqual(decodeForm('&&a=b=c&&').pairs, [['a', 'b=c']]);
  assert.equal(decodeForm('').size, 0);
});

test('invalid escapes are kept literally', () => {
  assert.deepEqual(decodeForm('a=%&b=%4&c=%zz&d=100%').pairs, [
    ['a', '%'],
    ['b', '%4'],
    ['c', '%zz'],
    ['d', '100%'],
  ]);
});

test('values are byte strings: UTF-8 and NUL survive', () => {
  const f = decodeForm('n=caf%C3%A9&z=a%00b&raw=%FF');
  assert.deepEqual(Buffer.from(f.get('n') as string, 'latin1'), Buffer.from('café', 'utf8'));
  assert.deepEqual(Buffer.from(f.get('z') as string, 'latin1'), Buffer.from([0x61, 0, 0x62]));
  assert.deepEqual(Buffer.from(f.get('raw') as string, 'latin1'), Buffer.from([0xff]));
});

test('accepts a body as bytes and concatenates query and body', () => {
  const body = decodeForm(Buffer.from('b=2&a=3'));
  const all = decodeForm('a=1').concat(body);
  assert.ok(all instanceof FormParams);
  assert.deepEqual(all.getAll('a'), ['1', '3']);
  assert.deepEqual([...all], [
    ['a', '1'],
    ['b', '2'],
    ['a', '3'],
  ]);
});

test('request parameters: query first, then a urlencoded body', () => {
  const body = Buffer.from('b=2&a=3');
  assert.deepEqual(decodeRequestParams('a=1', 'application/x-www-form-urlencoded; charset=UTF-8', body).pairs, [
    ['a', '1'],
    ['b', '2'],
    ['a', '3'],
  ]);
  assert.deepEqual(decodeRequestParams('a=1', 'application/json', body).pairs, [['a', '1']]);
  assert.deepEqual(decodeRequestParams(null, 'Application/X-WWW-Form-Urlencoded', body).pairs, [
    ['b', '2'],
    ['a', '3'],
  ]);
  assert.equal(decodeRequestParams(null, undefined, Buffer.alloc(0)).size, 0);
});
