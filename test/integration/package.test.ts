// The npm package as users install it: `npm pack`, then `npm install -g` of the tarball into a
// temporary prefix; the installed `remora` command runs a script and serves a directory from
// outside the clone, and the tarball holds no compiled tests.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../harness/temp-dir.js';
import { startCliCommand } from '../harness/net-util.js';

const npm = (args: string[], cwd: string) => {
  const r = spawnSync('npm', args, { cwd, encoding: 'utf8', timeout: 180_000 });
  assert.equal(r.status, 0, `npm ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};

test('npm pack + npm install -g into a temporary prefix gives a working remora command', { timeout: 240_000 }, async () => {
  const d = tempDir('remora-pack-');
  // --ignore-scripts: "prepare" would rebuild dist/ while other test files run from it.
  const packed = JSON.parse(npm(['pack', '--ignore-scripts', '--json', '--pack-destination', d], process.cwd())) as {
    filename: string;
    files: { path: string }[];
  }[];
  const files = packed[0]!.files.map((f) => f.path);
  assert.ok(files.includes('dist/src/cli/main.js'));
  assert.ok(files.includes('LICENSE') && files.includes('CHANGELOG.md') && files.includes('README.md'));
  assert.deepEqual(files.filter((f) => f.startsWith('dist/test/') || f.startsWith('dist/bench/')), []);
  // Source maps would point at TypeScript sources the package does not hold.
  assert.deepEqual(files.filter((f) => f.endsWith('.map')), []);

  const prefix = join(d, 'prefix');
  // The dependencies come from npm's cache when they are there (npm ci just filled it).
  npm(['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', join(d, packed[0]!.filename)], d);
  const bin = join(prefix, 'bin', 'remora');
  const work = join(d, 'elsewhere');
  mkdirSync(work);
  writeFileSync(join(work, 'hello.lua'), 'print("hello from", _VERSION)\n');
  const v = spawnSync(bin, ['--version'], { cwd: work, encoding: 'utf8' });
  assert.equal(v.stdout, 'remora 0.1.0\n');
  const s = spawnSync(bin, ['hello.lua'], { cwd: work, encoding: 'utf8', timeout: 30_000 });
  assert.equal(s.status, 0, s.stderr);
  assert.equal(s.stdout, 'hello from\tLua 5.4\n');

  writeFileSync(join(work, 'index.lsp'), '<?lsp print("page ok") ?>');
  const p = await startCliCommand(bin, ['-p', '0', '--no-https', '--host', '127.0.0.1', work], work);
  try {
    assert.equal(await (await fetch(`http://127.0.0.1:${p.port}/`)).text(), 'page ok\n');
  } finally {
    p.child.kill('SIGTERM');
    await p.exited;
  }
});
