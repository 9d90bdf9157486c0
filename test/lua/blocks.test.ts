// Runs every data-driven Lua block in test/lua/*.blocks (see test/harness/lua-blocks.ts).
// REMORA_SLOW_PEER=1 runs the same blocks with a peer that sends one byte at a time.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { matchOutput, parseBlocks, runBlock } from '../harness/lua-blocks.js';

const dir = 'test/lua';
const slow = process.env.REMORA_SLOW_PEER === '1';
const only = process.env.REMORA_BLOCK;
for (const f of readdirSync(dir).filter((f) => f.endsWith('.blocks')).sort()) {
  for (const b of parseBlocks(join(dir, f))) {
    if (only && !b.name.includes(only)) continue;
    const skip =
      slow && b.skip.includes('slow')
        ? `not run with the one-byte peer: ${b.skipReason ?? 'what the block checks depends on the peer sending its data in whole pieces'}`
        : false;
    test(`${f}: ${b.name}${slow ? ' (slow peer)' : ''}`, { skip }, async () => {
      const r = await runBlock(b, slow);
      const diff = matchOutput(b.out, r.output);
      assert.deepEqual(r.peerErrors, [], `peer errors; output was:\n${r.output}`);
      assert.equal(diff, null, `${diff}\n--- output was:\n${r.output}`);
    });
  }
}
