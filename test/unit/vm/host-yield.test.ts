// A host function's yield, on each Lua VM remora can run (remora's own build, where a yield
// from plain Lua code returns instead of longjmp-ing, and wasmoon's): the same results in the
// direct case and in every case that needs the longjmp (pcall, metamethods, inner coroutines,
// tail calls, C-call boundaries), with the count hook on.
import test from 'node:test';
import assert from 'node:assert/strict';
import { LUA_OK, LUA_YIELD, LuaVM } from '../../../src/vm/lua-vm.js';
import { chosenVm } from '../../../src/vm/vm-module.js';
import { CountHook } from '../../../src/vm/count-hook.js';
import { vmOf } from '../../harness/vm-of.js';


const names: Array<'remora' | 'wasmoon'> = ['wasmoon'];
if (process.env.REMORA_VM !== 'wasmoon' && chosenVm() === 'remora') names.unshift('remora');

/**
 * Runs `body` (a Lua chunk) in a coroutine; each `wait()` suspends it and is resumed with the
 * next value of `feed`. Returns the chunk's results as strings, or the error message.
 */
function run(vm: LuaVM, body: string, feed: number[]): { yields: number; results: string[]; error?: string } {
  const L = vm.L;
  const e = vm.load(L, body, '=t');
  if (e) throw e;
  const { co, ref } = vm.newThread();
  vm.xmove(L, co, 1);
  let st = vm.resume(co, 0);
  let yields = 0;
  while (st === LUA_YIELD) {
    vm.settop(co, vm.top(co) - vm.lastResults); // what the yield passed up (nothing)
    yields++;
    if (yields > feed.length) throw new Error('more waits than values');
    vm.pushInteger(co, feed[yields - 1]!);
    st = vm.resume(co, 1);
  }
  const out: string[] = [];
  let error: string | undefined;
  if (st === LUA_OK) for (let i = 1; i <= vm.lastResults; i++) out.push(vm.toDisplay(co, i));
  else error = vm.toStr(co, -1) ?? '?';
  vm.settop(co, 0);
  vm.unref(ref);
  return { yields, results: out, error };
}

for (const name of names) {
  test(`${name} VM: host yields give the same results as plain Lua would`, async () => {
    const vm = await vmOf(name);
    assert.equal(vm.vmName, name);
    vm.pushHost(vm.L, 'wait', (L) => vm.yield(L, 0));
    vm.setGlobal(vm.L, 'wait');
    let hooks = 0;
    new CountHook(vm, 100, () => void hooks++);
    const cases: Array<[string, number[], string[] | RegExp]> = [
      ['local a = wait() local b = wait() return a + b, "x"', [2, 3], ['5', 'x']],
      ['local function f(n) return wait() + n end return f(1), f(10)', [1, 2], ['2', '12']],
      ['local function g() return wait() end return g() * 2', [21], ['42']], // tail call
      ['return wait()', [7], ['7']], // tail call from the body
      ['local ok, v = pcall(function() return wait() + 1 end) return ok, v', [4], ['true', '5']],
      ['local ok, e = pcall(function() wait() error("boom", 0) end) return ok, e', [0], ['false', 'boom']],
      // After a pcall that caught an error, the coroutine runs on inside lua_resume's recovery.
      ['local ok = pcall(error, "x") local v = wait() return ok, v', [6], ['false', '6']],
      ['pcall(error, "x") local v = wait() pcall(error, "y") return v + wait()', [1, 2], ['3']],
      ['local t = setmetatable({}, {__index = function(_, k) return k .. wait() end}) return t.a', [9], ['a9']],
      ['local t = setmetatable({}, {__add = function() return wait() end}) return t + 1', [3], ['3']],
      ['local co = coroutine.wrap(function() local v = wait() return v * 3 end) return co()', [5], [] as string[]],
      [
        'local co = coroutine.create(function(x) local v = wait() return v + x end) local a, b = coroutine.resume(co, 1) local c, d = coroutine.resume(co, 40) return a, b, c, d',
        [],
        ['true', 'nil', 'true', '41'],
      ],
      ['local s = 0 for i = 1, 50 do s = s + wait() end return s', Array.from({ length: 50 }, (_, i) => i), ['1225']],
      ['local function r(n) if n == 0 then return wait() end local v = r(n - 1) return v + 1 end return r(30)', [0], ['30']],
      ['local x = 0 for i = 1, 2000 do x = x + i end return x + wait()', [1], ['2001001']],
      ['table.sort({3, 1, 2}, function(a, b) wait() return a < b end)', [], /attempt to yield across a C-call boundary/],
    ];
    for (const [src, feed, want] of cases) {
      const r = run(vm, src, feed);
      if (want instanceof RegExp) assert.match(r.error ?? '', want, src);
      else {
        assert.equal(r.error, undefined, src);
        assert.deepEqual(r.results, want, src);
      }
    }
    // The inner coroutine's wait returned to coroutine.resume, not to the host: no host yields.
    assert.equal(run(vm, 'local co = coroutine.wrap(function() wait() end) co() return 1', []).yields, 0);
    assert.ok(hooks > 0);
    // Many cycles leave the main state's stack as it was.
    const top = vm.top(vm.L);
    const r = run(vm, 'local n = 0 while n < 20000 do n = n + wait() end return n', Array(20000).fill(1));
    assert.deepEqual(r.results, ['20000']);
    assert.equal(vm.top(vm.L), top);
  });
}

if (names.includes('remora')) {
  test('remora VM: a suspended coroutine is small, and grows its stack when it needs more', async () => {
    const vm = await vmOf('remora');
    // 2,000 coroutines suspended inside a C function (the shape of every waiting cosocket);
    // BASIC_STACK_SIZE of remora's build keeps each well under Lua's default (~1 KB each).
    const r = run(
      vm,
      `collectgarbage() collectgarbage()
       local before = collectgarbage("count")
       local keep = {}
       for i = 1, 2000 do
         local co = coroutine.create(function(x) local a, b, c = x, x, x coroutine.yield(a) return b + c end)
         coroutine.resume(co, i)
         keep[i] = co
       end
       collectgarbage() collectgarbage()
       local per = (collectgarbage("count") - before) * 1024 / 2000
       -- deep recursion and many locals inside a coroutine still work (the stack grows)
       local function depth(n) if n == 0 then return 0 end local a1, a2, a3, a4, a5, a6, a7, a8 = n, n, n, n, n, n, n, n return 1 + depth(n - 1) + (a8 - a1) end
       local ok, d = coroutine.resume(coroutine.create(function() return depth(5000) end))
       local _, sum = coroutine.resume(keep[7])
       return math.floor(per), ok, d, sum`,
      [],
    );
    assert.equal(r.error, undefined);
    const per = Number(r.results[0]);
    assert.ok(per > 0 && per < 900, `bytes per suspended coroutine: ${per}`);
    assert.deepEqual(r.results.slice(1), ['true', '5000', '14']);
  });
}
