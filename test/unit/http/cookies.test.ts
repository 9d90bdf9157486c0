// The response's cookie list and BAS's cookie encoding (src/http/cookies.ts).
import test from 'node:test';
import assert from 'node:assert/strict';
import { CookieJar, escapeCookie, receivedCookie, unescapeCookie } from '../../../src/http/cookies.js';

test('escapeCookie encodes what BAS encodes (lower-case hex) and every control character', () => {
  assert.equal(escapeCookie('a b;c,d=e"f/g:h'), 'a%20b%3bc%2cd%3de"f/g:h');
  assert.equal(escapeCookie('\x00\x01\t\r\n\x7f\xe9'), '%00%01%09%0d%0a%7f\xe9');
  assert.equal(escapeCookie('plain'), 'plain');
});

test('unescapeCookie: %XX, %uXXXX as UTF-8, + as a space, broken escapes kept', () => {
  assert.equal(unescapeCookie('1+2%41%u00e9%u20ac%2%zz%'), '1 2A\xc3\xa9\xe2\x82\xac%2%zz%');
});

test('receivedCookie: exact names, quotes kept, parts without = skipped', () => {
  const h = 'xy=0; u; x="a%20b"; e=; x=2';
  assert.equal(receivedCookie(h, 'x'), '"a b"');
  assert.equal(receivedCookie(h, 'e'), '');
  assert.equal(receivedCookie(h, 'u'), undefined);
  assert.equal(receivedCookie(undefined, 'x'), undefined);
});

test('CookieJar: one cookie per name, fields of the activated ones in order with "; " after all but the last', () => {
  const jar = new CookieJar();
  const a = jar.list[jar.create('a')]!;
  assert.equal(jar.create('a'), 0);
  a.value = 'a b';
  a.active = true;
  const r = jar.received('s=1', 's');
  assert.equal(r, 1);
  assert.equal(jar.list[r]!.value, '1');
  assert.equal(jar.received('s=1', 'nope'), -1);
  const d = jar.list[jar.create('d')]!;
  d.path = '/';
  d.setMaxAge(0);
  d.active = true;
  assert.deepEqual(jar.fields(0), ['a=a%20b; ', 'd=; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT']);
  d.setMaxAge(60);
  d.secure = true;
  d.httpOnly = true;
  d.domain = 'x.com';
  d.comment = 'c';
  assert.equal(jar.fields(1_000)[1], 'd=; domain=x.com; path=/; expires=Thu, 01 Jan 1970 00:01:01 GMT; secure; HttpOnly; comment=c');
});
