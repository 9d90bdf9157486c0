import test from 'node:test';
import assert from 'node:assert/strict';
import { LuaVM } from '../../../src/vm/lua-vm.js';
import { Scheduler } from '../../../src/sched/scheduler.js';
import { Wait } from '../../../src/sched/waiter.js';
import type { LuaError } from '../../../src/vm/lua-error.js';

async function setup(): Promise<{ vm: LuaVM; sched: Scheduler; out: string[] }> {
  const vm = await LuaVM.create();
  const out: string[] = [];
  const sched = new Scheduler(vm, { write: (s: string | Uint8Array) => void out.push(String(s)) }, { cpuBudgetMs: 0 });
  return { vm, sched, out };
}

function start(vm: LuaVM, sched: Scheduler, src: string, hooks = {}) {
  const task = sched.create('script', hooks);
  const err = vm.load(task.co, src, '=t');
  if (err) throw err;
  sched.resume(task, 0);
  return task;
}

test('scheduler: a task runs to its end; onEnd gets its results; current is reset', async () => {
  const { vm, sched } = await setup();
  let ended = -1;
  const task = start(vm, sched, 'return 1, 2, 3', { onEnd: (_t: unknown, n: number) => (ended = n) });
  assert.equal(task.done, true);
  assert.equal(ended, 3);
  assert.equal(sched.current, null);
});

test('scheduler: an error ends only its task and reaches onError with the chunk and line', async () => {
  const { vm, sched } = await setup();
  let msg = '';
  const task = start(vm, sched, 'local x = 1\nerror("boom")', { onError: (_t: unknown, e: LuaError) => (msg = e.message) });
  assert.equal(task.done, true);
  assert.match(msg, /t:2: boom/);
  const other = start(vm, sched, 'return 1');
  assert.equal(other.done, true);
});

test('scheduler: a suspended task records its waiter; discard aborts it', async () => {
  const { vm, sched } = await setup();
  let w: Wait | null = null;
  vm.pushHost(vm.L, 'wait', (L) => {
    w = Wait.of(sched, 'sleep', 'wait');
    return sched.suspend(L, w, 'wait');
  });
  vm.setGlobal(vm.L, 'wait');
  const task = start(vm, sched, 'wait() error("must not run")');
  assert.equal(task.done, false);
  assert.equal(task.waiting, w);
  assert.equal(sched.current, null);
  let aborted = false;
  w!.onAbort = () => (aborted = true);
  sched.discard(task);
  assert.equal(aborted, true);
  assert.equal(task.done, true);
});

test('scheduler: suspend outside a task raises instead of yielding', async () => {
  const { vm, sched } = await setup();
  vm.pushHost(vm.L, 'wait', (L) => sched.suspend(L, { state: 'x', abort() {} }, 'wait'));
  vm.setGlobal(vm.L, 'wait');
  const err = vm.load(vm.L, 'return pcall(wait)', '=main');
  assert.equal(err, null);
  const perr = vm.pcall(vm.L, 0, 2);
  assert.equal(perr, null);
  assert.equal(vm.toBoolean(vm.L, -2), false);
  assert.match(vm.toStr(vm.L, -1) ?? '', /must run in a coroutine/);
  vm.pop(vm.L, 2);
});

test('scheduler: post runs after the current Lua call chain, in order', async () => {
  const { sched } = await setup();
  const seen: number[] = [];
  sched.post(() => seen.push(1));
  sched.post(() => seen.push(2));
  assert.deepEqual(seen, []);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(seen, [1, 2]);
});

test('scheduler: live tasks are counted as they start and end, in any order; abortAll stops the rest', async () => {
  const { vm, sched } = await setup();
  const waits: Wait[] = [];
  vm.pushHost(vm.L, 'wait', (L) => {
    const w = Wait.of(sched, 'sleep', 'wait');
    waits.push(w);
    return sched.suspend(L, w, 'wait');
  });
  vm.setGlobal(vm.L, 'wait');
  const before = sched.activeTasks;
  const tasks = [0, 1, 2, 3].map(() => start(vm, sched, 'wait() return 1'));
  assert.equal(sched.activeTasks, before + 4);
  // The middle, the first and the last end: the list stays whole.
  for (const i of [1, 0, 3]) {
    tasks[i]!.waiting = null;
    waits[i]!.settle();
    sched.resume(tasks[i]!, 0);
    assert.equal(tasks[i]!.done, true);
  }
  assert.equal(sched.activeTasks, before + 1);
  const fifth = start(vm, sched, 'wait()');
  assert.equal(sched.activeTasks, before + 2);
  sched.abortAll();
  assert.equal(sched.activeTasks, 0);
  assert.equal(tasks[2]!.done, true);
  assert.equal(fifth.done, true);
});
