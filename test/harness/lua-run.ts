/**
 * Runs a Lua script in a fresh runtime and returns what it printed; fails the test with the
 * printed output if the script raises. `timeoutMs` disposes of the runtime if it hangs.
 */
import assert from 'node:assert/strict';
import { Runtime } from '../../src/app/runtime.js';
import { MemoryLog } from '../../src/sched/trace-log.js';

export async function runLua(code: string, chunkname = '=t', timeoutMs = 0): Promise<string> {
  const log = new MemoryLog();
  const rt = await Runtime.create({ log, onExit: () => {} });
  const timer = timeoutMs > 0 ? setTimeout(() => rt.dispose(), timeoutMs) : null;
  try {
    const err = await rt.run(code, chunkname);
    assert.equal(err, null, `${err?.message ?? ''}\n${log.text()}`);
    return log.text();
  } finally {
    if (timer) clearTimeout(timer);
    rt.dispose();
  }
}
