/** URL parsing, query encoding and request heads of the HTTP client. */
import test from 'node:test';
import assert from 'node:assert/strict';
import { basicAuth, encodeQuery, parseClientUrl, percentEncode, requestHead, withQuery } from '../../../src/http/client-request.js';

test('http, https, ws, wss URLs with default and explicit ports', () => {
  assert.deepEqual(parseClientUrl('http://example.com'), {
    scheme: 'http',
    host: 'example.com',
    port: 80,
    path: '/',
    userinfo: null,
    secure: false,
    hostHeader: 'example.com',
  });
  const u = parseClientUrl('WSS://h.example:8443/chat/room?x=1#frag')!;
  assert.equal(u.scheme, 'wss');
  assert.equal(u.port, 8443);
  assert.equal(u.path, '/chat/room?x=1');
  assert.equal(u.secure, true);
  assert.equal(u.hostHeader, 'h.example:8443');
  assert.equal(parseClientUrl('https://h/')!.port, 443);
  assert.equal(parseClientUrl('ws://h')!.port, 80);
  assert.equal(parseClientUrl('http://h?q=1')!.path, '/?q=1');
});

test('IPv6 literals and user info', () => {
  const u = parseClientUrl('http://us%40er:p:w@[::1]:8080/x')!;
  assert.equal(u.host, '::1');
  assert.equal(u.port, 8080);
  assert.equal(u.userinfo, 'us@er:p:w');
  assert.equal(u.hostHeader, '[::1]:8080');
  assert.equal(parseClientUrl('http://[::1]')!.hostHeader, '[::1]');
});

test('URLs that are not http(s)/ws(s) or are malformed give null', () => {
  for (const bad of ['ftp://x/', 'example.com', 'http://', 'http://h:0/', 'http://h:70000/', 'http://h:x/', 'http://[::1/', 'http://[::1]x/']) {
    assert.equal(parseClientUrl(bad), null, bad);
  }
});

test('percent encoding keeps unreserved characters only; query pairs', () => {
  assert.equal(percentEncode('a-b_c.d~e f/\xff'), 'a-b_c.d~e%20f%2F%FF');
  assert.equal(encodeQuery([['a', '1'], ['b c', 'x&y=z']]), 'a=1&b%20c=x%26y%3Dz');
  assert.equal(withQuery('/p', 'a=1'), '/p?a=1');
  assert.equal(withQuery('/p?x=0', 'a=1'), '/p?x=0&a=1');
  assert.equal(withQuery('/p', ''), '/p');
});

test('request head; header injection is refused', () => {
  assert.equal(
    requestHead({ method: 'GET', target: '/x', fields: [['Host', 'h'], ['X-A', '1']] }),
    'GET /x HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n\r\n',
  );
  assert.throws(() => requestHead({ method: 'GET', target: '/x', fields: [['X-A', '1\r\nEvil: 1']] }), TypeError);
  assert.throws(() => requestHead({ method: 'GET', target: '/x', fields: [['X A', '1']] }), TypeError);
  assert.throws(() => requestHead({ method: 'G ET', target: '/x', fields: [] }), TypeError);
  assert.throws(() => requestHead({ method: 'GET', target: '/x y', fields: [] }), TypeError);
});

test('Basic authentication (RFC 7617 example)', () => {
  assert.equal(basicAuth('Aladdin', 'open sesame'), 'Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==');
});
