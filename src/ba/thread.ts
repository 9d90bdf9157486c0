/**
 * `ba.thread`: the Lua thread pool as FIFO queues of jobs, each
 * job a coroutine of the dispatcher (docs/compat.md).
 *
 * What a script can observe is kept: jobs start in FIFO order, never inside `run` (only after
 * the caller waits or ends), at most `size` jobs are in progress at once, and a job that waits
 * in a "blocking" call keeps its slot. `ba.thread.create()` makes a private pool of one slot.
 */
import type { LState } from '../vm/lua-vm.js';
import { ThreadPool } from '../sched/thread-pool.js';
import { HandleTable, HandleTag } from '../vm/handles.js';
import type { BaContext } from './context.js';

/** `configure(n)` only grows the pool, and only for n < 20. */
const MAX_POOL_SIZE = 19;

export class ThreadLib {
  readonly shared: ThreadPool;
  /** Private pools of `ba.thread.create()` objects, by id. */
  private readonly privates: HandleTable<ThreadPool>;
  private stopped = false;

  constructor(readonly ctx: BaContext) {
    this.shared = new ThreadPool(0, Math.max(1, ctx.config.threadcnt), (fn) => ctx.sched.post(fn));
    this.privates = new HandleTable(ctx.vm, HandleTag.threadPool, { reuseIds: false });
    ctx.shutdownHooks.push(() => this.stop());
  }

  install(L: LState): void {
    const { vm, args } = this.ctx;

    vm.newMetatable(L, 'BaThread');
    vm.newTable(L);
    vm.setHost(L, -1, 'run', (L) => this.run(this.checkPool(L, 'run'), L, 2, 'run'));
    vm.setHost(L, -1, 'dbg', (L) => this.dbg(this.checkPool(L, 'dbg'), L));
    vm.setField(L, -2, '__index');
    vm.setHost(L, -1, '__gc', (L) => {
      // Queued jobs keep running: they are anchored by their own registry references.
      this.privates.release(this.privates.idAt(L, 1));
      return 0;
    });
    vm.setHost(L, -1, '__tostring', (L) => {
      this.checkPool(L, 'tostring');
      // BAS's type name and the object's address.
      vm.pushString(L, `LTHREADMGR: 0x${vm.toUserdata(L, 1).toString(16)}`);
      return 1;
    });
    this.privates.mtRef = vm.ref(L);

    this.ctx.pushBa(L);
    vm.newTable(L);
    vm.setHost(L, -1, 'run', (L) => this.run(this.shared, L, 1, 'run'));
    vm.setHost(L, -1, 'create', (L) => {
      const pool = this.privates.create((id) => new ThreadPool(id, 1, (fn) => this.ctx.sched.post(fn)));
      this.privates.push(L, pool.id);
      return 1;
    });
    vm.setHost(L, -1, 'configure', (L) => {
      const pool = this.shared;
      if (!args.isNoneOrNil(L, 1)) {
        const n = args.checkInteger(L, 1, 'configure');
        if (n > pool.size && n <= MAX_POOL_SIZE) {
          pool.size = n;
          pool.postPump();
        }
      }
      vm.pushInteger(L, pool.size);
      return 1;
    });
    vm.setHost(L, -1, 'dbg', (L) => this.dbg(this.shared, L));
    vm.setField(L, -2, 'thread');
    vm.pop(L, 1);
  }

  private checkPool(L: LState, fname: string): ThreadPool {
    const pool = this.privates.at(L, 1);
    if (pool) return pool;
    this.ctx.args.typeError(L, 1, fname, 'ba.thread');
  }

  /** `run(fn)`: queues fn; returns the number of jobs waiting to start, this one included. */
  private run(pool: ThreadPool, L: LState, fnIdx: number, fname: string): number {
    const vm = this.ctx.vm;
    this.ctx.args.checkFunction(L, fnIdx, fname);
    if (this.stopped) {
      // Shutting down: the job would never start.
      vm.pushInteger(L, 0);
      return 1;
    }
    vm.pushValue(L, fnIdx);
    const fnRef = vm.ref(L);
    // Never start a job inside run: at the earliest once the caller's Lua
    // has unwound, i.e. once it waits or ends.
    // The job runs with the CPU budget of the code that queued it (its app's).
    const budgetMs = this.ctx.sched.current?.budgetMs;
    const waiting = pool.enqueue({ start: (p) => this.start(p, fnRef, budgetMs), drop: () => vm.unref(fnRef) });
    vm.pushInteger(L, waiting);
    return 1;
  }

  private start(pool: ThreadPool, fnRef: number, budgetMs: number | undefined): void {
    const { vm, sched } = this.ctx;
    const task = sched.create('job', {
      onEnd: (t) => pool.finished(t),
      onError: (t, err) => {
        // "-------- Lua error: " with the traceback; the pool goes on.
        sched.traceError('job', err);
        pool.finished(t);
      },
    });
    task.owner = pool;
    task.budgetMs = budgetMs;
    pool.admit(task);
    vm.pushRef(task.co, fnRef);
    vm.unref(fnRef);
    sched.resume(task, 0);
  }

  /**
   * Debug listing of a pool, written to the trace log (format not part of the contract);
   * returns, as BAS, a list of the running jobs' coroutines.
   */
  private dbg(pool: ThreadPool, L: LState): number {
    const { vm } = this.ctx;
    const lines = [`ba.thread pool ${pool.id === 0 ? 'shared' : `#${pool.id}`}: size ${pool.size}, running ${pool.running.size}, queued ${pool.queue.length}`];
    for (const t of pool.running) lines.push(`  job ${t.id}: ${t.waiting ? `waiting (${t.waiting.state})` : 'running'}`);
    this.ctx.log.write(lines.join('\n') + '\n');
    vm.newTable(L, pool.running.size, 0);
    let i = 0;
    for (const t of pool.running) {
      vm.pushThread(L, t.co);
      vm.rawSetI(L, -2, ++i);
    }
    return 1;
  }

  /** Shutdown: queued jobs never start. */
  private stop(): void {
    this.stopped = true;
    for (const pool of [this.shared, ...this.privates.values()]) pool.stop();
  }
}

export function installThread(ctx: BaContext): ThreadLib {
  const lib = new ThreadLib(ctx);
  lib.install(ctx.vm.L);
  return lib;
}
