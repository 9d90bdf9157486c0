import test from 'node:test';
import assert from 'node:assert/strict';
import { BA_ERRORS, isBaError } from '../../../src/ba/errors.js';

test('errors: the set of nil,err strings has no duplicates and answers membership', () => {
  assert.equal(new Set(BA_ERRORS).size, BA_ERRORS.length);
  assert.equal(isBaError('socketclosed'), true);
  assert.equal(isBaError('sysshutdown'), true);
  assert.equal(isBaError('socketclose'), false);
});
