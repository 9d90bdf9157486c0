/**
 * The trace log: where `trace`, `print` outside pages and every runtime message (errors in
 * cosockets, jobs, timers, pages) go. The console by default; tests capture it.
 */
import { closeSync, openSync, writeSync } from 'node:fs';

export interface TraceLog {
  /** Writes text as is (callers add the newline). */
  write(text: string | Uint8Array): void;
}

/** File the console log writes to instead of stdout (mako.tracefile), or -1. */
let traceFd = -1;

export const consoleLog: TraceLog = {
  write(text) {
    if (traceFd >= 0) writeSync(traceFd, typeof text === 'string' ? Buffer.from(text) : text);
    else process.stdout.write(text);
  },
};

/**
 * mako.tracefile(name): the console log goes to file `name` (created or truncated) from now
 * on; false when it cannot be opened (the log stays where it was).
 */
export function setTraceFile(name: string): boolean {
  let fd: number;
  try {
    fd = openSync(name, 'w');
  } catch {
    return false;
  }
  if (traceFd >= 0) closeSync(traceFd);
  traceFd = fd;
  return true;
}

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
