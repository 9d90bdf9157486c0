/**
 * The dispatcher. Every Lua entry point (the .preload chunk, a cosocket, a timer callback, an
 * LSP page, a thread job, a one-shot script) runs as a Lua coroutine (a Task) resumed from here.
 * A suspended task waits on exactly one Waiter (socket x direction, a timer, `disable`, ...);
 * the event that completes the wait pushes the results onto the task's coroutine and calls
 * `resume`.
 *
 * One suspension contract (waiter.ts): a host function either completes at once or
 * registers a waiter and returns `sched.suspend(L, waiter)`. Yields are the expensive path
 * (~2.4 µs, a thrown longjmp in WASM), so callers must complete without suspending whenever
 * the answer is already there.
 */
import { LuaError, LuaRaise } from '../vm/lua-error.js';
import { LUA_OK, LUA_REGISTRYINDEX, LUA_YIELD, LuaVM, T_LIGHTUSERDATA, type LState } from '../vm/lua-vm.js';
import { selfCheck, stackRestore, stackSave } from '../vm/trap.js';
import { CountHook } from '../vm/count-hook.js';
import type { TraceLog } from './trace-log.js';

export type TaskKind = 'cosocket' | 'job' | 'timer' | 'preload' | 'script' | 'page' | 'startup';

/**
 * What a suspended task waits for (the `Wait` of waiter.ts, or a subclass of it). `state` is
 * what `sock:state()` reports while waiting.
 */
export interface Waiter {
  readonly state: string;
  /** Detaches the waiter from its event source (timer cleared, socket reader removed). */
  abort(): void;
}

export interface TaskHooks {
  /** The function returned; its `nres` results are on the task's coroutine. */
  onEnd?(task: Task, nres: number): void;
  /** The function raised (or was stopped by its CPU budget). Default: trace it. */
  onError?(task: Task, err: LuaError): void;
  /** The root coroutine called coroutine.yield itself (timer protocol). */
  onUserYield?(task: Task, nres: number): void;
}

/** Spare page coroutines kept for reuse (see Scheduler.spareThreads). */
const MAX_SPARE_THREADS = 16;

export class Task {
  waiting: Waiter | null = null;
  done = false;
  // The fields below that most tasks never change have their defaults on the prototype (the
  // static block): an idle cosocket's task does not carry them (8 bytes each).
  /** Set when the CPU budget stopped the task: the next yield ends it. */
  declare killed: boolean;
  /** Whether the root coroutine may call coroutine.yield (timers). */
  declare userYield: boolean;
  /** Free slot for the owner of the task (socket, timer, job). */
  owner: unknown = null;
  /** Neighbours in the scheduler's list of live tasks (a Map entry cost ~46 bytes per task). */
  prev: Task | null = null;
  next: Task | null = null;
  /**
   * This task's CPU budget in ms (0 = unlimited), or undefined for the scheduler's global one.
   * A task inherits it from the task that created it, so an app's budget covers its pages,
   * cosockets, timers and jobs alike.
   */
  declare budgetMs: number | undefined;

  /** A number no other live task has (its coroutine's registry reference), for listings. */
  get id(): number {
    return this.ref;
  }

  constructor(
    readonly kind: TaskKind,
    readonly co: LState,
    readonly ref: number,
    readonly hooks: TaskHooks,
    readonly sched: Scheduler,
  ) {}

  static {
    const p = Task.prototype;
    p.killed = false;
    p.userYield = false;
    p.budgetMs = undefined;
  }
}

export interface SchedulerOptions {
  /** CPU budget of one resume, in ms; 0 disables the check. */
  cpuBudgetMs: number;
  /** The VM failed its self-check after a trap (default: SIGTERM to this process, a graceful shutdown). */
  onBroken?: (why: string) => void;
}

const ERROR_LABEL: Record<TaskKind, string> = {
  cosocket: '-------- Lua error in Cosocket: ',
  job: '-------- Lua error: ',
  timer: 'Timer callback failed: ',
  preload: '-------- Lua error: ',
  script: '-------- Lua error: ',
  page: '-------- Lua error in LSP: ',
  startup: '-------- Lua error: ',
};

export class Scheduler {
  /** The task whose coroutine is running (innermost when resumes nest), or null. */
  current: Task | null = null;
  /** Live tasks, oldest first: a list through `Task.prev`/`next`. */
  private head: Task | null = null;
  private tail: Task | null = null;
  private count = 0;
  private depth = 0;
  /**
   * Process CPU time and wall time at the first budget check of the current slice (null
   * before it). A slice's budget counts from that check, made after its first 10,000
   * instructions (the count hook) or by long work in a host function or C loop: no clock is
   * read for the many short slices that never get there (one read cost ~1% of a 64-byte
   * WebSocket echo message). The budget counts CPU time, so a coroutine on a loaded machine
   * that the OS keeps waiting is not stopped for that.
   */
  private sliceStart = 0;
  private sliceCpu: NodeJS.CpuUsage | null = null;
  /** Light userdata value yielded by inner (script-created) coroutines waiting on the host. */
  readonly waitMarker = 0x5ea;
  private posted: Array<() => void> = [];
  private postScheduled = false;
  shuttingDown = false;
  /** The CPU budget's count hook. */
  private readonly hook: CountHook;
  /** Run whenever the outermost resume returns (write batches are flushed here). */
  readonly afterRun: Array<() => void> = [];

  constructor(
    readonly vm: LuaVM,
    readonly log: TraceLog,
    private readonly opts: SchedulerOptions,
  ) {
    // Always installed: an app may have a budget of its own when the global one is 0.
    this.hook = new CountHook(vm, 10000, (L) => this.onHook(L));
    // remora's own VM build calls this from Lua's C library (pattern matching, string.rep,
    // table.concat) every 65536 steps: the count hook does not run there. wasmoon's never does.
    vm.setHost(vm.L, LUA_REGISTRYINDEX, 'remora.cpucheck', () => {
      this.checkBudget();
      return 0;
    });
  }

  get activeTasks(): number {
    return this.count;
  }

  private link(task: Task): void {
    task.prev = this.tail;
    if (this.tail !== null) this.tail.next = task;
    else this.head = task;
    this.tail = task;
    this.count++;
  }

  private unlink(task: Task): void {
    if (task.prev === null && this.head !== task) return; // not in the list
    if (task.prev !== null) task.prev.next = task.next;
    else this.head = task.next;
    if (task.next !== null) task.next.prev = task.prev;
    else this.tail = task.prev;
    task.prev = task.next = null;
    this.count--;
  }

  /** The live tasks, oldest first (a copy). */
  private liveTasks(): Task[] {
    const out: Task[] = [];
    for (let t = this.head; t !== null; t = t.next) out.push(t);
    return out;
  }

  setCpuBudget(ms: number): void {
    this.opts.cpuBudgetMs = ms;
  }

  /**
   * Creates a task; the caller pushes the function and its arguments onto `task.co` and then
   * calls `resume(task, nargs)`.
   */
  create(kind: TaskKind, hooks: TaskHooks = {}): Task {
    const spare = kind === 'page' ? this.spareThreads.pop() : undefined;
    const { co, ref } = spare ?? this.vm.newThread();
    const task = new Task(kind, co, ref, hooks, this);
    const budgetMs = this.current?.budgetMs;
    if (budgetMs !== undefined) task.budgetMs = budgetMs;
    this.link(task);
    return task;
  }

  /** Resumes `task` with the `nargs` values on top of its stack (the function first, on start). */
  resume(task: Task, nargs: number): void {
    if (task.done) return;
    const vm = this.vm;
    const prev = this.current;
    this.current = task;
    task.waiting = null;
    if (this.depth++ === 0) this.sliceCpu = null;
    let st: number;
    const sp = stackSave(vm);
    try {
      st = vm.resume(task.co, nargs);
    } catch (e) {
      if (!(e instanceof WebAssembly.RuntimeError)) throw e;
      // A WASM trap (malformed bytecode, a VM bug): contain it (issue 14).
      stackRestore(vm, sp);
      this.current = prev;
      --this.depth;
      this.onTrap(task, e);
      return;
    } finally {
      if (this.current === task) {
        this.current = prev;
        if (--this.depth === 0) for (const f of this.afterRun) f();
      }
    }
    const nres = vm.lastResults;
    if (st === LUA_YIELD) {
      if (task.killed) {
        this.fail(task, new LuaError('CPU budget exceeded', vm.traceback(task.co)));
      } else if (task.waiting) {
        // Waiting on the host: drop what was yielded (the inner-coroutine marker).
        if (nres) vm.pop(task.co, nres);
      } else if (task.userYield && task.hooks.onUserYield) {
        task.hooks.onUserYield(task, nres);
        if (!task.done) vm.settop(task.co, 0);
      } else {
        this.fail(task, new LuaError('attempt to yield from outside a coroutine', vm.traceback(task.co)));
      }
    } else if (st === LUA_OK) {
      task.done = true;
      try {
        task.hooks.onEnd?.(task, nres);
      } finally {
        this.release(task, task.kind === 'page');
      }
    } else {
      const isText = vm.type(task.co, -1) === 4 || vm.type(task.co, -1) === 3;
      if (task.kind === 'cosocket') {
        // BAS traces a cosocket error from level 1 (no `[C]: in function 'error'` frame, and
        // nothing for an error in the coroutine's own body), without a message line when the
        // error value is not a string.
        this.fail(task, new LuaError(isText ? vm.toStr(task.co, -1)! : '', vm.traceback(task.co, 1)));
        return;
      }
      const tb = vm.traceback(task.co);
      // error({...}) carries no position: take the innermost Lua frame's from the traceback.
      const msg = isText ? vm.toStr(task.co, -1)! : `${/^\t([^[\t].*?:\d+): /m.exec(tb)?.[1]?.concat(': ') ?? ''}(error object is a ${vm.typeName(task.co, -1)} value)`;
      this.fail(task, new LuaError(msg, tb));
    }
  }

  /**
   * After a trap during `task`'s resume (the C stack pointer is already restored): the task
   * fails with a traced error and is released, then a full GC and a self-check run; if the
   * VM is broken, `onBroken` (the runtime's graceful shutdown) is told why.
   */
  private onTrap(task: Task, e: WebAssembly.RuntimeError): void {
    if (this.depth === 0) for (const f of this.afterRun) f();
    try {
      this.fail(task, new LuaError(`WASM trap in the Lua VM: ${e.message}`, ''));
    } catch {
      // the trace of a broken coroutine; the self-check decides
    }
    if (!selfCheck(this.vm)) {
      const why = `the Lua VM failed its self-check after a WASM trap (${e.message})`;
      this.log.write(`${why}: shutting down\n`);
      (this.opts.onBroken ?? (() => process.kill(process.pid, 'SIGTERM')))(why);
    }
  }

  private fail(task: Task, err: LuaError): void {
    task.done = true;
    try {
      if (task.hooks.onError) task.hooks.onError(task, err);
      else this.traceError(task.kind, err);
    } finally {
      this.release(task);
    }
  }

  /**
   * Writes an error the way BAS does for that kind of context. `envRef`: registry ref of an
   * LSP page's command environment, for ba.seterrh's handler (src/ba/io-helpers.ts).
   */
  traceError(kind: TaskKind, err: LuaError, envRef = 0): void {
    // A failed timer is traced with its message only (BAS prints no traceback for it).
    const text = kind === 'timer' ? err.message : err.message === '' ? err.traceback : err.describe();
    this.log.write(`${ERROR_LABEL[kind]}${text}\n`);
  }

  /**
   * Ends a task that is not running without resuming it (a timer coroutine parked in
   * `coroutine.yield(true)` whose timer was collected).
   */
  discard(task: Task): void {
    if (task.done || task === this.current) return;
    this.release(task);
  }

  /**
   * Coroutines of pages that returned normally, kept for the next page (a coroutine that
   * returned is as good as new; creating and collecting one per request is not free). Never
   * one that raised or was stopped, and never a coroutine of another kind, whose task object
   * other code may still hold and look at.
   */
  private readonly spareThreads: Array<{ co: LState; ref: number }> = [];

  private release(task: Task, reusable = false): void {
    task.done = true;
    task.waiting?.abort();
    task.waiting = null;
    this.unlink(task);
    this.vm.settop(task.co, 0);
    if (reusable && this.spareThreads.length < MAX_SPARE_THREADS) {
      this.hook.reset(task.co);
      this.spareThreads.push({ co: task.co, ref: task.ref });
      return;
    }
    this.vm.unref(task.ref);
  }

  /**
   * Called by a host function (on coroutine L) that must wait: records the waiter and yields.
   * The caller returns this value. Raises a clear error where C Lua cannot yield.
   */
  suspend(L: LState, waiter: Waiter, what = 'this call'): number {
    const task = this.current;
    if (!task || task.done) {
      waiter.abort();
      throw new LuaRaise(`${what} must run in a coroutine of the runtime`);
    }
    if (!this.vm.isYieldable(L)) {
      waiter.abort();
      throw new LuaRaise(
        `${what} cannot wait here: attempt to yield across a C-call boundary (inside a metamethod, iterator or callback such as a table.sort comparator)`,
      );
    }
    task.waiting = waiter;
    if (L === task.co) return this.vm.yield(L, 0);
    // A coroutine the script created: yield a marker that the scheduler-aware
    // coroutine.resume passes up to the task's root (see prelude).
    this.vm.pushLightUserdata(L, this.waitMarker);
    return this.vm.yield(L, 1);
  }

  /** True when value at idx is the wait marker. */
  isWaitMarker(L: LState, idx: number): boolean {
    return this.vm.type(L, idx) === T_LIGHTUSERDATA && this.vm.toUserdata(L, idx) === this.waitMarker;
  }

  /** Runs `fn` after the current Lua call chain has unwound (microtask). */
  post(fn: () => void): void {
    this.posted.push(fn);
    if (!this.postScheduled) {
      this.postScheduled = true;
      queueMicrotask(() => this.runPosted());
    }
  }

  private runPosted(): void {
    this.postScheduled = false;
    const list = this.posted;
    this.posted = [];
    for (const fn of list) {
      try {
        fn();
      } catch (e) {
        this.log.write(`remora: internal error: ${(e as Error).stack ?? e}\n`);
      }
    }
  }

  /**
   * Resumes every waiting cosocket with `nil, "sysshutdown"` (the first step of shutdown), as BAS
   * does: `closeSockets` runs first, after the waits were taken back, so a cosocket that runs
   * on finds its sockets closed (its next read is `nil, "socketreadfailed"`) and runs to its
   * end or its next wait. A thread job waiting on a socket or HTTP client call gets
   * `nil, "socketreadfailed"` (`"socketwritefailed"` in a write); other waits are dropped.
   */
  shutdownWaiters(closeSockets?: () => void): void {
    this.shuttingDown = true;
    const resume: Array<[Task, string]> = [];
    for (const task of this.liveTasks()) {
      if (task.done || !task.waiting) continue;
      const w = task.waiting;
      const state = (w as { state?: string }).state ?? '';
      w.abort();
      task.waiting = null;
      if (task.kind === 'cosocket') resume.push([task, 'sysshutdown']);
      else if (task.kind === 'job' && state !== 'sleep' && state !== '') resume.push([task, state === 'write' ? 'socketwritefailed' : 'socketreadfailed']);
    }
    closeSockets?.();
    for (const [task, err] of resume) {
      if (task.done || task.waiting) continue;
      this.vm.pushNil(task.co);
      this.vm.pushString(task.co, err);
      this.resume(task, 2);
    }
  }

  /** Stops everything without resuming anything (embedding and tests). */
  abortAll(): void {
    this.shuttingDown = true;
    for (const task of this.liveTasks()) {
      task.waiting?.abort();
      task.waiting = null;
      task.done = true;
    }
    for (const task of this.liveTasks()) this.unlink(task);
    this.posted = [];
  }

  /**
   * For long work inside a host function (issue 14: Lua's count hook does not run there):
   * raises `CPU budget exceeded` when the running task has used up its budget. The task is
   * marked, so a `pcall` around the call does not save it: the next hook or wait ends it.
   */
  checkBudget(): void {
    const task = this.current;
    if (!task || !this.overBudget(task)) return;
    task.killed = true;
    throw new LuaRaise('CPU budget exceeded');
  }

  private overBudget(task: Task): boolean {
    const ms = task.budgetMs ?? this.opts.cpuBudgetMs;
    if (ms <= 0) return false;
    const now = performance.now();
    if (!this.sliceCpu) {
      // First check of this slice: the budget counts from here.
      this.sliceCpu = process.cpuUsage();
      this.sliceStart = now;
      return false;
    }
    // Wall time bounds CPU time: only past the budget is the CPU clock read.
    if (now - this.sliceStart <= ms) return false;
    const d = process.cpuUsage(this.sliceCpu);
    return (d.user + d.system) / 1000 > ms;
  }

  private onHook(L: LState): number | void {
    const task = this.current;
    if (!task || !this.overBudget(task)) return;
    // Give whatever continues after this task a fresh budget.
    this.sliceCpu = null;
    if (L === task.co && this.vm.isYieldable(L)) {
      // Yield from the hook: pcall cannot catch it; resume() ends the task.
      task.killed = true;
      return 1;
    }
    throw new LuaRaise('CPU budget exceeded');
  }
}
