import test from 'node:test';
import assert from 'node:assert/strict';
import { b64decode, urldecode, urlencode } from '../../../src/ba/crypto.js';

test('b64decode accepts valid base64 only', () => {
  assert.equal(b64decode('aGk=', false)?.toString(), 'hi');
  assert.equal(b64decode('aGk=\r\n', false)?.toString(), 'hi');
  assert.equal(b64decode('', false)?.length, 0);
  for (const bad of ['a', 'aGk==', 'a=b=', 'a*bc', '-_-_', '=aGk']) assert.equal(b64decode(bad, false), null, bad);
  assert.equal(b64decode('aGk', false)?.toString(), 'hi');
  assert.equal(b64decode('aGk', true)?.toString(), 'hi');
  assert.equal(b64decode('aGk=', true)?.toString(), 'hi');
  assert.deepEqual(b64decode('-__-', true), Buffer.from([0xfb, 0xff, 0xfe]));
  assert.equal(b64decode('+//+', true), null);
  for (let n = 0; n < 40; n++) {
    const b = Buffer.from(Array.from({ length: n }, (_, i) => (i * 37 + n) & 255));
    assert.deepEqual(b64decode(b.toString('base64'), false), b);
    assert.deepEqual(b64decode(b.toString('base64url'), true), b);
  }
});

test('urlencode keeps unreserved characters; urldecode reverses it and handles +', () => {
  assert.equal(urlencode(Buffer.from('aZ09-_.~ /?&=%\u00e9')), 'aZ09-_.~%20%2F%3F%26%3D%25%C3%A9');
  const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  assert.deepEqual(urldecode(Buffer.from(urlencode(all))), all);
  assert.equal(urldecode(Buffer.from('a+b%2x%41%')).toString(), 'a b%2xA%');
});
