// The `remora` command as users run it: one-line errors with exit status 2, one-shot scripts,
// graceful shutdown on SIGTERM (onunload, then waiting cosockets get "sysshutdown").
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startCli } from '../harness/net-util.js';
import { tempDir } from '../harness/temp-dir.js';

const CLI = resolve('dist/src/cli/main.js');
const run = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 20000 });
const tmp = () => tempDir('remora-cli-');

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

test('bad option values name the value, in one line without the usage text', () => {
  const cases: [string[], string][] = [
    [['-l', 'nocolons'], "remora: bad -l value 'nocolons': expected <name>:<prio>:<path>"],
    [['--bogus'], "remora: unknown option '--bogus' (remora --help lists the options)"],
    [['-p', 'abc', '.'], "remora: bad port 'abc' for -p: expected 0-65535"],
    [['-p70000', '.'], "remora: bad port '70000' for -p: expected 0-65535"],
    [['-w', 'abc', '.'], "remora: bad worker count 'abc' for -w: expected 0-64"],
    [['--sslport', '-1', '.'], "remora: bad port '-1' for --sslport: expected 0-65535"],
    [['--sslport=x', '.'], "remora: bad port 'x' for --sslport: expected 0-65535"],
    [['--no-https=1', '.'], "remora: option '--no-https' takes no value"],
    [['--host'], 'remora: --host needs a value'],
    [['--no-https', '--sslport', '0', '.'], 'remora: --no-https and --sslport contradict each other'],
    [[], 'remora: nothing to run: give -l<name>:<prio>:<path>, a directory, or a script (remora --help lists the options)'],
  ];
  for (const [args, line] of cases) {
    const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 20000, cwd: tmp() });
    assert.equal(r.status, 2, args.join(' '));
    assert.equal(r.stderr, line + '\n', args.join(' '));
  }
});

test('--help lists --host, --sslport and --no-https', () => {
  const r = run('--help');
  assert.equal(r.status, 0);
  assert.match(r.stdout, /--host addr/);
  assert.match(r.stdout, /--sslport port/);
  assert.match(r.stdout, /--no-https/);
});

test('--host, --sslport and --no-https reach the listeners; sslport = false in the configuration turns HTTPS off', async () => {
  const d = tmp();
  writeFileSync(join(d, 'index.lsp'), '<?lsp print(mako.port, mako.sslport) ?>');
  writeFileSync(join(d, 'none.conf'), 'sslport = false\n');
  const get = async (url: string) => (await fetch(url)).text();
  const both = await startCli(['-p', '0', '--sslport', '0', '--host', '127.0.0.1', d]);
  try {
    assert.ok(both.sslport > 0, both.out());
    assert.equal(await get(`http://127.0.0.1:${both.port}/`), `${both.port}\t${both.sslport}\n`);
    // --host 127.0.0.1: nothing listens on the other loopback address.
    await assert.rejects(fetch(`http://127.0.0.2:${both.port}/`));
  } finally {
    both.child.kill('SIGTERM');
    await both.exited;
  }
  for (const args of [['--no-https'], ['-c', join(d, 'none.conf')]]) {
    const p = await startCli(['-p', '0', '--host', '127.0.0.1', ...args, d]);
    try {
      assert.match(p.out(), /HTTP server listening on port \d+\n/);
      assert.doesNotMatch(p.out(), /HTTPS/);
      assert.equal(await get(`http://127.0.0.1:${p.port}/`), `${p.port}\tnil\n`);
    } finally {
      p.child.kill('SIGTERM');
      await p.exited;
    }
  }
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
