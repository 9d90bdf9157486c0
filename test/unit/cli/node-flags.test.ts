// The V8 flags of src/cli/node-flags.ts are on the `remora` command's #! line and in
// `npm start` (a flag set at run time has no effect, so every way of starting must carry them).
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { REMORA_NODE_FLAGS } from '../../../src/cli/node-flags.js';

test('the #! line of the remora command and npm start carry the V8 flags', () => {
  const shebang = readFileSync('src/cli/main.ts', 'utf8').split('\n')[0]!;
  assert.equal(shebang, `#!/usr/bin/env -S node ${REMORA_NODE_FLAGS.join(' ')}`);
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };
  assert.ok(pkg.scripts.start!.startsWith(`node ${REMORA_NODE_FLAGS.join(' ')} dist/src/cli/main.js`), pkg.scripts.start);
});
