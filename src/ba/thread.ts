/**
 * `ba.thread`: the Lua thread pool (shared/spec/ba-support.md §2) as FIFO queues of jobs, each
 * job a coroutine of the dispatcher (compat-decisions.md D5).
 *
 * What a script can observe is kept: jobs start in FIFO order, never inside `run` (only after
 * the caller waits or ends), at most `size` jobs are in progress at once, and a job that waits
 * in a "blocking" call keeps its slot. `ba.thread.create()` makes a private pool of one slot.
 */
import { T_USERDATA, type LState } from '../vm/lua-vm.js';
import type { Task } from '../sched/scheduler.js';
import type { BaContext } from './context.js';

const POOL_MAGIC = 0x7a11ed;
/** `configure(n)` only grows the pool, and only for n < 20 (ba-support.md §2). */
const MAX_POOL_SIZE = 19;

/** One FIFO job queue with a fixed number of slots. */
export class ThreadPool {
  /** Registry references of the functions of jobs not yet started, oldest first. */
  readonly queue: number[] = [];
  /** Jobs in progress (running or suspended in a blocking call). */
  readonly running = new Set<Task>();
  pumpPosted = false;

  constructor(
    readonly id: number,
    public size: number,
  ) {}
}

export class ThreadLib {
  readonly shared: ThreadPool;
  /** Private pools of `ba.thread.create()` objects, by id. */
  private readonly privates = new Map<number, ThreadPool>();
  private nextId = 1;
  private mtRef = 0;
  private stopped = false;

  constructor(readonly ctx: BaContext) {
    this.shared = new ThreadPool(0, Math.max(1, ctx.config.threadcnt));
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
      const p = vm.m._lua_touserdata(L, 1);
      if (vm.readI32(p) === POOL_MAGIC) this.privates.delete(vm.readI32(p + 4));
      return 0;
    });
    vm.setHost(L, -1, '__tostring', (L) => {
      const pool = this.checkPool(L, 'tostring');
      vm.pushString(L, `ba.thread: ${pool.running.size} running, ${pool.queue.length} queued`);
      return 1;
    });
    this.mtRef = vm.ref(L);

    this.ctx.pushBa(L);
    vm.newTable(L);
    vm.setHost(L, -1, 'run', (L) => this.run(this.shared, L, 1, 'run'));
    vm.setHost(L, -1, 'create', (L) => {
      const pool = new ThreadPool(this.nextId++, 1);
      this.privates.set(pool.id, pool);
      const p = vm.newUserdata(L, 8);
      vm.writeI32(p, POOL_MAGIC);
      vm.writeI32(p + 4, pool.id);
      vm.pushRef(L, this.mtRef);
      vm.setMetatable(L, -2);
      return 1;
    });
    vm.setHost(L, -1, 'configure', (L) => {
      const pool = this.shared;
      if (!args.isNoneOrNil(L, 1)) {
        const n = args.checkInteger(L, 1, 'configure');
        if (n > pool.size && n <= MAX_POOL_SIZE) {
          pool.size = n;
          this.postPump(pool);
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
    const vm = this.ctx.vm;
    if (vm.type(L, 1) === T_USERDATA) {
      const p = vm.m._lua_touserdata(L, 1);
      if (vm.readI32(p) === POOL_MAGIC) {
        const pool = this.privates.get(vm.readI32(p + 4));
        if (pool) return pool;
      }
    }
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
    vm.m._lua_pushvalue(L, fnIdx);
    pool.queue.push(vm.ref(L));
    // Never start a job inside run (ba-support.md §2): at the earliest once the caller's Lua
    // has unwound, i.e. once it waits or ends.
    this.postPump(pool);
    vm.pushInteger(L, pool.queue.length);
    return 1;
  }

  private postPump(pool: ThreadPool): void {
    if (pool.pumpPosted) return;
    pool.pumpPosted = true;
    this.ctx.sched.post(() => {
      pool.pumpPosted = false;
      this.pump(pool);
    });
  }

  /** Starts queued jobs while the pool has free slots. */
  private pump(pool: ThreadPool): void {
    while (!this.stopped && pool.running.size < pool.size && pool.queue.length > 0) {
      this.start(pool, pool.queue.shift()!);
    }
  }

  private start(pool: ThreadPool, fnRef: number): void {
    const { vm, sched } = this.ctx;
    const finished = (task: Task): void => {
      pool.running.delete(task);
      // Deferred: the next job must not start inside the resume that ended this one.
      this.postPump(pool);
    };
    const task = sched.create('job', {
      onEnd: (t) => finished(t),
      onError: (t, err) => {
        // "-------- Lua error: " with the traceback; the pool goes on (ba-support.md §2).
        sched.traceError('job', err);
        finished(t);
      },
    });
    task.owner = pool;
    pool.running.add(task);
    vm.pushRef(task.co, fnRef);
    vm.unref(fnRef);
    sched.resume(task, 0);
  }

  /** Debug listing of a pool, written to the trace log (format not part of the contract). */
  private dbg(pool: ThreadPool, _L: LState): number {
    const lines = [`ba.thread pool ${pool.id === 0 ? 'shared' : `#${pool.id}`}: size ${pool.size}, running ${pool.running.size}, queued ${pool.queue.length}`];
    for (const t of pool.running) lines.push(`  job ${t.id}: ${t.waiting ? `waiting (${t.waiting.state})` : 'running'}`);
    this.ctx.log.write(lines.join('\n') + '\n');
    return 0;
  }

  /** Shutdown: queued jobs never start. */
  private stop(): void {
    this.stopped = true;
    for (const pool of [this.shared, ...this.privates.values()]) {
      for (const ref of pool.queue.splice(0)) this.ctx.vm.unref(ref);
    }
  }
}

export function installThread(ctx: BaContext): ThreadLib {
  const lib = new ThreadLib(ctx);
  lib.install(ctx.vm.L);
  return lib;
}
