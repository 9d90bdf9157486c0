// Runs every compiled test file (dist/test/**/*.test.js) with node's test runner and the leak
// check on (handles and Lua memory after each Lua block), then the Lua blocks, the seed
// examples and the streamed request bodies once more with peers that send one byte at a time.
// Usage: node scripts/run-tests.mjs [filter-substring ...]   (a filter skips the second pass)
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

function run(files, env) {
  const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', '--test-reporter=spec', ...files], {
    stdio: 'inherit',
    env: { ...process.env, ...env },
  });
  return r.status ?? 1;
}

const filters = process.argv.slice(2);
const all = walk('dist/test', []).sort();
const files = all.filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
let status = run(files, { REMORA_LEAK_CHECK: '1' });
if (filters.length === 0) {
  console.log('\n# second pass: one-byte-at-a-time peers, leak check');
  const again = all.filter((f) => f.endsWith('lua/blocks.test.js') || /integration\/(seed-|request-body-stream)/.test(f));
  status = run(again, { REMORA_SLOW_PEER: '1', REMORA_LEAK_CHECK: '1' }) || status;
}
process.exit(status);
