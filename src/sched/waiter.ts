/**
 * The one suspension contract. A host function that cannot answer at once creates a `Wait`
 * for the running task, hooks it to its event source (a socket's reader slot, a drain
 * callback, a timer, a file-system callback, a promise) and returns `sched.suspend(L, w)`.
 * The event calls `w.complete(push)`: `push` puts the results on the task's coroutine and the
 * task resumes with them. A wait completes once; `abort` (the task ended, was discarded, or
 * the runtime shuts down) detaches it, after which a late event finds it done and does nothing.
 *
 * Answer at once whenever the answer is there: a yield is the expensive path.
 */
import { LuaRaise } from '../vm/lua-error.js';
import type { LState } from '../vm/lua-vm.js';
import type { Scheduler, Task, Waiter } from './scheduler.js';

export type { Waiter } from './scheduler.js';

/** Pushes a wait's results onto the resumed coroutine; returns how many. */
export type PushResults = (L: LState) => number;

export class Wait implements Waiter {
  // `timer` and `onAbort` have their default (null) on the prototype (the static block): most
  // waits set neither, and a cosocket waiting for its next message does not carry them.
  /** Timeout of the wait, cleared when it completes or is aborted. */
  declare timer: NodeJS.Timeout | null;
  done = false;
  /** Called when the wait is aborted (not when it completes). */
  declare onAbort: (() => void) | null;

  static {
    Wait.prototype.timer = null;
    Wait.prototype.onAbort = null;
  }

  constructor(
    readonly state: string,
    readonly task: Task,
  ) {}

  /** A wait for the running task; raises when no task is running. */
  static of(sched: Scheduler, state: string, what: string): Wait {
    const task = sched.current;
    if (!task) throw new LuaRaise(`${what}: no coroutine to suspend`);
    return new Wait(state, task);
  }

  /** True while the task still waits on this wait. */
  get live(): boolean {
    return !this.task.done && this.task.waiting === this;
  }

  /** Unhooks the wait from its event source when it completes or is aborted (sockets: the reader slot). */
  protected detach(): void {}

  abort(): void {
    this.done = true;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.detach();
    const f = this.onAbort;
    if (f !== null) {
      this.onAbort = null;
      f();
    }
  }

  private finish(): void {
    this.done = true;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.detach();
    if (this.onAbort !== null) this.onAbort = null;
  }

  /**
   * Completes the wait without resuming: true when its task still waits here and the caller
   * resumes it at once (only where no Lua runs). Saves `complete`'s closures on hot paths.
   */
  settle(): boolean {
    if (this.done) return false;
    this.finish();
    return this.live;
  }

  /**
   * Completes the wait: `push` runs on the waiting coroutine when it is resumed. Never resumes
   * from inside another coroutine's host call (then it runs once Lua has unwound), except with
   * `nested`, where BAS does: close() from outside runs the closed cosocket at once.
   */
  complete(push: PushResults, nested = false): void {
    if (this.done) return;
    this.finish();
    const sched = this.task.sched;
    if (sched.current && !(nested && sched.current !== this.task)) sched.post(() => this.resume(push));
    else this.resume(push);
  }

  /** Resumes the task with `push`'s results if it still waits here (call where no Lua runs). */
  resume(push: PushResults): void {
    const task = this.task;
    if (task.done || task.waiting !== this) return;
    task.sched.resume(task, push(task.co));
  }
}
