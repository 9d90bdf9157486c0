import test from 'node:test';
import assert from 'node:assert/strict';
import { CloseCode, isValidWireCloseCode } from '../../../src/ws/close-code.js';

test('close-code: the codes this library uses', () => {
  assert.deepEqual(CloseCode, { Normal: 1000, ProtocolError: 1002, InvalidPayload: 1007, MessageTooBig: 1009 });
});

test('close-code: codes allowed on the wire (RFC 6455 §7.4, docs/compat.md)', () => {
  for (const code of [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999]) {
    assert.equal(isValidWireCloseCode(code), true, String(code));
  }
});

test('close-code: codes never allowed on the wire', () => {
  for (const code of [0, 1, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535, 1000.5, -1000]) {
    assert.equal(isValidWireCloseCode(code), false, String(code));
  }
});
