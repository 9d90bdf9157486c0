// Count hooks on remora's own VM build, which counts a count hook that is not due inside the
// instruction loop: a hook set with debug.sethook fires after exactly as many instructions as
// on stock Lua (wasmoon's build), alone, with a line hook, and yielding from the host's hook.
import test from 'node:test';
import assert from 'node:assert/strict';
import { LUA_OK, LUA_YIELD, LuaVM } from '../../../src/vm/lua-vm.js';
import { chosenVm } from '../../../src/vm/vm-module.js';
import { CountHook } from '../../../src/vm/count-hook.js';
import { vmOf } from '../../harness/vm-of.js';


/** Runs `body` in a coroutine, resuming it whenever it yields; its results as strings, and the yields. */
function run(vm: LuaVM, body: string): { results: string[]; yields: number } {
  const e = vm.load(vm.L, body, '=t');
  if (e) throw e;
  const { co, ref } = vm.newThread();
  vm.xmove(vm.L, co, 1);
  let st = vm.resume(co, 0);
  let yields = 0;
  while (st === LUA_YIELD) {
    vm.settop(co, vm.top(co) - vm.lastResults);
    yields++;
    st = vm.resume(co, 0);
  }
  assert.equal(st, LUA_OK, st === LUA_OK ? '' : vm.toStr(co, -1) ?? '?');
  const out: string[] = [];
  for (let i = 1; i <= vm.lastResults; i++) out.push(vm.toDisplay(co, i));
  vm.settop(co, 0);
  vm.unref(ref);
  return { results: out, yields };
}

// Counts of hook calls for the same code: count hooks of several periods, a count hook with a
// line hook, and one removed and set again in the middle.
const SCRIPT = `
  local function work(n) local s = 0 for i = 1, n do s = s + (i % 3) end return s end
  local out = {}
  for _, k in ipairs({1, 2, 7, 100, 1000}) do
    local c = 0
    debug.sethook(function() c = c + 1 end, "", k)
    work(500)
    debug.sethook()
    out[#out + 1] = c
  end
  local c, l = 0, 0
  debug.sethook(function(ev) if ev == "count" then c = c + 1 else l = l + 1 end end, "l", 13)
  work(200)
  debug.sethook()
  out[#out + 1] = c .. "/" .. l
  c = 0
  debug.sethook(function() c = c + 1 end, "", 5)
  work(50)
  debug.sethook(function() c = c + 100 end, "", 9)
  work(50)
  debug.sethook()
  out[#out + 1] = c
  return table.concat(out, ",")
`;

test('count hooks fire after the same number of instructions on remora\'s VM as on stock Lua', { skip: chosenVm() !== 'remora' }, async () => {
  const own = await vmOf('remora');
  const stock = await vmOf('wasmoon');
  const a = run(own, SCRIPT).results;
  const b = run(stock, SCRIPT).results;
  assert.deepEqual(a, b);
  assert.match(a[0]!, /^\d+,\d+,\d+,\d+,\d+,\d+\/\d+,\d+$/);
});

test('the host\'s count hook yields the coroutine as often on remora\'s VM as on stock Lua', { skip: chosenVm() !== 'remora' }, async () => {
  const body = 'local s = 0 for i = 1, 20000 do s = s + i % 5 end return s';
  const counts: Array<[number, number, string]> = [];
  for (const name of ['remora', 'wasmoon'] as const) {
    const vm = await vmOf(name);
    let hooks = 0;
    // Every 250 instructions; every other call asks for a yield.
    new CountHook(vm, 250, () => (++hooks % 2 === 0 ? 1 : 0));
    const r = run(vm, body);
    counts.push([hooks, r.yields, r.results[0]!]);
  }
  assert.deepEqual(counts[0], counts[1]);
  assert.ok(counts[0]![1] > 10);
});
