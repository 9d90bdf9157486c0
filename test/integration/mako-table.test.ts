// The mako table and the app environment as Mako defines them, and Mako's HTTP response
// defaults for pages and app files (issue 12 items 4 and 5).
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { RawClient, request, startTestServer } from '../harness/app-server.js';

const CLI = 'dist/src/cli/main.js';

test('mako table: Mako fields with their types, onexit after onunload, tracefile, getapps', () => {
  const d = mkdtempSync(join(tmpdir(), 'remora-mako-'));
  try {
    mkdirSync(join(d, 'app'));
    writeFileSync(join(d, 'mako.conf'), 'port = 0\nsslport = 0\n');
    writeFileSync(
      join(d, 'app', '.preload'),
      `
local names = {"version","date","BAS","execpath","cfgfname","cfgdir","cwd","env","daemon","rtldir",
  "argv","exit","onexit","tracefile","log","dos2unix","sharkclient","loadcerts","createloader",
  "createapp","startapp","stopapp","reloadapp","removeapp","getapps"}
for _, k in ipairs(names) do _G.io.write(k, "=", type(mako[k]), " ") end print()
print(mako.version, mako.BAS, mako.date:match("^%a%a%a [ %d]%d %d%d%d%d$") ~= nil, mako.daemon)
print(mako.cfgdir == ${JSON.stringify(d)}, mako.cwd == ${JSON.stringify(d)}, mako.env.REMORA_T == "yes")
print(mako.dos2unix("a\\\\b"), mako.log("x"), mako.sharkclient == ba.sharkclient, mako.loadcerts())
print(mako.rtldir:baseuri(), #mako.getapps(), pcall(mako.tracefile))
print(package.cpath:sub(1, #mako.execpath + 6) == mako.execpath .. "/?.so;")
mako.onexit(function() print("onexit 1") end, true)
local f = function() print("never") end
mako.onexit(f, true) mako.onexit(f, false)
mako.onexit(function() error("boom") end, true)
function onunload() print("onunload") end
ba.timer(function()
  print("getapps", #mako.getapps(), mako.getapps()[1] == ${JSON.stringify(join(d, 'app'))})
  print("tracefile", mako.tracefile(${JSON.stringify(join(d, 'trace.txt'))}))
  print("to the file")
  mako.exit()
end):set(10, true)
`,
    );
    const r = spawnSync(process.execPath, [resolve(CLI), '-c', join(d, 'mako.conf'), '-l', `::${join(d, 'app')}`], {
      encoding: 'utf8',
      timeout: 20000,
      cwd: d,
      env: { ...process.env, REMORA_T: 'yes' },
    });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const lines = r.stdout.split('\n');
    assert.equal(
      lines[0],
      'version=string date=string BAS=string execpath=string cfgfname=string cfgdir=string cwd=string env=table daemon=boolean rtldir=userdata ' +
        'argv=table exit=function onexit=function tracefile=function log=function dos2unix=function sharkclient=function loadcerts=function ' +
        'createloader=function createapp=function startapp=function stopapp=function reloadapp=function removeapp=function getapps=function ',
    );
    assert.deepEqual(lines.slice(1), [
      '4.3\t5711\ttrue\tfalse',
      'true\ttrue\ttrue',
      'a\\b\tfalse\ttrue\tnil\tNo Cert',
      "/rtl/\t0\tfalse\tbad argument #1 to '?' (string expected, got no value)",
      'true',
      'getapps\t1\ttrue',
      '',
    ]);
    const traced = readFileSync(join(d, 'trace.txt'), 'utf8').split('\n');
    assert.deepEqual(traced.slice(0, 3), ['tracefile\ttrue', 'to the file', 'onunload']);
    // onexit functions run after onunload, in no particular order; a failing one is reported.
    const rest = traced.slice(3);
    assert.ok(rest.includes('onexit 1'), traced.join('\n'));
    assert.ok(rest.some((l) => /^'onexit' func failed: .*\.preload:14: boom$/.test(l)), traced.join('\n'));
    assert.ok(!rest.includes('never'));
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

test('HTTP defaults: page Content-Type, Cache-Control, chunked, Server and the app security fields', async () => {
  const s = await startTestServer([{ name: '', prio: 0, path: 'test/fixtures/apps/defaults' }]);
  try {
    const page = await request(s.port, '/index.lsp');
    assert.equal(page.body, 'hello\n');
    assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(page.headers['cache-control'], 'no-store, no-cache, must-revalidate, max-age=0');
    assert.equal(page.headers['transfer-encoding'], 'chunked');
    assert.equal(page.headers['content-length'], undefined);
    assert.equal(page.headers['server'], 'remora (Posix)');
    assert.equal(page.headers['x-content-type'], 'nosniff');
    assert.equal(page.headers['x-content-type-options'], 'nosniff');
    assert.equal(page.headers['x-xss-protection'], '1; mode=block');
    assert.equal(page.headers['x-frame-options'], 'DENY'); // dir:header in .preload

    const typed = await request(s.port, '/typed.lsp');
    assert.equal(typed.headers['content-type'], 'text/plain');
    assert.equal(typed.headers['cache-control'], 'max-age=60');

    const len = await request(s.port, '/length.lsp');
    assert.equal(len.body, '12345');
    assert.equal(len.headers['content-length'], '5');
    assert.equal(len.headers['transfer-encoding'], undefined);

    const head = await request(s.port, '/index.lsp', { method: 'HEAD' });
    assert.equal(head.headers['content-length'], '6');

    const file = await request(s.port, '/s.txt');
    assert.equal(file.headers['x-content-type'], 'nosniff');
    assert.equal(file.headers['x-frame-options'], 'DENY');
    assert.equal(file.headers['cache-control'], undefined);
    assert.equal(file.headers['server'], 'remora (Posix)');

    // HTTP/1.0: no chunked framing; the end of the body is the end of the connection.
    const c = new RawClient(s.port);
    c.send('GET /index.lsp HTTP/1.0\r\n\r\n');
    const text = await c.until(/\r\n\r\nhello\n$/);
    assert.doesNotMatch(text, /Transfer-Encoding|Content-Length/);
    assert.match(text, /\r\nConnection: close\r\n/);
    c.destroy();
  } finally {
    s.close();
  }
});
