#!/usr/bin/env node
// Re-records the compat suite's expected outputs (test/compat/probes/*/expected.txt) from a real
// Mako Server. Not run by CI. Build first (npm run build), then:
//   node scripts/compat-record.mjs --mako /path/to/mako [probe-name-substring ...]
// The Mako binary needs its mako.zip beside it. Probes run one at a time on 127.0.0.1 with fresh
// ports. --check compares instead of writing (exit status 1 on a difference).
import { writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { diffLines, listProbes, readExpected, runProbe } from '../dist/test/compat/probe-runner.js';

const args = process.argv.slice(2);
let mako = '';
let check = false;
const filters = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--mako') mako = args[++i] ?? '';
  else if (args[i] === '--check') check = true;
  else filters.push(args[i]);
}
if (!mako) {
  console.error('usage: node scripts/compat-record.mjs --mako /path/to/mako [--check] [probe ...]');
  process.exit(2);
}
let status = 0;
for (const dir of listProbes()) {
  if (filters.length && !filters.some((f) => dir.includes(f))) continue;
  const r = await runProbe(dir, { kind: 'mako', argv: [resolve(mako)] });
  const file = join(dir, 'expected.txt');
  if (check) {
    let old = [];
    try { old = readExpected(file); } catch {}
    const d = diffLines(old, r.lines);
    console.log(`${d ? 'DIFF' : 'same'} ${basename(dir)}${d ? '\n' + d : ''}`);
    if (d) status = 1;
  } else {
    writeFileSync(file, r.lines.join('\n') + '\n');
    console.log(`recorded ${basename(dir)} (${r.lines.length} lines${r.timedOut ? ', TIMED OUT' : ''})`);
  }
}
process.exit(status);
