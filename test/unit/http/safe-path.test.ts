/** Safe URL-to-file mapping: traversal, encodings, hidden names and symlinks. */
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, symlinkSync, rmSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseUrlPath, resolveSafePath } from '../../../src/http/safe-path.js';

test('plain paths split into decoded segments', () => {
  assert.deepEqual(parseUrlPath('/'), { ok: true, segments: [], trailingSlash: false });
  assert.deepEqual(parseUrlPath('/a/b.html'), { ok: true, segments: ['a', 'b.html'], trailingSlash: false });
  assert.deepEqual(parseUrlPath('//a//b/'), { ok: true, segments: ['a', 'b'], trailingSlash: true });
  assert.deepEqual(parseUrlPath('/sp%20ace/%C3%A9.txt'), { ok: true, segments: ['sp ace', 'é.txt'], trailingSlash: false });
  assert.deepEqual(parseUrlPath('/a+b'), { ok: true, segments: ['a+b'], trailingSlash: false }, '+ is not a space in paths');
  assert.deepEqual(parseUrlPath('/file.name.txt'), { ok: true, segments: ['file.name.txt'], trailingSlash: false });
});

test('traversal and hidden names are refused', () => {
  const cases: Array<[string, number]> = [
    ['/../etc/passwd', 404],
    ['/a/../../etc/passwd', 404],
    ['/%2e%2e/etc/passwd', 404],
    ['/%2E%2E/etc/passwd', 404],
    ['/.%2e/x', 404],
    ['/a/./b', 404],
    ['/.', 404],
    ['/..', 404],
    ['/.preload', 404],
    ['/%2epreload', 404],
    ['/.lua/x.lua', 404],
    ['/sub/.hidden/x', 404],
    ['/.git/config', 404],
    ['/..%2fetc%2fpasswd', 400],
    ['/a%2fb', 400],
    ['/a%2Fb', 400],
    ['/..\\etc', 400],
    ['/a\\b', 400],
    ['/a%5cb', 400],
    ['/a%5C..%5Cb', 400],
    ['/a%00b', 400],
    ['/a%00', 400],
    ['/a%0ab', 400],
    ['/a%zz', 400],
    ['/a%4', 400],
    ['/a%', 400],
    ['/%FF', 400],
    ['/%C0%AE%C0%AE/x', 400], // overlong "..": not UTF-8
    ['relative/path', 400],
    ['', 400],
  ];
  for (const [path, status] of cases) {
    const r = parseUrlPath(path);
    assert.equal(r.ok, false, path);
    if (!r.ok) assert.equal(r.status, status, path);
  }
});

test('resolution on disk stays inside the root', async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'remora-safe-path-'));
  t.after(() => rmSync(base, { recursive: true, force: true }));
  const root = join(base, 'www');
  const outside = join(base, 'outside');
  mkdirSync(join(root, 'sub'), { recursive: true });
  mkdirSync(join(root, '.lua'));
  mkdirSync(outside);
  writeFileSync(join(root, 'a.txt'), 'a');
  writeFileSync(join(root, 'sub', 'b.txt'), 'b');
  writeFileSync(join(root, '.lua', 'x.lua'), 'secret');
  writeFileSync(join(outside, 'secret.txt'), 'secret');
  writeFileSync(join(base, 'www-sibling.txt'), 'secret');
  symlinkSync(join(root, 'sub', 'b.txt'), join(root, 'link-in.txt'));
  symlinkSync(join(outside, 'secret.txt'), join(root, 'link-out.txt'));
  symlinkSync(outside, join(root, 'dir-out'));
  symlinkSync('../outside/secret.txt', join(root, 'sub', 'rel-out.txt'));
  symlinkSync(join(root, '.lua'), join(root, 'lua-alias'));
  symlinkSync(join(root, 'missing'), join(root, 'dangling'));

  const ok = async (p: string, expected: string): Promise<void> => {
    const r = await resolveSafePath(root, p);
    assert.ok(r.ok, `${p}: ${r.ok ? '' : r.reason}`);
    if (r.ok) assert.equal(r.realPath, realpathSync(join(root, expected)), p);
  };
  const refused = async (p: string): Promise<void> => {
    const r = await resolveSafePath(root, p);
    assert.equal(r.ok, false, p);
    if (!r.ok) assert.equal(r.status, 404, p);
  };
  await ok('/a.txt', 'a.txt');
  await ok('/sub/b.txt', 'sub/b.txt');
  await ok('/link-in.txt', 'sub/b.txt');
  await ok('/', '.');
  await ok('/sub/', 'sub');
  await refused('/link-out.txt');
  await refused('/dir-out/secret.txt');
  await refused('/sub/rel-out.txt');
  await refused('/lua-alias/x.lua');
  await refused('/dangling');
  await refused('/missing.txt');
  await refused('/a.txt/x');
  await refused('/.lua/x.lua');
  const r = await resolveSafePath(root, '/%2e%2e/www-sibling.txt');
  assert.equal(r.ok, false);
  assert.equal((await resolveSafePath(join(base, 'nope'), '/')).ok, false);
});
