// Temporary directories that are removed when the test file's tests have run.
import { after } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];
let hooked = false;

/** A new empty directory under the system temp directory, removed after the file's tests. */
export function tempDir(prefix = 'remora-test-'): string {
  if (!hooked) {
    hooked = true;
    after(() => {
      for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
    });
  }
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.push(d);
  return d;
}
