import test from 'node:test';
import assert from 'node:assert/strict';
import { HeaderList } from '../../../src/http/header-list.js';

test('keeps order and case, looks up without case', () => {
  const h = new HeaderList([
    ['Content-Type', 'text/html'],
    ['X-A', '1'],
    ['x-a', '2'],
  ]);
  assert.equal(h.get('content-type'), 'text/html');
  assert.equal(h.get('X-a'), '1, 2');
  assert.deepEqual(h.getAll('X-A'), ['1', '2']);
  assert.equal(h.get('missing'), undefined);
  assert.equal(h.has('CONTENT-TYPE'), true);
  assert.deepEqual([...h], [
    ['Content-Type', 'text/html'],
    ['X-A', '1'],
    ['x-a', '2'],
  ]);
});

test('set replaces in place, delete removes all', () => {
  const h = new HeaderList([
    ['A', '1'],
    ['B', '2'],
    ['a', '3'],
    ['C', '4'],
  ]);
  h.set('a', 'x');
  assert.deepEqual(h.entries(), [
    ['a', 'x'],
    ['B', '2'],
    ['C', '4'],
  ]);
  h.set('D', 'new');
  assert.equal(h.entries().at(-1)?.[0], 'D');
  assert.equal(h.delete('b'), true);
  assert.equal(h.delete('b'), false);
  assert.equal(h.size, 3);
  h.clear();
  assert.equal(h.size, 0);
});
