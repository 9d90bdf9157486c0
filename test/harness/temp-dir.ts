// Temporary directories that are removed when the test file's tests have run (and, should a
// test end the process early, when the process exits).
import { after } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];

function removeAll(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}

// Registered when the test file imports this module, so the hook belongs to the file, not to
// the test that first asks for a directory.
after(removeAll);
process.on('exit', removeAll);

/** A new empty directory under the system temp directory, removed after the file's tests. */
export function tempDir(prefix = 'remora-test-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.push(d);
  return d;
}
