/**
 * `ba.timer`: `t = ba.timer(fn)`, `t:set(ms [, keepref
 * [, runnow]])`, `t:reset(ms)`, `t:cancel()`, `__close`.
 *
 * Each expiry runs `fn` as a 'timer' task of the dispatcher. The callback protocol:
 *  - `fn` returns `true`: re-armed with the same interval, counted from when it returned;
 *  - `fn` calls `coroutine.yield(true)`: re-armed, and the next expiry resumes it there
 *    (task.userYield lets that yield reach onUserYield instead of raising);
 *  - anything else: the timer stops;
 *  - an error: traced as "Timer callback failed: <msg>" (no traceback), and every later
 *    set/reset/cancel raises "Timer callback failed: <msg>" (with the caller's position).
 * The runtime's own suspensions inside `fn` (ba.sleep, a blocking read [D5]) are invisible to
 * this protocol: they are waits of the task, not yields to the timer.
 *
 * Millisecond precision with setTimeout [D4]. Without keepref the timer fires only while the
 * script references it: the timer object is reachable from Lua only through a weak table, its
 * function only through an ephemeron table keyed by the object (so `fn` may reference `t`
 * without keeping it alive), and `__gc` cancels it. With keepref the object is anchored in the
 * registry while the timer is armed or its callback is in progress.
 */
import { LuaRaise } from '../vm/lua-error.js';
import { T_BOOLEAN, T_USERDATA, type LState } from '../vm/lua-vm.js';
import type { Task } from '../sched/scheduler.js';
import { HandleTable, HandleTag } from '../vm/handles.js';
import type { BaContext } from './context.js';


class LTimer {
  /** The pending expiry, when armed. */
  handle: NodeJS.Timeout | null = null;
  interval = 0;
  keepref = false;
  /** Registry reference anchoring the userdata (keepref), or 0. */
  anchor = 0;
  /** The callback's task while it runs, waits in the runtime, or is parked in yield(true). */
  task: Task | null = null;
  /** The task is parked in coroutine.yield (the next expiry resumes it). */
  parked = false;
  /** An expiry arrived while the callback was still in progress (it fires when that ends). */
  fireWhenDone = false;
  /** CPU budget of the code that made the timer (its app's); undefined = the global one. */
  budgetMs: number | undefined = undefined;
  /** Message of the error the callback raised; set/reset/cancel raise it from then on. */
  error: string | null = null;
  /** The userdata was collected. */
  dead = false;

  constructor(readonly id: number) {}

  get armed(): boolean {
    return this.handle !== null;
  }
}

export class TimerLib {
  private readonly timers: HandleTable<LTimer>;
  /** Registry ref of a weak-valued table id -> userdata. */
  private objsRef = 0;
  /** Registry ref of an ephemeron table userdata -> fn. */
  private fnsRef = 0;

  constructor(readonly ctx: BaContext) {
    this.timers = new HandleTable(ctx.vm, HandleTag.timer);
    ctx.shutdownHooks.push(() => this.clearAll());
  }

  install(L: LState): void {
    const { vm } = this.ctx;
    this.objsRef = this.weakTable(L, 'v');
    this.fnsRef = this.weakTable(L, 'k');

    vm.newMetatable(L, 'BaTimer');
    vm.newTable(L);
    vm.setHost(L, -1, 'set', (L) => this.set(L));
    vm.setHost(L, -1, 'reset', (L) => this.reset(L));
    vm.setHost(L, -1, 'cancel', (L) => {
      const t = this.checkLive(L, 'cancel');
      if (t.armed) vm.pushBoolean(L, true);
      else vm.pushNil(L);
      this.cancel(t);
      return 1;
    });
    vm.setField(L, -2, '__index');
    vm.setHost(L, -1, '__close', (L) => {
      const t = this.toTimer(L, 1);
      if (t) this.cancel(t);
      return 0;
    });
    vm.setHost(L, -1, '__gc', (L) => {
      const t = this.toTimer(L, 1);
      if (t) this.collected(t);
      return 0;
    });
    vm.setHost(L, -1, '__tostring', (L) => {
      const t = this.toTimer(L, 1);
      vm.pushString(L, `[Timer 0x${(t?.id ?? 0).toString(16)} ${t?.armed ? 'armed' : 'stopped'}]`);
      return 1;
    });
    this.timers.mtRef = vm.ref(L);

    this.ctx.pushBa(L);
    vm.setHost(L, -1, 'timer', (L) => this.create(L));
    vm.pop(L, 1);
  }

  private weakTable(L: LState, mode: string): number {
    const vm = this.ctx.vm;
    vm.newTable(L);
    vm.newTable(L);
    vm.pushString(L, mode);
    vm.setField(L, -2, '__mode');
    vm.setMetatable(L, -2);
    return vm.ref(L);
  }

  private toTimer(L: LState, i: number): LTimer | null {
    return this.timers.at(L, i);
  }

  /** The timer at index 1; raises the callback's error if it failed before. */
  private checkLive(L: LState, fname: string): LTimer {
    const t = this.toTimer(L, 1);
    if (!t) this.ctx.args.typeError(L, 1, fname, 'ba.timer');
    // BAS: luaL_error("Timer callback failed: %s"), so the caller's position is prepended.
    if (t.error !== null) throw new LuaRaise(`Timer callback failed: ${t.error}`);
    return t;
  }

  // ---- Lua API ------------------------------------------------------------------------------

  private create(L: LState): number {
    const { vm, args } = this.ctx;
    args.checkFunction(L, 1, 'timer');
    const t = this.timers.create((id) => new LTimer(id));
    t.budgetMs = this.ctx.sched.current?.budgetMs;
    this.timers.push(L, t.id);
    // objs[id] = ud
    vm.pushRef(L, this.objsRef);
    vm.pushValue(L, -2);
    vm.rawSetI(L, -2, t.id);
    vm.pop(L, 1);
    // fns[ud] = fn
    vm.pushRef(L, this.fnsRef);
    vm.pushValue(L, -2);
    vm.pushValue(L, 1);
    vm.rawSet(L, -3);
    vm.pop(L, 1);
    return 1;
  }

  /** `t:set(ms [, keepref [, runnow]])` → true. */
  private set(L: LState): number {
    const { vm, args } = this.ctx;
    const t = this.checkLive(L, 'set');
    const ms = args.checkTimeout(L, 2, 'set');
    const keepref = vm.type(L, 3) === T_BOOLEAN && vm.toBoolean(L, 3);
    const runnow = vm.toBoolean(L, 4);
    t.interval = ms;
    t.keepref = keepref;
    if (keepref && !t.anchor) {
      vm.pushValue(L, 1);
      t.anchor = vm.ref(L);
    } else if (!keepref) this.dropAnchor(t);
    if (runnow) {
      // Calls fn now, inside set; the callback protocol decides whether it is armed.
      this.disarm(t);
      this.fire(t);
    } else this.arm(t);
    vm.pushBoolean(L, true);
    return 1;
  }

  /** `t:reset(ms)` → true (re-armed from now with the new interval), or nil if not armed. */
  private reset(L: LState): number {
    const { vm, args } = this.ctx;
    const t = this.checkLive(L, 'reset');
    const ms = args.checkTimeout(L, 2, 'reset');
    if (!t.armed) {
      vm.pushNil(L);
      return 1;
    }
    t.interval = ms;
    this.arm(t);
    vm.pushBoolean(L, true);
    return 1;
  }

  // ---- state machine ------------------------------------------------------------------------

  private arm(t: LTimer): void {
    if (t.dead) return;
    this.disarm(t);
    t.handle = setTimeout(() => {
      t.handle = null;
      this.expired(t);
    }, t.interval);
  }

  private disarm(t: LTimer): void {
    if (t.handle) {
      clearTimeout(t.handle);
      t.handle = null;
    }
  }

  /** Stops the timer (cancel, __close); a parked coroutine stays parked for a later set. */
  private cancel(t: LTimer): void {
    this.disarm(t);
    if (!t.task || t.parked) this.dropAnchor(t);
  }

  private dropAnchor(t: LTimer): void {
    if (t.anchor) {
      this.ctx.vm.unref(t.anchor);
      t.anchor = 0;
    }
  }

  /** The timer stopped by itself (callback done without asking for more). */
  private stopped(t: LTimer): void {
    if (!t.armed) this.dropAnchor(t);
  }

  private expired(t: LTimer): void {
    const sched = this.ctx.sched;
    // Node timers never fire while Lua runs; be safe anyway.
    if (sched.current) sched.post(() => this.fire(t));
    else this.fire(t);
  }

  /** Runs the callback: resumes a parked coroutine or starts fn in a new timer task. */
  private fire(t: LTimer): void {
    if (t.dead || t.error !== null) return;
    const { vm, sched } = this.ctx;
    if (t.task) {
      if (!t.parked) {
        // Still in progress (waiting in a blocking call): as BAS's timer thread would, fire
        // once it is done.
        t.fireWhenDone = true;
        return;
      }
      t.parked = false;
      sched.resume(t.task, 0);
      return;
    }
    const task = sched.create('timer', {
      onEnd: (task, nres) => {
        const again = nres > 0 && this.isTrue(task.co, vm.top(task.co) - nres + 1);
        this.callbackDone(t, again);
      },
      onUserYield: (task, nres) => {
        t.parked = true;
        if (nres > 0 && this.isTrue(task.co, vm.top(task.co) - nres + 1)) this.arm(t);
        else this.stopped(t);
      },
      onError: (_task, err) => {
        // "Timer callback failed: <msg>" (the default label of 'timer' tasks).
        sched.traceError('timer', err);
        t.error = err.message;
        t.task = null;
        t.parked = false;
        this.disarm(t);
        this.dropAnchor(t);
      },
    });
    task.userYield = true;
    task.owner = t;
    task.budgetMs = t.budgetMs;
    // fns[objs[id]]
    const co = task.co;
    vm.pushRef(co, this.fnsRef);
    vm.pushRef(co, this.objsRef);
    if (vm.rawGetI(co, -1, t.id) !== T_USERDATA) {
      // Collected meanwhile (its __gc has not run yet).
      vm.settop(co, 0);
      sched.discard(task);
      return;
    }
    vm.rawGet(co, -3);
    vm.rotate(co, -3, 1);
    vm.pop(co, 2);
    t.task = task;
    sched.resume(task, 0);
  }

  private callbackDone(t: LTimer, again: boolean): void {
    t.task = null;
    t.parked = false;
    if (again) this.arm(t);
    else this.stopped(t);
    if (t.fireWhenDone) {
      // An expiry that arrived while the callback waited in a blocking call: deliver it now,
      // unless the callback's own result re-armed the timer.
      t.fireWhenDone = false;
      if (!again) {
        this.disarm(t);
        this.ctx.sched.post(() => this.fire(t));
      }
    }
  }

  private isTrue(L: LState, idx: number): boolean {
    const vm = this.ctx.vm;
    return vm.type(L, idx) === T_BOOLEAN && vm.toBoolean(L, idx);
  }

  /** __gc: the script dropped its last reference. */
  private collected(t: LTimer): void {
    t.dead = true;
    this.disarm(t);
    this.dropAnchor(t);
    if (t.task && t.parked) this.ctx.sched.discard(t.task);
    t.task = null;
    this.timers.release(t.id, t);
  }

  /** Shutdown and disposal: no timer fires any more. */
  private clearAll(): void {
    for (const t of this.timers.values()) {
      this.disarm(t);
      this.dropAnchor(t);
      t.dead = true;
    }
  }
}

export function installTimer(ctx: BaContext): TimerLib {
  const lib = new TimerLib(ctx);
  lib.install(ctx.vm.L);
  return lib;
}
