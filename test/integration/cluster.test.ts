// Cluster mode (-w n): n worker processes share the HTTP listener and the listeners Lua opens
// with ba.socket.bind; SIGTERM shuts every worker down gracefully.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../harness/net-util.js';
import { tempDir } from '../harness/temp-dir.js';

const CLI = 'dist/src/cli/main.js';

function get(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
        let s = '';
        res.on('data', (d) => (s += d));
        res.on('end', () => resolve(s));
      })
      .on('error', reject);
  });
}

function echo(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = net.connect(port, '127.0.0.1', () => c.write(text));
    c.on('data', (d) => {
      resolve(d.toString());
      c.destroy();
    });
    c.on('error', reject);
  });
}

test('two workers share the HTTP port and a Lua listener; SIGTERM stops both', async () => {
  const app = tempDir('remora-cluster-');
  const [httpPort, echoPort] = [await freePort(), await freePort()];
  writeFileSync(join(app, 'index.lsp'), '<?lsp print("worker", os.getenv("REMORA_WORKER")) ?>');
  writeFileSync(
    join(app, '.preload'),
    `local l = assert(ba.socket.bind(${echoPort}, {intf = "127.0.0.1"}))
l:event(function(l)
  while true do
    local s = l:accept()
    if not s then break end
    s:event(function(s) local d = s:read() s:write(d .. " from " .. os.getenv("REMORA_WORKER")) end, "s")
  end
end)
function onunload() print("unload " .. os.getenv("REMORA_WORKER")) end
`,
  );
  const child = spawn(process.execPath, [CLI, '-w', '2', '-p', String(httpPort), '-l', `::${app}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d));
  child.stderr.on('data', (d: Buffer) => (err += d));
  try {
    const deadline = Date.now() + 15000;
    while ((err.match(/listening on port/g) ?? []).length < 2) {
      if (Date.now() > deadline) throw new Error(`workers did not start: ${err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const pages = new Set<string>();
    for (let i = 0; i < 8; i++) pages.add((await get(httpPort)).trim());
    assert.deepEqual([...pages].sort(), ['worker\t1', 'worker\t2']);
    const echoes = new Set<string>();
    for (let i = 0; i < 8; i++) echoes.add(await echo(echoPort, 'hi'));
    assert.deepEqual([...echoes].sort(), ['hi from 1', 'hi from 2']);
  } finally {
    child.kill('SIGTERM');
  }
  const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  assert.equal(code, 0);
  assert.deepEqual(out.trim().split('\n').sort(), ['unload 1', 'unload 2']);
});

test('a path problem is reported once, before any worker starts', () => {
  const r = spawnSync(process.execPath, [CLI, '-w', '2', '-l', '::/no/such/dir'], { encoding: 'utf8', timeout: 20000 });
  assert.equal(r.status, 2);
  assert.equal(r.stderr.trim(), 'remora: app directory not found: /no/such/dir');
});
