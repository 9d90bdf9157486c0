// Cluster mode (-w n): n worker processes share the HTTP listener and the listeners Lua opens
// with ba.socket.bind; SIGTERM shuts every worker down gracefully.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { freePort, startCli, startCliEnv } from '../harness/net-util.js';
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

test('-w 2 with the demo configuration: the demo says it needs one worker and runs one', async () => {
  const p = await startCli(['-c', 'examples/demo.conf', '-w', '2', '-p', '0', '--no-https', '--host', '127.0.0.1', '-l', '::examples/websocket']);
  try {
    assert.match(
      p.out(),
      /^remora: running 1 worker, not 2: examples\/demo\.conf sets maxworkers = 1 \(the demo chats keep their members in one process; see docs\/cluster\.md\)$/m,
    );
    // One process: the server itself, no cluster workers under it.
    const kids = spawnSync('ps', ['--ppid', String(p.child.pid), '-o', 'pid='], { encoding: 'utf8' }).stdout.trim();
    assert.equal(kids, '');
    assert.equal((await fetch(`http://127.0.0.1:${p.port}/index.html`)).status, 200);
  } finally {
    p.child.kill('SIGTERM');
    await p.exited;
  }
});

const hasMosquitto = spawnSync('sh', ['-c', 'command -v mosquitto'], { encoding: 'utf8' }).status === 0;

/** Opens WebSocket clients until one is served by each of the two workers; returns them by worker. */
async function clientsOnBothWorkers(port: number): Promise<Map<string, { ws: WebSocket; msgs: string[] }>> {
  const byWorker = new Map<string, { ws: WebSocket; msgs: string[] }>();
  for (let i = 0; i < 20 && byWorker.size < 2; i++) {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/chat.lsp`);
    const msgs: string[] = [];
    const welcome = await new Promise<string>((resolve, reject) => {
      ws.once('message', (d) => resolve(d.toString()));
      ws.once('error', reject);
    });
    ws.on('message', (d) => msgs.push(d.toString()));
    const w = /^welcome (w\d+)-/.exec(welcome)?.[1];
    assert.ok(w, welcome);
    if (byWorker.has(w)) ws.close();
    else byWorker.set(w, { ws, msgs });
  }
  assert.equal(byWorker.size, 2, 'connections reached both workers');
  return byWorker;
}

test('examples/cluster-chat: two workers share one chat through mosquitto', { skip: hasMosquitto ? false : 'mosquitto is not installed (apt-get install mosquitto)', timeout: 60_000 }, async () => {
  const brokerPort = await freePort();
  const broker = spawn('mosquitto', ['-p', String(brokerPort)], { stdio: 'ignore' });
  const p = await startCliEnv(['-w', '2', '-p', '0', '--no-https', '--host', '127.0.0.1', 'examples/cluster-chat'], { MQTT_BROKER: `127.0.0.1:${brokerPort}` });
  try {
    const deadline = Date.now() + 20_000;
    while ((p.out().match(/subscribed to remora\/chat/g) ?? []).length < 2) {
      if (Date.now() > deadline) throw new Error(`workers did not subscribe: ${p.out()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const c = await clientsOnBothWorkers(p.port);
    const [a, b] = [c.get('w1')!, c.get('w2')!];
    a.ws.send('hello from a browser on worker 1');
    b.ws.send('x'.repeat(20_000)); // longer than one read: wsread assembles it
    const until = Date.now() + 15_000;
    while ((a.msgs.length < 2 || b.msgs.length < 2) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    for (const { msgs } of [a, b]) {
      assert.equal(msgs.length, 2, msgs.join('|').slice(0, 200));
      assert.ok(msgs.some((m) => /^w1-user\d+: hello from a browser on worker 1$/.test(m)));
      assert.ok(msgs.some((m) => /^w2-user\d+: x{20000}$/.test(m)));
    }
    a.ws.close();
    b.ws.close();
  } finally {
    p.child.kill('SIGTERM');
    await p.exited;
    broker.kill('SIGTERM');
  }
});
