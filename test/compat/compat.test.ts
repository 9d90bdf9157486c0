/**
 * The compat suite (issue 11): every probe in test/compat/probes/ runs on remora and its output
 * must equal the output recorded from a real Mako Server (expected.txt), or the documented
 * remora variant (expected.remora.txt, each changed line explained in docs/compat.md).
 * REMORA_COMPAT=<substring> runs only the matching probes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { REMORA, diffLines, expectedFile, listProbes, readExpected, runProbe } from './probe-runner.js';

const only = process.env.REMORA_COMPAT;
const probes = listProbes().filter((d) => !only || d.includes(only));

test('compat probes match the Mako recording', { concurrency: 2 }, async (t) => {
  const runs = [];
  for (const dir of probes) {
    runs.push(t.test(basename(dir), async () => {
      const file = expectedFile(dir, 'remora');
      assert.ok(existsSync(file), `${dir}: no expected.txt; record it with scripts/compat-record.mjs`);
      const r = await runProbe(dir, REMORA);
      const diff = diffLines(readExpected(file), r.lines);
      assert.equal(diff, '', `${dir}: output differs from ${basename(file)} (- expected, + remora):\n${diff}`);
    }));
  }
  await Promise.all(runs);
});
