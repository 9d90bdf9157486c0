import test from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_LIMITS, holdsSlot, newVictim, overdue, slotVictim, type Phase, type PolicyConn } from '../../../src/http/connection-policy.js';

const c = (phase: Phase, phaseSince: number, bodyReceived = 0): PolicyConn => ({ phase, phaseSince, bodyReceived });
const L = { ...DEFAULT_LIMITS, headTimeout: 1000, bodyTimeout: 1000, bodyMinRate: 100, idleTimeout: 2000 };

test('overdue: each phase has its own deadline; busy and closing have none', () => {
  assert.equal(overdue(c('new', 0), 1000, L), false);
  assert.equal(overdue(c('new', 0), 1001, L), true);
  assert.equal(overdue(c('head', 0), 1001, L), true);
  assert.equal(overdue(c('idle', 0), 1500, L), false);
  assert.equal(overdue(c('idle', 0), 2001, L), true);
  assert.equal(overdue(c('busy', 0), 1e9, L), false);
  assert.equal(overdue(c('closing', 0), 1e9, L), false);
});

test('overdue: a body must average bodyMinRate after bodyTimeout (trickled bytes do not restart it)', () => {
  // 1 byte every 5 s: 4 bytes after 20 s, allowed 1 s + 40 ms.
  assert.equal(overdue(c('body', 0, 4), 20_000, L), true);
  // 100 bytes/s sustained: 2,000 bytes after 20 s, allowed 1 s + 20 s.
  assert.equal(overdue(c('body', 0, 2000), 20_000, L), false);
  assert.equal(overdue(c('body', 0, 0), 999, L), false);
});

test('slotVictim: idle first (longest idle), then the slowest head/body; never busy or new', () => {
  const busy = c('busy', 0);
  const head = c('head', 10);
  const body = c('body', 5);
  const idle1 = c('idle', 50);
  const idle2 = c('idle', 40);
  const fresh = c('new', 0);
  assert.equal(slotVictim([busy, head, body, idle1, idle2, fresh]), idle2);
  assert.equal(slotVictim([busy, head, body, fresh]), body);
  assert.equal(slotVictim([busy, body, fresh], body), null);
  assert.equal(slotVictim([busy, fresh]), null);
  assert.equal(newVictim([busy, c('new', 7), c('new', 3), head])!.phaseSince, 3);
  assert.deepEqual([fresh, c('queued', 0), head, busy, idle1, c('closing', 0)].map(holdsSlot), [false, false, true, true, true, false]);
});
