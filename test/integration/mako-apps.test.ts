// mako.createapp/stopapp/startapp/reloadapp/removeapp: apps named by their environment table (as
// in Mako) or by their mount name; each step checked over HTTP on the server's own port.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const CLI = 'dist/src/cli/main.js';

test('mako app functions take the app environment (as Mako) or the mount name', () => {
  const d = mkdtempSync(join(tmpdir(), 'remora-apps-'));
  try {
    mkdirSync(join(d, 'app'));
    mkdirSync(join(d, 'sub'));
    writeFileSync(join(d, 'mako.conf'), 'port = 0\nsslport = false\nhost = "127.0.0.1"\n');
    writeFileSync(join(d, 'sub', 'x.txt'), 'x\n');
    writeFileSync(join(d, 'sub', '.preload'), 'print("sub preload")\nfunction onunload() print("sub onunload") end\n');
    writeFileSync(
      join(d, 'app', '.preload'),
      `
local sub = ${JSON.stringify(join(d, 'sub'))}
local function get()
  local h = require"httpc".create()
  h:request{url = "http://127.0.0.1:" .. mako.port .. "/s/x.txt"}
  local st = h:status()
  h:close()
  return st
end
ba.thread.run(function()
  local env, dir = mako.createapp("s", 0, sub)
  print("createapp", type(env), tostring(dir):match("^%a+"), get())
  print("stop env", mako.stopapp(env), get())
  print("start env", type(mako.startapp(env)), get())
  print("reload env", type(mako.reloadapp(env)), get())
  print("stop name", mako.stopapp("s"), get())
  print("start old env", type(mako.startapp(env)), get())
  print("unknown table", mako.stopapp({}))
  print("remove env", mako.removeapp(env), get())
  print("start removed", mako.startapp(env))
  mako.exit()
end)
`,
    );
    const r = spawnSync(process.execPath, [resolve(CLI), '-c', join(d, 'mako.conf'), '-l', `::${join(d, 'app')}`], {
      encoding: 'utf8',
      timeout: 20000,
      cwd: d,
    });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const lines = r.stdout.split('\n').filter((l) => l && !l.startsWith('HTTP server'));
    assert.deepEqual(lines, [
      'sub preload',
      'createapp\ttable\tRESRDR\t200',
      'sub onunload',
      'stop env\ttrue\t404',
      'sub preload',
      'start env\ttable\t200',
      'sub onunload',
      'sub preload',
      'reload env\ttable\t200',
      'sub onunload',
      'stop name\ttrue\t404',
      'sub preload',
      'start old env\ttable\t200',
      'unknown table\tnil\tnotfound',
      'sub onunload',
      'remove env\ttrue\t404',
      'start removed\tnil\tnotfound',
    ]);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});
