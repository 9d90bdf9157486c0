import test from 'node:test';
import assert from 'node:assert/strict';
import { MAX_CONTROL_PAYLOAD, Opcode, isControlOpcode, isKnownOpcode } from '../../../src/ws/opcode.js';

test('opcode: values of RFC 6455 §5.2', () => {
  assert.deepEqual(Opcode, { Continuation: 0, Text: 1, Binary: 2, Close: 8, Ping: 9, Pong: 10 });
  assert.equal(MAX_CONTROL_PAYLOAD, 125);
});

test('opcode: known, reserved and control opcodes', () => {
  const known = [0, 1, 2, 8, 9, 10];
  for (let op = 0; op < 16; op++) {
    assert.equal(isKnownOpcode(op), known.includes(op), `known ${op}`);
    assert.equal(isControlOpcode(op), op >= 8, `control ${op}`);
  }
});
