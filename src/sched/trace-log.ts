/**
 * The trace log: where `trace`, `print` outside pages and every runtime message (errors in
 * cosockets, jobs, timers, pages) go. The console by default; tests capture it.
 */
export interface TraceLog {
  /** Writes text as is (callers add the newline). */
  write(text: string | Uint8Array): void;
}

export const consoleLog: TraceLog = {
  write(text) {
    process.stdout.write(text);
  },
};

/** A log that keeps everything in memory, for tests and embedding. */
export class MemoryLog implements TraceLog {
  private chunks: string[] = [];
  private listeners: Array<() => void> = [];
  write(text: string | Uint8Array): void {
    this.chunks.push(typeof text === 'string' ? text : Buffer.from(text).toString('latin1'));
    for (const l of this.listeners.splice(0)) l();
  }
  text(): string {
    return this.chunks.join('');
  }
  /** Resolves on the next write. */
  next(): Promise<void> {
    return new Promise((r) => this.listeners.push(r));
  }
}
