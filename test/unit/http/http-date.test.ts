import test from 'node:test';
import assert from 'node:assert/strict';
import { httpDate, parseHttpDate } from '../../../src/http/http-date.js';

const T = Date.UTC(1994, 10, 6, 8, 49, 37);

test('formats IMF-fixdate', () => {
  assert.equal(httpDate(new Date(T)), 'Sun, 06 Nov 1994 08:49:37 GMT');
  assert.equal(httpDate(new Date(T + 999)), 'Sun, 06 Nov 1994 08:49:37 GMT');
  assert.equal(httpDate(new Date(T + 1000)), 'Sun, 06 Nov 1994 08:49:38 GMT');
});

test('parses the three formats of RFC 9110 §5.6.7', () => {
  assert.equal(parseHttpDate('Sun, 06 Nov 1994 08:49:37 GMT'), T);
  assert.equal(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT'), T);
  assert.equal(parseHttpDate('Sun Nov  6 08:49:37 1994'), T);
  assert.equal(parseHttpDate(' Sun, 06 Nov 1994 08:49:37 GMT '), T);
});

test('rejects anything else', () => {
  for (const s of ['', 'yesterday', 'Sun, 06 Nov 1994 08:49:37', 'Sun, 06 Foo 1994 08:49:37 GMT', 'Sun, 32 Nov 1994 08:49:37 GMT', 'Sun, 06 Nov 1994 25:49:37 GMT', '1994-11-06T08:49:37Z']) {
    assert.equal(parseHttpDate(s), null, s);
  }
});
