// One-shot scripts (`remora script.lua`) have what the Mako Server's script mode has and
// RealTimeLogic's OPC UA examples use: mako.exit(code) sets the exit status, and
// mako.createloader(io) adds a searcher for the IO's .lua folder.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tempDir } from '../harness/temp-dir.js';

const CLI = resolve('dist/src/cli/main.js');

test('remora script.lua: mako.exit(code) is the exit status; mako.createloader finds <io>/.lua modules', () => {
  const d = tempDir('remora-script-');
  mkdirSync(join(d, 'mods', '.lua'), { recursive: true });
  writeFileSync(join(d, 'mods', '.lua', 'greeting.lua'), 'return { text = "hello from .lua" }\n');
  writeFileSync(
    join(d, 'main.lua'),
    [
      'local io = ba.mkio(ba.openio("home"), "mods")',
      'print(type(mako.createloader(io)))',
      'print(require("greeting").text)',
      'mako.exit(3)',
      'ba.sleep(1000)',
      'print("not reached")',
    ].join('\n'),
  );
  const r = spawnSync(process.execPath, [CLI, 'main.lua'], { cwd: d, encoding: 'utf8', timeout: 20000 });
  assert.equal(r.stdout + r.stderr, 'function\nhello from .lua\n');
  assert.equal(r.status, 3);
});
