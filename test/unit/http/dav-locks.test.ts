// The WebDAV lock table on a real lock directory, with a clock the test moves: owner files
// "L<n>" written and removed, expiry (timeout plus one minute, from the lock or its refresh),
// the limit, and a new table over the same directory starting empty (as BAS after a restart).
import test from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DavLocks, type DavLock } from '../../../src/http/dav-locks.js';

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'remora-davlocks-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('each lock has an owner file L<n> (hex) until it is unlocked', () => {
  withDir((dir) => {
    const locks = new DavLocks(dir, 20);
    const owners: DavLock[] = [];
    for (let i = 0; i < 11; i++) {
      const l = locks.lock(`f${i}.txt`, i === 3 ? '' : `<o>${i}</o>\n`, 600);
      assert.ok(typeof l === 'object');
      owners.push(l);
    }
    assert.deepEqual(readdirSync(dir).sort(), ['L0', 'L1', 'L2', 'L4', 'L5', 'L6', 'L7', 'L8', 'L9', 'LA'], 'no file for a lock without owner');
    assert.equal(readFileSync(join(dir, 'LA'), 'utf8'), '<o>10</o>\n');
    assert.equal(locks.owner(owners[10]!), '<o>10</o>\n');
    assert.equal(locks.owner(owners[3]!), '');
    assert.match(owners[0]!.token, /^opaquelocktoken:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-a765-00a0c91e6bf9$/);
    assert.equal(locks.lock('f0.txt', '', 600), -2);
    assert.equal(locks.isLocked('f0.txt/'), true, 'a trailing slash does not count');
    assert.equal(locks.isLocked('/f0.txt'), false, 'names are compared as given');
    assert.equal(locks.unlock('f0.txt'), 0);
    assert.ok(!existsSync(join(dir, 'L0')));
    assert.equal(locks.unlock('f0.txt'), -3);
  });
});

test('a lock lasts its timeout plus a minute, from the lock or its refresh; then its file goes', () => {
  withDir((dir) => {
    let now = 1_000_000_000;
    const locks = new DavLocks(dir, 2, () => now);
    const l = locks.lock('a.txt', '<o/>', 300) as DavLock;
    assert.equal(l.expires, now + 360_000);
    now += 359_999;
    assert.ok(locks.isLocked('a.txt'));
    locks.refresh(l);
    now += 359_999;
    assert.ok(locks.isLocked('a.txt'), 'the refresh counted from then');
    now += 1;
    assert.ok(!locks.isLocked('a.txt'));
    assert.ok(!existsSync(join(dir, 'L0')), 'an expired lock loses its owner file');
    assert.equal(locks.unlock('a.txt'), -3);
  });
});

test('the limit counts live locks only; without a directory there is no locking', () => {
  withDir((dir) => {
    let now = 5_000_000;
    const locks = new DavLocks(dir, 2, () => now);
    assert.ok(typeof locks.lock('a', '', 300) === 'object');
    assert.ok(typeof locks.lock('b', '', 600) === 'object');
    assert.equal(locks.lock('c', '', 300), -4);
    now += 361_000; // "a" has expired
    assert.ok(typeof locks.lock('c', '', 300) === 'object');
    const none = new DavLocks(null, 20);
    assert.equal(none.enabled, false);
    assert.equal(none.lock('a', '', 300), -1);
    assert.equal(none.unlock('a'), -1);
    assert.equal(none.isLocked('a'), false);
  });
});

test('a new table over the same directory starts with no locks and reuses the file names', () => {
  withDir((dir) => {
    writeFileSync(join(dir, 'L0'), 'stale');
    writeFileSync(join(dir, 'L1'), 'stale');
    const locks = new DavLocks(dir, 20);
    assert.equal(locks.isLocked('a.txt'), false);
    assert.ok(typeof locks.lock('a.txt', '', 600) === 'object');
    assert.ok(!existsSync(join(dir, 'L0')), 'the stale file of the number is removed');
    assert.equal(readFileSync(join(dir, 'L1'), 'utf8'), 'stale');
  });
});
