/**
 * A FIFO job queue with a fixed number of slots, used by `ba.thread` pools and by the LSP page
 * slots. A job starts only after the call that queued it has returned (the pump is posted),
 * in queue order, while fewer than `size` jobs are in progress; a job that waits in a blocking
 * call keeps its slot.
 */
import type { Task } from './scheduler.js';

/** A queued job: starts its task when the pool has a free slot. */
export interface PoolJob {
  /**
   * Creates and resumes the job's task. It must call `pool.admit(task)` before the first
   * resume and `pool.finished(task)` when the task ends (the page runner reuses this).
   */
  start(pool: ThreadPool): void;
  /** The job will never start (shutdown): release what it holds. */
  drop(): void;
}

/**
 * One FIFO job queue with a fixed number of slots: `ba.thread` pools, and the LSP page slots
 * (`commandcnt`), which use the same queue so both keep FIFO order and never start
 * a job inside the call that queued it.
 */
export class ThreadPool {
  /** Jobs not yet started, oldest first. */
  readonly queue: PoolJob[] = [];
  /** Jobs in progress (running or suspended in a blocking call). */
  readonly running = new Set<Task>();
  pumpPosted = false;
  stopped = false;

  constructor(
    readonly id: number,
    public size: number,
    private readonly post: (fn: () => void) => void,
  ) {}

  /** Queues a job; returns the number of jobs waiting to start, this one included. */
  enqueue(job: PoolJob): number {
    if (this.stopped) {
      job.drop();
      return 0;
    }
    this.queue.push(job);
    this.postPump();
    return this.queue.length;
  }

  /** A job's task takes its slot (before it is first resumed). */
  admit(task: Task): void {
    this.running.add(task);
  }

  /** A job's task ended: its slot is free. */
  finished(task: Task): void {
    this.running.delete(task);
    // Deferred: the next job must not start inside the resume that ended this one. Nothing
    // queued: nothing to start (enqueue posts its own pump), so no microtask per page.
    if (this.queue.length > 0) this.postPump();
  }

  postPump(): void {
    if (this.pumpPosted) return;
    this.pumpPosted = true;
    this.post(() => {
      this.pumpPosted = false;
      this.pump();
    });
  }

  /** Starts queued jobs while the pool has free slots. */
  private pump(): void {
    while (!this.stopped && this.running.size < this.size && this.queue.length > 0) {
      this.queue.shift()!.start(this);
    }
  }

  /** Shutdown: queued jobs never start. */
  stop(): void {
    this.stopped = true;
    for (const job of this.queue.splice(0)) job.drop();
  }
}
