import test from 'node:test';
import assert from 'node:assert/strict';
import { Mounts } from '../../../src/server/mounts.js';
import { App } from '../../../src/app/app-loader.js';

test('Mounts: named apps before root apps, higher prio first, then load order', () => {
  const m = new Mounts();
  const root0 = new App('', 0, '/r0');
  const root5 = new App('', 5, '/r5');
  const x0 = new App('x', 0, '/x0');
  const x1 = new App('x', 1, '/x1');
  for (const a of [root0, x0, root5, x1]) m.add(a);
  assert.deepEqual(m.candidates('/x/page.lsp').map((c) => [c.app.path, c.appPath]), [
    ['/x1', '/page.lsp'],
    ['/x0', '/page.lsp'],
    ['/r5', '/x/page.lsp'],
    ['/r0', '/x/page.lsp'],
  ]);
  assert.deepEqual(m.candidates('/x').map((c) => c.appPath), ['', '', '/x', '/x']);
  assert.deepEqual(m.candidates('/').map((c) => c.app.path), ['/r5', '/r0']);
  assert.equal(m.remove(x1), true);
  assert.equal(m.find('x'), x0);
});
