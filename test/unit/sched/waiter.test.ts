import test from 'node:test';
import assert from 'node:assert/strict';
import { LuaVM } from '../../../src/vm/lua-vm.js';
import { Scheduler } from '../../../src/sched/scheduler.js';
import { Wait } from '../../../src/sched/waiter.js';

async function setup(): Promise<{ vm: LuaVM; sched: Scheduler; out: string[] }> {
  const vm = await LuaVM.create();
  const out: string[] = [];
  const sched = new Scheduler(vm, { write: (s: string) => void out.push(s) }, { cpuBudgetMs: 0 });
  return { vm, sched, out };
}

/** Runs `src` as a task whose global `wait()` suspends on a Wait handed to `onWait`. */
function runTask(vm: LuaVM, sched: Scheduler, src: string, onWait: (w: Wait) => void): void {
  vm.pushHost(vm.L, 'wait', (L) => {
    const w = Wait.of(sched, 'test', 'wait');
    onWait(w);
    return sched.suspend(L, w, 'wait');
  });
  vm.setGlobal(vm.L, 'wait');
  const task = sched.create('script', {});
  const err = vm.load(task.co, src, '=t');
  if (err) throw err;
  sched.resume(task, 0);
}

test('waiter: complete resumes the task with the pushed results, once', async () => {
  const { vm, sched } = await setup();
  let wait: Wait | null = null;
  runTask(vm, sched, 'result = table.concat({wait()}, ",")', (w) => (wait = w));
  assert.ok(wait);
  const w: Wait = wait;
  assert.equal(w.live, true);
  assert.equal(w.task.waiting, w);
  w.complete((L) => {
    vm.pushString(L, 'a');
    vm.pushString(L, 'b');
    return 2;
  });
  w.complete(() => assert.fail('a wait completes once'));
  vm.getGlobal(vm.L, 'result');
  assert.equal(vm.toStr(vm.L, -1), 'a,b');
  vm.pop(vm.L, 1);
  assert.equal(w.live, false);
});

test('waiter: abort clears the timeout and runs onAbort; a late completion does nothing', async () => {
  const { vm, sched } = await setup();
  let wait: Wait | null = null;
  runTask(vm, sched, 'wait() result = "resumed"', (w) => (wait = w));
  const w: Wait = wait!;
  let aborted = 0;
  w.timer = setTimeout(() => assert.fail('timer must be cleared'), 10_000);
  w.onAbort = () => aborted++;
  w.abort();
  assert.equal(w.timer, null);
  assert.equal(aborted, 1);
  w.complete(() => 0);
  vm.getGlobal(vm.L, 'result');
  assert.equal(vm.type(vm.L, -1), 0, 'the task was not resumed');
  vm.pop(vm.L, 1);
});

test('waiter: a completion while Lua runs is deferred until it has unwound', async () => {
  const { vm, sched } = await setup();
  let first: Wait | null = null;
  runTask(vm, sched, 'result = wait()', (w) => (first = w));
  // A second task completes the first one's wait from inside its own host call.
  vm.pushHost(vm.L, 'poke', () => {
    first!.complete((L) => {
      vm.pushString(L, 'late');
      return 1;
    });
    vm.getGlobal(vm.L, 'result');
    assert.equal(vm.type(vm.L, -1), 0, 'not resumed inside another coroutine');
    vm.pop(vm.L, 1);
    return 0;
  });
  vm.setGlobal(vm.L, 'poke');
  const t2 = sched.create('script', {});
  const err = vm.load(t2.co, 'poke()', '=t2');
  if (err) throw err;
  sched.resume(t2, 0);
  await new Promise((r) => setImmediate(r));
  vm.getGlobal(vm.L, 'result');
  assert.equal(vm.toStr(vm.L, -1), 'late');
  vm.pop(vm.L, 1);
});

test('waiter: Wait.of raises without a running task', async () => {
  const { sched } = await setup();
  assert.throws(() => Wait.of(sched, 'x', 'thing'), /thing: no coroutine to suspend/);
});
