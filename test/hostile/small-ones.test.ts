// Issue 14 item 8: timeouts out of node's range, NUL in host names, wrong option types,
// ports out of range, JS internals in error strings, the demo's configuration, a silent port
// fallback, and app IO following symbolic links out of the app.
import test from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { get, startServer } from './harness.js';

function runScript(lua: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'remora-small-'));
  try {
    writeFileSync(join(dir, 'x.lua'), lua);
    const r = spawnSync(process.execPath, ['dist/src/cli/main.js', join(dir, 'x.lua')], { encoding: 'utf8', timeout: 30_000 });
    return r.stdout + r.stderr;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('timeouts of 2^31 ms and more, infinity, NaN and negative', () => {
  const out = runScript(`
local fired = {}
ba.timer(function() fired[#fired + 1] = "2^31" end):set(2^31)
ba.timer(function() fired[#fired + 1] = "inf" end):set(math.huge)
ba.timer(function() fired[#fired + 1] = "2^40" end):set(2^40)
local t0 = ba.clock()
ba.sleep(-5)
print("negative sleep returns at once", ba.clock() - t0 < 1000)
print(pcall(ba.sleep, 0/0))
local r
ba.socket.event(function(s) r = {s:read(2^32)} end)
ba.socket.event(function(s) print(pcall(s.read, s, 0/0)) end)
ba.sleep(300)
print("fired:", #fired, "read returned:", r ~= nil)
os.exit(0)
`);
  assert.match(out, /negative sleep returns at once\ttrue/);
  // The function name comes from the call site, as in Lua ('?' under pcall).
  assert.match(out, /false\tbad argument #1 to '[^']*' \(timeout is NaN\)/);
  assert.match(out, /false\t.*bad argument #2 to '[^']*' \(timeout is NaN\)/);
  assert.match(out, /fired:\t0\tread returned:\tfalse/);
});

test('NUL in host names, wrong option types and ports out of range are refused; no JS internals in errors', () => {
  const out = runScript(`
local l = ba.socket.bind(0, {intf = "127.0.0.1"})
local _, port = l:sockname()
print(ba.socket.connect("127.0.0.1\\0evil", port))
print(pcall(ba.socket.bind, 0, {intf = 123}))
print(pcall(ba.socket.bind, 0, {shark = "x"}))
print(pcall(ba.socket.udpcon, -1))
print(pcall(ba.socket.connect, "127.0.0.1", -1))
print(pcall(ba.socket.bind, 65536))
os.exit(0)
`);
  assert.equal(
    out.replace(/x\.lua:\d+: /g, '').replace(/ to '[^']*' /g, ' to ? '),
    [
      'nil\tcannotresolve\tName or service not known',
      "false\tbad argument #2 to ? (intf: string expected, got number)",
      "false\tbad argument #2 to ? (shark: SharkSSL object expected, got string)",
      "false\tbad argument #1 to ? (port out of range)",
      "false\tbad argument #2 to ? (port out of range)",
      "false\tbad argument #1 to ? (port out of range)",
      '',
    ].join('\n'),
  );
  assert.doesNotMatch(out, /BigInt|should be >=|Received type/);
});

test('the demo configuration is outside the served app directories and names 127.0.0.1', () => {
  assert.equal(existsSync('examples/demo/mako.conf'), false);
  const conf = readFileSync('examples/demo.conf', 'utf8');
  assert.match(conf, /^host = "127\.0\.0\.1"/m);
  assert.match(conf, /^sslhost = "127\.0\.0\.1"/m);
  assert.match(readFileSync('package.json', 'utf8'), /-c examples\/demo\.conf/);
});

test('a busy port: the fallback is announced with the port that was busy and the one used', async () => {
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  const busy = (blocker.address() as net.AddressInfo).port;
  const srv = await startServer({}, `port = ${busy}`);
  try {
    assert.notEqual(srv.port, busy);
    assert.match(srv.out(), new RegExp(`remora: HTTP port ${busy} could not be opened \\(in use\\); using port ${srv.port} instead`));
  } finally {
    await srv.stop();
    blocker.close();
  }
});

test('app IO refuses symbolic links that lead out of the app (HTTP does too); iosymlinks = true allows them', async () => {
  const outside = mkdtempSync(join(tmpdir(), 'remora-outside-'));
  writeFileSync(join(outside, 'secret.txt'), 'outside\n');
  mkdirSync(join(outside, 'sub'));
  const page = `<?lsp
local f, err = app.io:open("out/secret.txt")
response:write(f and f:read("a") or tostring(err), "|")
local g, err2 = app.io:open("out/new.txt", "w")
response:write(g and "created" or tostring(err2), "|")
local h = app.io:open("in/inside.txt")
response:write(h and h:read("a") or "no")
?>`;
  const prep = (dir: string): void => {
    symlinkSync(outside, join(dir, 'app', 'out'));
    mkdirSync(join(dir, 'real'));
    writeFileSync(join(dir, 'real', 'inside.txt'), 'inside');
    symlinkSync(join(dir, 'app', 'sub'), join(dir, 'app', 'in'));
  };
  try {
    for (const [conf, want] of [
      ['', 'noaccess|noaccess|in\n'],
      ['iosymlinks = true', 'outside\n|created|in\n'],
    ] as const) {
      const srv = await startServer({ 'io.lsp': page, 'sub/inside.txt': 'in\n' }, conf);
      try {
        prep(srv.dir);
        const r = await get(srv.port, '/io.lsp');
        assert.equal(r.body, want);
        assert.equal((await get(srv.port, '/out/secret.txt')).status, 404);
      } finally {
        await srv.stop();
      }
    }
  } finally {
    rmSync(outside, { recursive: true, force: true });
  }
});
