/**
 * The lookup cache: same answers as lookupStatic, and every change noticed — by a directory
 * watch (once the event loop has seen the change's event) or by an lstat on every use.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, symlinkSync, rmSync, renameSync, unlinkSync, utimesSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LookupCache } from '../../../src/http/lookup-cache.js';
import { lookupStatic, type StaticLookup } from '../../../src/http/static-files.js';

const base = mkdtempSync(join(tmpdir(), 'remora-lookup-cache-'));
const root = join(base, 'www');
const outside = join(base, 'outside');
mkdirSync(root);
mkdirSync(outside);
mkdirSync(join(root, 'dir'));
writeFileSync(join(root, 'page.lsp'), 'v1');
writeFileSync(join(root, 'dir', 'index.html'), 'html');
writeFileSync(join(outside, 'page.lsp'), 'secret');
test.after(() => rmSync(base, { recursive: true, force: true }));

async function look(c: LookupCache, appPath: string): Promise<StaticLookup> {
  return await c.lookup(root, appPath);
}

/**
 * After a change: with watches, lets the event loop deliver the directory's change events
 * (as it does before it reads a request sent after the change); without, nothing to wait for.
 */
async function settle(c: LookupCache): Promise<void> {
  if (c.watchedDirs === 0) return;
  const deadline = Date.now() + 2000;
  while (c.watchedDirs > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
}

function file(r: StaticLookup): Extract<StaticLookup, { kind: 'file' }> {
  assert.equal(r.kind, 'file');
  return r as Extract<StaticLookup, { kind: 'file' }>;
}

test('a remembered file is answered at once (no promise) with the same result as lookupStatic', async () => {
  const c = new LookupCache();
  const first = file(await look(c, '/page.lsp'));
  const direct = file(await lookupStatic(root, '/page.lsp'));
  assert.deepEqual({ ...first, stat: null }, { ...direct, stat: null });
  const again = c.lookup(root, '/page.lsp');
  assert.ok(!(again instanceof Promise));
  assert.deepEqual({ ...file(again), stat: null }, { ...direct, stat: null });
  assert.equal(c.size, 1);
  assert.equal(c.watchedDirs, 1);
  c.close();
});

for (const watch of [true, false]) {
  const mode = watch ? 'watch' : 'lstat';

  test(`${mode}: an in-place edit is seen on the next lookup (fresh mtime and size)`, async () => {
    const c = new LookupCache({ watch });
    const p = join(root, 'page.lsp');
    utimesSync(p, new Date(1_000_000), new Date(1_000_000));
    assert.equal(file(await look(c, '/page.lsp')).stat.mtimeMs, 1_000_000);
    writeFileSync(p, 'version two');
    utimesSync(p, new Date(2_000_000), new Date(2_000_000));
    await settle(c);
    const r = file(await look(c, '/page.lsp'));
    assert.equal(r.stat.mtimeMs, 2_000_000);
    assert.equal(r.stat.size, 'version two'.length);
  });

  test(`${mode}: replaced (rename), deleted, turned into a directory or a symlink out: looked up in full`, async () => {
    const c = new LookupCache({ watch });
    const p = join(root, 'page.lsp');
    const ino = file(await look(c, '/page.lsp')).stat.ino;
    // An editor's save: write a new file, rename it over the old one (new inode).
    writeFileSync(join(root, 'tmp'), 'renamed in');
    renameSync(join(root, 'tmp'), p);
    await settle(c);
    const r = file(await look(c, '/page.lsp'));
    assert.notEqual(r.stat.ino, ino);
    assert.equal(r.stat.size, 'renamed in'.length);

    unlinkSync(p);
    await settle(c);
    assert.deepEqual(await look(c, '/page.lsp'), await lookupStatic(root, '/page.lsp'));
    assert.equal((await look(c, '/page.lsp')).kind, 'error');

    // A symlink pointing out of the root where the file was: refused as without the cache.
    writeFileSync(p, 'back');
    file(await look(c, '/page.lsp'));
    unlinkSync(p);
    symlinkSync(join(outside, 'page.lsp'), p);
    await settle(c);
    assert.equal((await look(c, '/page.lsp')).kind, 'error');
    unlinkSync(p);

    writeFileSync(p, 'again');
    file(await look(c, '/page.lsp'));
    unlinkSync(p);
    mkdirSync(p);
    await settle(c);
    assert.equal((await look(c, '/page.lsp')).kind, 'redirect');
    rmSync(p, { recursive: true });
    writeFileSync(p, 'v1');
    c.close();
  });
}

test('lstat: a directory above the file swapped for a symlink out of the root: refused at once', async () => {
  const c = new LookupCache({ watch: false });
  mkdirSync(join(root, 'swap'));
  writeFileSync(join(root, 'swap', 'page.lsp'), 'inside');
  file(await look(c, '/swap/page.lsp'));
  renameSync(join(root, 'swap'), join(base, 'swap-old'));
  symlinkSync(outside, join(root, 'swap'));
  // Same path string, another file (inode) behind it: the full lookup refuses the link.
  assert.equal((await look(c, '/swap/page.lsp')).kind, 'error');
  unlinkSync(join(root, 'swap'));
  renameSync(join(base, 'swap-old'), join(root, 'swap'));
});

test('watch: a directory above the file swapped for a symlink out of the root: refused after ttlMs', async () => {
  let now = 0;
  const c = new LookupCache({ now: () => now });
  file(await look(c, '/swap/page.lsp'));
  assert.equal(c.watchedDirs, 1);
  renameSync(join(root, 'swap'), join(base, 'swap-old'));
  symlinkSync(outside, join(root, 'swap'));
  now = 1000;
  assert.equal((await look(c, '/swap/page.lsp')).kind, 'error');
  unlinkSync(join(root, 'swap'));
  c.close();
});

test('errors and redirects are not remembered: a file created at a 404 URL is served at once', async () => {
  const c = new LookupCache({ watch: false });
  assert.equal((await look(c, '/new.txt')).kind, 'error');
  writeFileSync(join(root, 'new.txt'), 'new');
  assert.equal(file(await look(c, '/new.txt')).path.endsWith('new.txt'), true);
  assert.equal((await look(c, '/dir')).kind, 'redirect');
  assert.equal(c.size, 1);
  assert.equal(c.watchedDirs, 0, 'watch: false');
});

test('lstat: a directory index is re-chosen after ttlMs (index.lsp appearing next to index.html)', async () => {
  let now = 0;
  const c = new LookupCache({ ttlMs: 1000, now: () => now, watch: false });
  assert.equal(file(await look(c, '/dir/')).pathname, '/dir/index.html');
  writeFileSync(join(root, 'dir', 'index.lsp'), 'lsp');
  now = 999;
  assert.equal(file(await look(c, '/dir/')).pathname, '/dir/index.html');
  now = 1000;
  assert.equal(file(await look(c, '/dir/')).pathname, '/dir/index.lsp');
  unlinkSync(join(root, 'dir', 'index.lsp'));
  // Deleting the chosen index is seen at once.
  assert.equal(file(await look(c, '/dir/')).pathname, '/dir/index.html');
});

test('bounded: the oldest entries are dropped beyond maxEntries; close() stops every watch', async () => {
  const c = new LookupCache({ maxEntries: 3 });
  for (let i = 0; i < 5; i++) writeFileSync(join(root, `f${i}.txt`), String(i));
  for (let i = 0; i < 5; i++) file(await look(c, `/f${i}.txt`));
  assert.equal(c.size, 3);
  assert.ok(statSync(join(root, 'f0.txt')).isFile());
  assert.equal(c.watchedDirs, 1);
  c.close();
  assert.equal(c.size, 0);
  assert.equal(c.watchedDirs, 0);
  assert.equal((await look(c, '/f0.txt')).kind, 'file');
  assert.equal(c.size, 0, 'a closed cache remembers nothing');
});

test('watch: a change to a neighbour forgets the directory; other directories stay', async () => {
  const c = new LookupCache();
  mkdirSync(join(root, 'other'));
  writeFileSync(join(root, 'other', 'o.txt'), 'o');
  file(await look(c, '/page.lsp'));
  file(await look(c, '/other/o.txt'));
  assert.equal(c.watchedDirs, 2);
  writeFileSync(join(root, 'neighbour.txt'), 'n');
  const deadline = Date.now() + 2000;
  while (c.size > 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  assert.equal(c.size, 1);
  assert.equal(c.watchedDirs, 1);
  c.close();
});
