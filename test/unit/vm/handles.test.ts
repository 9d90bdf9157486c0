import test from 'node:test';
import assert from 'node:assert/strict';
import { LuaVM } from '../../../src/vm/lua-vm.js';
import { HandleTable, HandleTag, newTaggedBlock, taggedBlock } from '../../../src/vm/handles.js';

test('handles: push, at, release and id reuse', async () => {
  const vm = await LuaVM.create();
  const L = vm.L;
  const t = new HandleTable<{ name: string }>(vm, 0x54455354);
  const a = { name: 'a' };
  const id = t.add(a);
  t.push(L, id);
  assert.equal(t.at(L, -1), a);
  assert.equal(t.idAt(L, -1), id);
  assert.equal(t.is(L, -1), true);
  assert.equal(t.size, 1);
  t.release(id);
  assert.equal(t.at(L, -1), null, 'a released handle reaches nothing');
  assert.equal(t.is(L, -1), true, 'but is still of the kind');
  const b = { name: 'b' };
  assert.equal(t.add(b), id, 'the id is reused');
  assert.equal(t.at(L, -1), b);
  vm.pop(L, 1);
  assert.deepEqual([...t.values()], [b]);
});

test('handles: another kind, a plain value or a forged block is not a handle', async () => {
  const vm = await LuaVM.create();
  const L = vm.L;
  const t = new HandleTable<string>(vm, 0x41414141);
  const u = new HandleTable<string>(vm, 0x42424242);
  u.push(L, u.add('u'));
  assert.equal(t.at(L, -1), null);
  assert.equal(t.idAt(L, -1), -1);
  vm.pushString(L, 'AAAA\0\0\0\0');
  assert.equal(t.at(L, -1), null);
  vm.pushInteger(L, 0x41414141);
  assert.equal(t.idAt(L, -1), -1);
  vm.pop(L, 3);
});

test('handles: without id reuse a released handle never reaches a newer object', async () => {
  const vm = await LuaVM.create();
  const L = vm.L;
  const t = new HandleTable<{ id: number }>(vm, 0x52455155, { reuseIds: false });
  const a = t.create((id) => ({ id }));
  t.push(L, a.id);
  t.release(a.id, a);
  const b = t.create((id) => ({ id }));
  assert.notEqual(b.id, a.id);
  assert.equal(t.at(L, -1), null);
  t.release(b.id, a);
  assert.equal(t.get(b.id), b, 'release with another object leaves the stored one');
  vm.pop(L, 1);
});

test('handles: the metatable is set on push; tagged blocks keep their bytes', async () => {
  const vm = await LuaVM.create();
  const L = vm.L;
  vm.newTable(L);
  vm.pushString(L, 'kind');
  vm.setField(L, -2, '__name');
  const mt = vm.ref(L);
  const t = new HandleTable<number>(vm, 0x4d4d4d4d, { extraBytes: 4 });
  t.mtRef = mt;
  const p = t.push(L, t.add(7));
  vm.writeI32(p + 8, 1234);
  vm.pushToString(L, -1);
  assert.match(vm.toStr(L, -1)!, /^kind: /);
  vm.pop(L, 1);
  assert.equal(vm.readI32(p + 8), 1234);
  const q = newTaggedBlock(vm, L, 0x51515151, 16, 0);
  assert.equal(taggedBlock(vm, L, -1, 0x51515151), q);
  assert.equal(taggedBlock(vm, L, -1, 0x4d4d4d4d), 0);
  assert.equal(taggedBlock(vm, L, -2, 0x4d4d4d4d), p);
  vm.pop(L, 2);
});

test('handles: every kind has its own tag', () => {
  const tags = Object.values(HandleTag);
  assert.equal(new Set(tags).size, tags.length);
});
