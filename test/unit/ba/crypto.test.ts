import test from 'node:test';
import assert from 'node:assert/strict';
import { b64decode, urldecode, urlencode } from '../../../src/ba/crypto.js';

test('b64decode decodes as BAS: both alphabets, other bytes skipped, NUL ends, leftover bits', () => {
  const d = (s: string | Buffer): string => b64decode(Buffer.from(s as string, 'latin1')).toString('hex');
  const hello = Buffer.from('hello').toString('hex');
  for (const s of ['aGVsbG8=', 'aGVsbG8', 'aGVsbG8=!!', 'aGVsbG8==', 'aGVs\nbG8=', ' aGVs bG8 ', 'aGVs\x80\xffbG8=']) assert.equal(d(s), hello, s);
  for (const s of ['@@@', '', 'a', 'a===', '\0aGVs']) assert.equal(d(s), '', s);
  assert.equal(d('aG'), '68');
  assert.equal(d('aGV'), '6865');
  assert.equal(d('aG=Vs'), '68656c');
  assert.equal(d('=aGVs'), '68656c');
  assert.equal(d('aGVs\0bG8='), '68656c');
  assert.equal(d('aGVsbG8=aGVsbG8='), '68656c6c6f1a195b1b1b');
  assert.equal(d('-_-_'), 'fbffbf');
  assert.equal(d('+/+/'), 'fbffbf');
  assert.equal(d('ab==cd'), '69b71d');
  for (let n = 0; n < 40; n++) {
    const b = Buffer.from(Array.from({ length: n }, (_, i) => (i * 37 + n) & 255));
    assert.deepEqual(b64decode(Buffer.from(b.toString('base64'))), b);
    assert.deepEqual(b64decode(Buffer.from(b.toString('base64url'))), b);
  }
});

test('urlencode keeps unreserved characters; urldecode reverses it and handles +', () => {
  assert.equal(urlencode(Buffer.from('aZ09-_.~ /?&=%\u00e9')), 'aZ09-_.~%20%2F%3F%26%3D%25%C3%A9');
  const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  assert.deepEqual(urldecode(Buffer.from(urlencode(all))), all);
  assert.equal(urldecode(Buffer.from('a+b%2x%41%')).toString(), 'a b%2xA%');
});
