/**
 * What `ba.openio` IO objects and the standard `io` library replacement share: running an
 * fs-op for a Lua call (one suspension contract) and the registry of open
 * file objects.
 *
 * `run` completes at once when the operation needs no request (data already buffered);
 * otherwise it suspends only the calling coroutine and resumes it from the libuv callback
 * (docs/compat.md). Where Lua cannot yield (metamethods, `require` searchers,
 * table.sort comparators, the main state) it performs the requests synchronously instead.
 * Operations on one file are serialized: a second coroutine queues behind the first.
 */
import fs from 'node:fs';
import { LuaRaise } from '../vm/lua-error.js';
import { T_NUMBER, type LState } from '../vm/lua-vm.js';
import type { Task } from '../sched/scheduler.js';
import { Wait } from '../sched/waiter.js';
import { finishAsync, finishSync, runAsync, runSync, start, type FsOp, type Step } from '../fs/fs-op.js';
import { LFile, closeFile, flushWrites, seek, type Whence } from '../fs/buffered-file.js';
import { HandleTable, HandleTag } from '../vm/handles.js';
import type { BaContext } from './context.js';


/** Pushes an operation's results onto L; returns how many. */
export type Pusher<T> = (L: LState, v: T) => number;

export interface FileEntry {
  f: LFile;
  /** Metatable registry ref the object was created with (BAS file or standard file). */
  mt: number;
}

export class IoCore {
  private readonly files: HandleTable<FileEntry>;

  constructor(readonly ctx: BaContext) {
    this.files = new HandleTable(ctx.vm, HandleTag.file);
    ctx.shutdownHooks.push(() => this.closeAll());
  }

  /** Can L wait (suspend) here? */
  canWait(L: LState): boolean {
    const t = this.ctx.sched.current;
    return t !== null && !t.done && this.ctx.vm.isYieldable(L);
  }

  /**
   * Runs `make()`'s operation for the Lua call on L and pushes `ok(v)` or `fail(err)`.
   * Returns the host function's result count (or the suspension marker). `abandon` cleans up
   * a result nobody will receive (the waiting task ended meanwhile); it gets undefined when
   * the operation never ran.
   */
  run<T>(
    L: LState,
    what: string,
    make: () => FsOp<T>,
    ok: Pusher<T>,
    fail: Pusher<unknown>,
    file?: LFile,
    abandon?: (v: T) => void,
  ): number {
    const sched = this.ctx.sched;
    if (file && file.busy) {
      if (!this.canWait(L)) throw new LuaRaise(`${what}: file is in use by another coroutine`);
      const task = sched.current!;
      // The request itself cannot be cancelled; its completion notices the task moved on.
      const w = new Wait('io', task);
      file.queue.push(() => this.startQueued(task, w, make, ok, fail, file, abandon));
      return sched.suspend(L, w, what);
    }
    let g: FsOp<T>;
    let s: Step<T>;
    try {
      g = make();
      s = start(g);
    } catch (e) {
      return fail(L, e);
    }
    if (s.done) return ok(L, s.value);
    if (!this.canWait(L)) {
      let v: T;
      try {
        v = finishSync(g, s.req);
      } catch (e) {
        return fail(L, e);
      }
      return ok(L, v);
    }
    const task = sched.current!;
    const w = new Wait('io', task);
    if (file) file.busy = true;
    finishAsync(g, s.req, (err, v) => this.complete(task, w, err, v as T, ok, fail, file, abandon));
    return sched.suspend(L, w, what);
  }

  private startQueued<T>(
    task: Task,
    w: Wait,
    make: () => FsOp<T>,
    ok: Pusher<T>,
    fail: Pusher<unknown>,
    file: LFile,
    abandon?: (v: T) => void,
  ): void {
    file.busy = true;
    if (!w.live) {
      // Never started: `abandon` gets no result (undefined).
      this.complete(task, w, null, undefined as T, ok, fail, file, abandon);
      return;
    }
    let g: FsOp<T>;
    let s: Step<T>;
    try {
      g = make();
      s = start(g);
    } catch (e) {
      this.complete(task, w, e, undefined as T, ok, fail, file);
      return;
    }
    if (s.done) this.complete(task, w, null, s.value, ok, fail, file, abandon);
    else finishAsync(g, s.req, (err, v) => this.complete(task, w, err, v as T, ok, fail, file, abandon));
  }

  private complete<T>(
    task: Task,
    w: Wait,
    err: unknown,
    v: T,
    ok: Pusher<T>,
    fail: Pusher<unknown>,
    file?: LFile,
    abandon?: (v: T) => void,
  ): void {
    const sched = this.ctx.sched;
    const deliver = (): void => {
      if (file) {
        file.busy = false;
        // Start the next queued operation before resuming, so the resumed coroutine's own
        // next call queues behind it (FIFO).
        file.queue.shift()?.();
      }
      if (!w.live) {
        if (!err && abandon) abandon(v);
        return;
      }
      let n: number;
      try {
        n = err ? fail(task.co, err) : ok(task.co, v);
      } catch (e) {
        this.ctx.log.write(`remora: internal error in file operation: ${(e as Error).stack ?? e}\n`);
        this.ctx.vm.pushNil(task.co);
        this.ctx.vm.pushString(task.co, 'ioerror');
        n = 2;
      }
      sched.resume(task, n);
    };
    // Completions arrive from libuv callbacks; never resume in the middle of running Lua.
    if (sched.current) sched.post(deliver);
    else deliver();
  }

  // ---- file objects ---------------------------------------------------------------------------

  /** Pushes a new userdata for `f` with the metatable at registry ref `mt`. */
  pushFile(L: LState, f: LFile, mt: number): void {
    this.files.push(L, this.files.add({ f, mt }), mt);
  }

  /** The file object at index i (either kind), or null. */
  toFile(L: LState, i: number): FileEntry | null {
    return this.files.at(L, i);
  }

  /** __gc: closes a file the script forgot, in the background. */
  collect(L: LState): void {
    const id = this.files.idAt(L, 1);
    const e = this.files.get(id);
    if (!e) return;
    this.files.release(id);
    const f = e.f;
    if (f.closed) return;
    const bg = (): void => runAsync(closeFile(f), () => {});
    if (f.busy) f.queue.push(bg);
    else bg();
  }

  /** Runtime shutdown: write out buffered data and close every open file. */
  private closeAll(): void {
    for (const e of this.files.values()) {
      if (!e || e.f.closed) continue;
      const f = e.f;
      if (f.busy) {
        // A request is in flight on this descriptor: closing it now could let that operation
        // continue on a reused descriptor number. Close after it instead.
        f.queue.push(() => runAsync(closeFile(f), () => {}));
        continue;
      }
      f.closed = true;
      try {
        runSync(flushWrites(f));
      } catch {
        // Nothing to report to at shutdown.
      }
      try {
        fs.closeSync(f.fd);
      } catch {
        // Already closed.
      }
    }
  }
}

/** seek arguments: ([whence [, offset]]) as in Lua, or (offset) meaning "set". */
export function seekArgs(ctx: BaContext, L: LState, i: number, fname: string): [Whence, number] {
  const args = ctx.args;
  if (ctx.vm.type(L, i) === T_NUMBER) return ['set', args.checkInteger(L, i, fname)];
  const whence = args.optString(L, i, fname, 'cur');
  if (whence !== 'set' && whence !== 'cur' && whence !== 'end') return args.argError(i, fname, `invalid option '${whence}'`);
  return [whence, args.optInteger(L, i + 1, fname, 0)];
}

/**
 * Sets `__gc`, `__close` and `__tostring` of the file metatable at `mtIdx` (shared by BAS file
 * objects and the standard io library's files).
 */
export function setFileMetamethods(ctx: BaContext, core: IoCore, L: LState, mtIdx: number, addrPrefix = '0x'): void {
  const { vm } = ctx;
  vm.setHost(L, mtIdx, '__gc', (L) => {
    core.collect(L);
    return 0;
  });
  vm.setHost(L, mtIdx, '__close', (L) => {
    const e = core.toFile(L, 1);
    if (e && !e.f.closed) return core.run(L, 'close', () => closeFile(e.f), () => 0, () => 0, e.f);
    return 0;
  });
  vm.setHost(L, mtIdx, '__tostring', (L) => {
    const e = core.toFile(L, 1);
    vm.pushString(L, e && !e.f.closed ? `file (${addrPrefix}${vm.toUserdata(L, 1).toString(16)})` : 'file (closed)');
    return 1;
  });
}

/** `f:seek([whence [, offset]])` for both kinds of file object; returns the new position. */
export function seekFile(ctx: BaContext, core: IoCore, L: LState, f: LFile, fail: (L: LState, e: unknown) => number): number {
  const [whence, offset] = seekArgs(ctx, L, 2, 'seek');
  return core.run(
    L,
    'seek',
    () => seek(f, whence, offset),
    (L, pos) => {
      ctx.vm.pushInteger(L, pos);
      return 1;
    },
    fail,
    f,
  );
}
