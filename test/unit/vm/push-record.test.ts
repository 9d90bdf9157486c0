import test from 'node:test';
import assert from 'node:assert/strict';
import { LuaVM } from '../../../src/vm/lua-vm.js';
import { pushJs, pushRecord, LuaValueError } from '../../../src/vm/lua-values.js';

// pushRecord: the one helper that pushes a result record (fields, nested records, sequences).

/** Runs `code` with the value on top of the stack as `...`; returns what it returns, as a string. */
function inspect(vm: LuaVM, code: string): string {
  const L = vm.L;
  const err = vm.load(L, code, '=inspect');
  assert.equal(err, null);
  vm.rotate(L, -2, 1);
  const perr = vm.pcall(L, 1, 1);
  assert.equal(perr, null);
  const s = vm.toStr(L, -1)!;
  vm.pop(L, 1);
  return s;
}

test('pushRecord: integers, floats, booleans, strings, bytes, nested records and sequences; undefined fields are left out', async () => {
  const vm = await LuaVM.create();
  pushRecord(vm, vm.L, { i: 3, f: 2.5, b: true, s: 'é', u8: Buffer.from([0, 255]), gone: undefined, sub: { n: -1 }, seq: ['a', 2] });
  assert.equal(
    inspect(vm, `local t = ... return table.concat({math.type(t.i), t.i, math.type(t.f), t.f, tostring(t.b), #t.s, #t.u8, t.u8:byte(2), tostring(t.gone), t.sub.n, #t.seq, t.seq[1], t.seq[2]}, ",")`),
    'integer,3,float,2.5,true,2,2,255,nil,-1,2,a,2',
  );
});

test('pushRecord: latin1 pushes each character as one byte; the default is UTF-8', async () => {
  const vm = await LuaVM.create();
  pushRecord(vm, vm.L, { h: 'caf\u00e9' }, { latin1: true });
  assert.equal(inspect(vm, 'local t = ... return #t.h .. "," .. t.h:byte(4)'), '4,233');
  pushRecord(vm, vm.L, { h: 'caf\u00e9' });
  assert.equal(inspect(vm, 'local t = ... return tostring(#t.h)'), '5');
});

test('pushRecord: a function field pushes its value itself (a float that is integral stays a float); a top-level array is a sequence of records', async () => {
  const vm = await LuaVM.create();
  pushRecord(vm, vm.L, [{ v: (L) => vm.pushNumber(L, 2) }, { v: 1 }]);
  assert.equal(inspect(vm, 'local t = ... return #t .. "," .. math.type(t[1].v) .. "," .. tostring(t[1].v) .. "," .. math.type(t[2].v)'), '2,float,2.0,integer');
  assert.throws(() => pushRecord(vm, vm.L, { v: () => {} }), /exactly one value/);
});

test('pushJs: a JavaScript function still cannot cross', async () => {
  const vm = await LuaVM.create();
  const top = vm.top(vm.L);
  assert.throws(() => pushJs(vm, vm.L, () => 1), LuaValueError);
  vm.settop(vm.L, top);
});
