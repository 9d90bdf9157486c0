import test from 'node:test';
import assert from 'node:assert/strict';
import { LuaVM } from '../../../src/vm/lua-vm.js';

// pushBytes / pushBytesFrom: long strings go straight into an unfilled Lua string on remora's
// own VM (native/push-buffer.c), short ones through lua_pushlstring; both must be byte-exact.

function pattern(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff; // includes NUL bytes
  return b;
}

test('push-buffer: strings of every length class come back byte for byte', async () => {
  const vm = await LuaVM.create();
  const L = vm.L;
  for (const n of [0, 1, 39, 40, 41, 42, 255, 8192, 100_000]) {
    const b = pattern(n, n);
    vm.pushBytes(L, b);
    assert.deepEqual(vm.toBytes(L, -1), b, `pushBytes ${n}`);
    vm.pushBytesFrom(L, b, n > 2 ? 1 : 0, n);
    assert.deepEqual(vm.toBytes(L, -1), b.subarray(n > 2 ? 1 : 0), `pushBytesFrom ${n}`);
    vm.pop(L, 2);
  }
});

test('push-buffer: a long string pushed unfilled hashes by its final bytes as a table key', async () => {
  const vm = await LuaVM.create();
  const L = vm.L;
  const b = pattern(5000, 7);
  vm.pushBytes(L, b);
  vm.setGlobal(L, 'k1');
  vm.pushBytesFrom(L, Buffer.concat([Buffer.from('x'), b]), 1, 5001);
  vm.setGlobal(L, 'k2');
  vm.exec(`
    assert(k1 == k2 and #k1 == 5000)
    local t = { [k1] = 'found' }
    assert(t[k2] == 'found')
    assert(k1:byte(1) == 7 and k1:byte(5000) == (4999 * 31 + 7) % 256)
    collectgarbage()
    assert(t[k2] == 'found')
  `);
});

test('push-buffer: a view into WASM memory (a Lua string) is copied correctly while memory grows', async () => {
  const vm = await LuaVM.create();
  const L = vm.L;
  vm.pushBytes(L, pattern(3000, 3));
  for (let i = 0; i < 2000; i++) {
    // Each push allocates; some of them grow WASM memory, which detaches older views.
    const view = vm.viewBytes(L, -1)!;
    vm.pushBytes(L, view);
    assert.equal(vm.toBytes(L, -1)!.length, 3000);
    vm.pop(L, 1);
    vm.pushBytes(L, Buffer.alloc(64 * 1024, i & 0xff));
    vm.setGlobal(L, `keep${i}`);
  }
  assert.deepEqual(vm.toBytes(L, -1), pattern(3000, 3));
});
