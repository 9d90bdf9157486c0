// One-shot scripts (`remora script.lua`) have what the Mako Server's script mode has and
// RealTimeLogic's OPC UA examples use: mako.exit(code) sets the exit status, and
// mako.createloader(io) adds a searcher for the IO's .lua folder.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
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

test('remora script.lua: what a script printed before mako.exit() reaches a reader that reads late', async () => {
  // 2 MB of prints fill any pipe; the reader reads nothing until the script has written its
  // marker file (after its last print, just before mako.exit). Node queues what a full pipe
  // cannot take, and an exit that did not wait for that queue lost the end of the output.
  const d = tempDir('remora-script-');
  const marker = join(d, 'printed');
  writeFileSync(
    join(d, 'main.lua'),
    [
      'local line = ("x"):rep(95)',
      'for i = 1, 20000 do print(("%05d"):format(i), line) end',
      `local f = ba.openio("disk"):open(${JSON.stringify(marker)}, "w") f:write("1") f:close()`,
      'mako.exit(4)',
    ].join('\n'),
  );
  const child = spawn(process.execPath, [CLI, 'main.lua'], { cwd: d, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((res) => child.on('close', (code) => res(code)));
  // Harness deadline (not what is tested): the script prints for a while on a loaded machine.
  for (let i = 0; i < 3000 && !existsSync(marker) && child.exitCode === null; i++) await sleep(20);
  assert.ok(existsSync(marker), 'the script did not get to its marker');
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
  assert.equal(await exited, 4, err);
  const lines = out.split('\n');
  assert.equal(lines.length, 20001, `last line: ${lines.at(-2)}`);
  assert.equal(lines[19999], `20000\t${'x'.repeat(95)}`);
});
