import test from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_SERVER_HEADER,
  WEBSOCKET_GUID,
  acceptKey,
  clientUpgradeHeaders,
  clientUpgradeRequest,
  newClientKey,
  serverHandshakeResponse,
  verifyServerAccept,
} from '../../../src/ws/handshake.js';

test('handshake: accept value of the RFC 6455 §1.3 example key', () => {
  // The value printed in RFC 6455 §1.3 (and what SHA-1 gives); "s3pPLMBiTxaQ9kYGzrhZxOo+xOo="
  // is a corrupted copy of it that circulates and is not a valid answer.
  assert.equal(acceptKey('dGhlIHNhbXBsZSBub25jZQ=='), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  assert.notEqual(acceptKey('dGhlIHNhbXBsZSBub25jZQ=='), 's3pPLMBiTxaQ9kYGzrhZxOo+xOo=');
  assert.equal(WEBSOCKET_GUID, '258EAFA5-E914-47DA-95CA-C5AB0DC85B11');
});

test("handshake: accept value of BAS's constant client key (docs/compat.md)", () => {
  assert.equal(acceptKey('QmFycmFjdWRhLVNlcnZlcg=='), 'F32op7sH5jhB34YlRuxrxXRPS+s=');
});

test('handshake: client keys are 16 random bytes in base64, different per connection (D1)', () => {
  const keys = new Set<string>();
  for (let i = 0; i < 100; i++) {
    const key = newClientKey();
    assert.equal(key.length, 24);
    assert.match(key, /^[A-Za-z0-9+/]{22}==$/);
    assert.equal(Buffer.from(key, 'base64').length, 16);
    keys.add(key);
  }
  assert.equal(keys.size, 100);
});

test('handshake: server 101 response, exactly as BAS sends it', () => {
  const date = new Date(Date.UTC(2024, 0, 2, 3, 4, 5));
  assert.equal(
    serverHandshakeResponse({ key: 'dGhlIHNhbXBsZSBub25jZQ==', date }),
    'HTTP/1.1 101 Switching Protocols\r\n' +
      'Date: Tue, 02 Jan 2024 03:04:05 GMT\r\n' +
      'Server: BarracudaServer.com (Posix)\r\n' +
      'Upgrade: websocket\r\n' +
      'Connection: Upgrade\r\n' +
      'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n' +
      'Keep-Alive: Keep-Alive\r\n' +
      '\r\n',
  );
  assert.equal(DEFAULT_SERVER_HEADER, 'BarracudaServer.com (Posix)');
});

test('handshake: server response with another Server name and the current date; no subprotocol', () => {
  const before = Date.now();
  const head = serverHandshakeResponse({ key: 'abc', server: 'remora' });
  const lines = head.split('\r\n');
  assert.equal(lines[0], 'HTTP/1.1 101 Switching Protocols');
  assert.equal(lines[2], 'Server: remora');
  const date = Date.parse(lines[1]!.slice('Date: '.length));
  assert.ok(date >= Math.floor(before / 1000) * 1000 && date <= Date.now());
  assert.ok(!/Sec-WebSocket-Protocol|Sec-WebSocket-Extensions/i.test(head));
  assert.ok(head.endsWith('\r\n\r\n'));
  assert.equal(head.indexOf('\r\n\r\n'), head.length - 4, 'one empty line, at the end');
});

test('handshake: client upgrade headers, no Origin', () => {
  assert.deepEqual(clientUpgradeHeaders('k'), {
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Version': '13',
    'Sec-WebSocket-Key': 'k',
  });
});

test('handshake: client upgrade request', () => {
  assert.equal(
    clientUpgradeRequest({ path: '/chat?x=1', host: 'example.com:8080', key: 'dGhlIHNhbXBsZSBub25jZQ==' }),
    'GET /chat?x=1 HTTP/1.1\r\n' +
      'Host: example.com:8080\r\n' +
      'Upgrade: websocket\r\n' +
      'Connection: Upgrade\r\n' +
      'Sec-WebSocket-Version: 13\r\n' +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n' +
      '\r\n',
  );
});

test('handshake: client request with extra headers; protocol headers cannot be overridden', () => {
  const head = clientUpgradeRequest({
    path: '',
    host: 'h',
    key: 'K',
    headers: { 'X-Token': 'abc', connection: 'close', HOST: 'other', 'sec-websocket-key': 'evil' },
  });
  assert.equal(
    head,
    'GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n' +
      'Sec-WebSocket-Key: K\r\nX-Token: abc\r\n\r\n',
  );
  assert.ok(!/origin/i.test(head));
});

test('handshake: the client accepts only the full, correct Sec-WebSocket-Accept (D1)', () => {
  const key = 'dGhlIHNhbXBsZSBub25jZQ==';
  assert.equal(verifyServerAccept(key, 's3pPLMBiTxaQ9kYGzzhZRbK+xOo='), true);
  assert.equal(verifyServerAccept(key, ' s3pPLMBiTxaQ9kYGzzhZRbK+xOo= '), true, 'optional whitespace');
  assert.equal(verifyServerAccept(key, ['s3pPLMBiTxaQ9kYGzzhZRbK+xOo=']), true);
  assert.equal(verifyServerAccept(key, 's3pP'), false, 'a prefix is not enough');
  assert.equal(verifyServerAccept(key, 'F32op7sH5jhB34YlRuxrxXRPS+s='), false, "BAS's constant answer");
  assert.equal(verifyServerAccept(key, 'S3PPLMBITXAQ9KYGZZHZRBK+XOO='), false, 'base64 is case-sensitive');
  assert.equal(verifyServerAccept(key, 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=x'), false);
  assert.equal(verifyServerAccept(key, ''), false);
  assert.equal(verifyServerAccept(key, undefined), false);
  assert.equal(verifyServerAccept(key, null), false);
  assert.equal(verifyServerAccept(key, ['s3pPLMBiTxaQ9kYGzzhZRbK+xOo=', 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=']), false, 'repeated header');
  assert.equal(verifyServerAccept(key, []), false);
});

test('handshake: a fresh key round-trips through the server answer', () => {
  const key = newClientKey();
  const head = serverHandshakeResponse({ key });
  const accept = /Sec-WebSocket-Accept: (.*)\r\n/.exec(head)![1];
  assert.equal(verifyServerAccept(key, accept), true);
  assert.equal(verifyServerAccept(newClientKey(), accept), false);
});
