// The `remora` command as users run it: one-line errors with exit status 2, one-shot scripts,
// graceful shutdown on SIGTERM (onunload, then waiting cosockets get "sysshutdown").
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CLI = 'dist/src/cli/main.js';
const run = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 20000 });
const tmp = () => mkdtempSync(join(tmpdir(), 'remora-cli-'));

test('a missing app directory is a one-line error with status 2', () => {
  const r = run('-l', '::/no/such/dir');
  assert.equal(r.status, 2);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.match(r.stderr, /^remora: app directory not found: \/no\/such\/dir$/m);
});

test('a missing script is a one-line error with status 2', () => {
  const r = run('/no/such/script.lua');
  assert.equal(r.status, 2);
  assert.equal(r.stderr.trim(), 'remora: no such script or directory: /no/such/script.lua');
});

test('a configuration file with a syntax error is one line and status 2', () => {
  const d = tmp();
  writeFileSync(join(d, 'bad.conf'), 'port = = 9\n');
  const r = run('-c', join(d, 'bad.conf'), d);
  assert.equal(r.status, 2);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.match(r.stderr, /^remora: configuration error: .*bad\.conf:1: unexpected symbol near '='$/m);
});

test('a bad -l value and an unknown option are usage errors', () => {
  const r = run('-l', 'nocolons');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /bad -l value 'nocolons'/);
  const u = run('--bogus');
  assert.equal(u.status, 2);
  assert.match(u.stderr, /unknown option '--bogus'/);
});

test('a one-shot script runs and exits; a Lua error exits 1 with file:line and a traceback', () => {
  const d = tmp();
  writeFileSync(join(d, 'ok.lua'), 'print("hi", 1 + 1)\n');
  writeFileSync(join(d, 'bad.lua'), 'local function f()\n  error("oops")\nend\nf()\n');
  const ok = run(join(d, 'ok.lua'));
  assert.equal(ok.status, 0);
  assert.equal(ok.stdout, 'hi\t2\n');
  const bad = run(join(d, 'bad.lua'));
  assert.equal(bad.status, 1);
  assert.match(bad.stdout, /^-------- Lua error: .*bad\.lua:2: oops$/m);
  assert.match(bad.stdout, /stack traceback:/);
  assert.match(bad.stdout, /bad\.lua:4: in main chunk/);
});

test('os.exit(3) in a script exits with status 3 after onunload-free shutdown', () => {
  const d = tmp();
  writeFileSync(join(d, 'exit.lua'), 'print("before")\nos.exit(3)\nprint("after")\n');
  const r = run(join(d, 'exit.lua'));
  assert.equal(r.status, 3);
  assert.equal(r.stdout, 'before\n');
});

test('SIGTERM runs onunload, then waiting cosockets get sysshutdown, then exit 0', async () => {
  const d = tmp();
  const app = join(d, 'app');
  mkdirSync(app);
  writeFileSync(
    join(app, '.preload'),
    `local l = ba.socket.bind(0, {intf = "127.0.0.1"})
l:event(function(l) print("accept:", l:accept()) end)
ba.socket.event(function(s) print("read:", s:read(600000)) end)
function onunload() print("onunload") end
print("ready")
`,
  );
  const child = spawn(process.execPath, [CLI, '-l', `::${app}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no ready line; got ${out}`)), 15000);
    child.stdout.on('data', () => {
      if (out.includes('ready\n')) {
        clearTimeout(t);
        resolve();
      }
    });
  });
  child.kill('SIGTERM');
  const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  assert.equal(code, 0);
  const lines = out.trim().split('\n');
  assert.equal(lines[0], 'ready');
  assert.equal(lines[1], 'onunload');
  assert.deepEqual(lines.slice(2).sort(), ['accept:\tnil\tsysshutdown', 'read:\tnil\tsysshutdown']);
});
