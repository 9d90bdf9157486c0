import test from 'node:test';
import assert from 'node:assert/strict';
import { Mounts, splitPath } from '../../../src/server/mounts.js';
import { App } from '../../../src/app/app-loader.js';
import { Dir } from '../../../src/ba/dir.js';

test('Mounts: apps are directories of the root; higher prio first, then load order', () => {
  const m = new Mounts();
  const root0 = new App('', 0, '/r0');
  const root5 = new App('', 5, '/r5');
  const x0 = new App('x', 0, '/x0');
  const x1 = new App('x', 1, '/x1');
  for (const a of [root0, x0, root5, x1]) m.add(a);
  assert.deepEqual(m.root.named('x').map((d) => d.root), ['/x1', '/x0']);
  assert.deepEqual(m.root.siblings.map((d) => d.root), ['/r5', '/r0']);
  assert.equal(x0.dir.baseuri(), '/x/');
  assert.equal(root0.dir.baseuri(), '/');
  assert.equal(m.remove(x1), true);
  assert.equal(m.find('x'), x0);
  assert.deepEqual(m.root.named('x').map((d) => d.root), ['/x0']);
});

test('Dir: equal priorities keep insertion order; unlink; baseuri of nested and unnamed dirs', () => {
  const root = new Dir('dir', null, 0);
  const a = new Dir('dir', 'a', 0);
  const b = new Dir('dir', 'a', 0);
  const c = new Dir('dir', 'a', 3);
  root.insert(a);
  root.insert(b);
  root.insert(c);
  assert.deepEqual(root.named('a'), [c, a, b]);
  const s = new Dir('dir', 's', 0);
  const u = new Dir('dir', null, 0);
  a.insert(s);
  s.insert(u);
  assert.equal(s.baseuri(), '/a/s/');
  assert.equal(u.baseuri(), '/a/s/');
  assert.equal(new Dir('dir', 'n', 0).baseuri(), '/');
  assert.equal(b.unlink(), true);
  assert.equal(b.unlink(), false);
  assert.deepEqual(root.named('a'), [c, a]);
});

test('splitPath: decoded segments; malformed paths 400, climbing 404', () => {
  // The split without what the walk remembers on it (the lookup keys of its resource readers).
  const split = (p: string): unknown => {
    const r = splitPath(p);
    return typeof r === 'number' ? r : { raw: r.raw, dec: r.dec, slash: r.slash };
  };
  assert.deepEqual(split('/a/x%20y/'), { raw: ['a', 'x%20y'], dec: ['a', 'x y'], slash: true });
  assert.deepEqual(split('/'), { raw: [], dec: [], slash: false });
  assert.equal(splitPath('/a%2fb'), 400);
  assert.equal(splitPath('/%zz'), 400);
  assert.equal(splitPath('/a/%2e%2e/b'), 404);
  assert.deepEqual(split('/.hidden'), { raw: ['.hidden'], dec: ['.hidden'], slash: false });
});
