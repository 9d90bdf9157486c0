// require as in Lua 5.4 and the Mako Server, on the host file system (issue 12 item 1): the
// `remora` command with modules laid out like a BAS-Resources checkout (a folder holding
// `.lua/`, nested `pkg/sub.lua`) reached through the `modules` configuration key or an `-l`
// mount, and Lua files on package.path (LUA_PATH, `?/init.lua`, a `#!` first line).
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const CLI = 'dist/src/cli/main.js';
const FIX = resolve('test/fixtures/modules');

function run(args: string[], env: Record<string, string> = {}) {
  const e: NodeJS.ProcessEnv = { ...process.env, ...env };
  for (const k of ['LUA_PATH_5_4', 'LUA_CPATH_5_4', 'LUA_CPATH']) delete e[k];
  if (!env.LUA_PATH) delete e.LUA_PATH;
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 20000, env: e });
}

function withDir(f: (dir: string) => void): void {
  const d = mkdtempSync(join(tmpdir(), 'remora-modules-'));
  try {
    f(d);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
}

test('modules folder and package.path: require, searchpath, messages, loadfile, loadconf', () => {
  withDir((d) => {
    writeFileSync(join(d, 'mako.conf'), `port = 0\nmodules = { ${JSON.stringify(join(FIX, 'lib'))} }\nmysetting = "from conf"\n`);
    writeFileSync(
      join(d, 'main.lua'),
      `
local top, extra = require "top"
print("top", top.name, top.args[1], top.args[2], extra, top.where())
local sub = require "pkg.sub"
print("pkg.sub", sub.name, sub.top == top)
local a, afile = require "a"
print("a", a.name, a.args[1], afile == a.args[2], afile:sub(-#"path/a/init.lua"))
local ab, abfile = require "a.b"
print("a.b", ab.name, ab.parent == a, abfile:sub(-#"path/a/b.lua"))
print("searchpath", (package.searchpath("a.b", package.path):sub(-#"path/a/b.lua")))
print("searchpath miss", package.searchpath("x_y", "/nowhere/?.lua;;/q/?.x", "_", "/"))
print("searchers", #package.searchers)
local ok, err = pcall(require, "bad")
print("bad", ok, (err:gsub("near.*", "")))
ok, err = pcall(require, "nope.deep")
print(err)
print(pcall(require))
print(loadfile(${JSON.stringify(join(FIX, 'path/shebang.lua'))})(1, 2))
print(pcall(dofile, ${JSON.stringify(join(FIX, 'path/shebang.lua'))}))
print(loadfile("/no/such/file.lua"))
print(loadfile(${JSON.stringify(join(FIX, 'path/shebang.lua'))}, "b"))
local env = {}
local f = loadfile(${JSON.stringify(join(FIX, 'path/a/init.lua'))}, "t", env)
print("env", type(f), f().name)
local conf = require "loadconf"
print("loadconf", conf.mysetting, conf.port, type(conf.load), conf.load().mysetting)
`,
    );
    const r = run(['-c', join(d, 'mako.conf'), join(d, 'main.lua')], { LUA_PATH: `${FIX}/path/?.lua;${FIX}/path/?/init.lua;;` });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const out = r.stdout;
    const lines = out.split('\n');
    const dflt = [
      '/usr/local/share/lua/5.4/?.lua',
      '/usr/local/share/lua/5.4/?/init.lua',
      '/usr/local/lib/lua/5.4/?.lua',
      '/usr/local/lib/lua/5.4/?/init.lua',
      './?.lua',
      './?/init.lua',
    ];
    const path = [`${FIX}/path/?.lua`, `${FIX}/path/?/init.lua`, ...dflt];
    const execpath = resolve('.');
    const cpath = [`${execpath}/?.so`, '/usr/local/lib/lua/5.4/?.so', '/usr/local/lib/lua/5.4/loadall.so', './?.so'];
    const notFound = [
      "module 'nope.deep' not found:",
      "\tno field package.preload['nope.deep']",
      '\t.lua/nope/deep.lb',
      ...path.map((p) => `\tno file '${p.replace('?', 'nope/deep')}'`),
      ...cpath.map((p) => `\tno file '${p.replace('?', 'nope/deep')}'`),
      ...cpath.map((p) => `\tno file '${p.replace('?', 'nope')}'`),
    ];
    assert.deepEqual(lines, [
      'top\ttop\ttop\tnil\tnil\t@.lua/top.lua',
      'pkg.sub\tpkg.sub\ttrue',
      `a\ta\ta\ttrue\tpath/a/init.lua`,
      'a.b\ta.b\ttrue\tpath/a/b.lua',
      'searchpath\tpath/a/b.lua',
      "searchpath miss\tnil\tno file '/nowhere/x/y.lua'\n\tno file ''\n\tno file '/q/x/y.x'",
      'searchers\t5',
      "bad\tfalse\terror loading module 'bad' from file '.lua/bad.lua':\n\t.lua/bad.lua:2: '}' expected (to close '{' at line 1) ",
      ...notFound,
      "false\tbad argument #1 to 'require' (string expected, got no value)",
      'shebang\t1\t2',
      'true\tshebang',
      'nil\tcannot open /no/such/file.lua: No such file or directory',
      "nil\tattempt to load a text chunk (mode is 'b')",
      'env\tfunction\ta',
      'loadconf\tfrom conf\t0\tfunction\tfrom conf',
      '',
    ].join('\n').split('\n'));
  });
});

test('every app .lua folder is searched; an -l mount makes a checkout requireable; createloader as Mako', () => {
  withDir((d) => {
    writeFileSync(join(d, 'mako.conf'), 'port = 0\nsslport = 0\n');
    const r = run(['-c', join(d, 'mako.conf'), '-l', `lib::${join(FIX, 'lib')}`, '-l', `::${join(FIX, 'app')}`]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.deepEqual(r.stdout.split('\n'), ['own\town', 'top\ttop', 'createloader\tfunction\ttrue\tfunction\tnil', 'dir\tuserdata\t/\ttrue\ttrue', '']);
  });
});

test('a modules folder without .lua is a one-line configuration error', () => {
  withDir((d) => {
    writeFileSync(join(d, 'mako.conf'), `modules = { ${JSON.stringify(d)} }\n`);
    writeFileSync(join(d, 'x.lua'), 'print(1)\n');
    const r = run(['-c', join(d, 'mako.conf'), join(d, 'x.lua')]);
    assert.equal(r.status, 2);
    assert.equal(r.stderr, `remora: configuration error: ${join(d, 'mako.conf')}: 'modules': no .lua folder in ${d}\n`);
  });
});
