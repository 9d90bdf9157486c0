// The seed's asynchronous-socket and flow-control examples with their Lua text unchanged
// (test/fixtures/seed/; host names and ports substituted): example 6 (asynchronous client),
// 8 (writes delegated to ba.thread.run), 11 (a socket-less cosocket streaming a file into
// another cosocket's socket, with and without the read(300) throttle) and 12a/12b (a
// non-cosocket writer filling a cosocket's queue; the 12b writer runs in a thread job).
import test from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Runtime } from '../../src/app/runtime.js';
import { loadApp } from '../../src/app/app-loader.js';
import { MemoryLog } from '../../src/sched/trace-log.js';
import { freePort } from '../harness/net-util.js';
import { tempDir } from '../harness/temp-dir.js';

const fixture = (name: string) => readFileSync(`test/fixtures/seed/${name}`, 'utf8');

async function listen(onConn: (s: net.Socket) => void): Promise<{ server: net.Server; port: number }> {
  const server = net.createServer(onConn);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as net.AddressInfo).port };
}

/** Sends `n` random bytes to an echo server and checks they come back intact and in order. */
async function assertEchoes(port: number, n: number): Promise<void> {
  const c = net.connect(port, '127.0.0.1');
  await new Promise((r) => c.once('connect', r));
  const payload = randomBytes(n);
  const parts: Buffer[] = [];
  let got = 0;
  const done = new Promise<void>((resolve) => {
    c.on('data', (d: Buffer) => {
      parts.push(d);
      got += d.length;
      if (got >= n) resolve();
    });
  });
  c.write(payload);
  await done;
  c.destroy();
  assert.ok(Buffer.concat(parts).equals(payload), 'echo intact and in order');
}

async function waitFor(pred: () => boolean, ms: number, what: string, log: MemoryLog): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timeout waiting for ${what}; log:\n${log.text().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('example 6: an asynchronous client socket (blocking connect, then sock:event)', async () => {
  const log = new MemoryLog();
  const rt = await Runtime.create({ log, onExit: () => {} });
  const { server, port } = await listen((s) => s.end('hi there'));
  const prefix = `address, port = "127.0.0.1", ${port}
function sockCoroutine(sock)
  while true do
    local data = sock:read()
    if not data then break end
    trace("got", data)
  end
end
`;
  try {
    await rt.run(prefix + fixture('example-06-async-client.lua'), '=example6');
    await waitFor(() => log.text().includes('got'), 5000, 'data', log);
    assert.match(log.text(), /got\thi there/);
  } finally {
    rt.dispose();
    server.close();
  }
});

test('example 8: an asynchronous echo whose writes run in thread jobs', async () => {
  const log = new MemoryLog();
  const rt = await Runtime.create({ log, onExit: () => {} });
  const lport = await freePort();
  const wrapper = `
local l = assert(ba.socket.bind(${lport}, {intf = "127.0.0.1"}))
l:event(function(l)
  while true do
    local c = l:accept()
    if not c then break end
    local function getMyServerSocket() return c end
    ${fixture('example-08-thread-write.lua')}
  end
end)`;
  await rt.run(wrapper, '=example8');
  try {
    await assertEchoes(lport, 300_000);
    assert.doesNotMatch(log.text(), /Lua error/);
  } finally {
    rt.dispose();
  }
});

async function runExample11(fileSize: number, throttle: boolean): Promise<void> {
  const dir = tempDir('remora-ex11-');
  const file = randomBytes(fileSize);
  writeFileSync(join(dir, 'Large-Firmware.bin'), file);
  let src = fixture('example-11-flow-control.lua');
  if (throttle) src = src.replace('-- sockA:read(300) -- Enable for send throttling', 'sockA:read(300) -- Enable for send throttling');
  const received: Buffer[] = [];
  let receivedBytes = 0;
  // "MySpecialService": receives the file, then answers with its SHA-256 and closes.
  const { server, port } = await listen((s) => {
    const h = createHash('sha256');
    s.on('data', (d) => {
      h.update(d);
      received.push(d);
      receivedBytes += d.length;
      if (receivedBytes === fileSize) s.end(h.digest('hex'));
    });
  });
  src = src.replace('"MySpecialService", 1234', `"127.0.0.1", ${port}`);
  writeFileSync(join(dir, '.preload'), src);
  const log = new MemoryLog();
  const rt = await Runtime.create({ log, onExit: () => {} });
  try {
    await loadApp(rt, { name: '', prio: 0, path: dir }, rt.appHooks);
    const want = createHash('sha256').update(file).digest('hex');
    await waitFor(() => log.text().includes('nil\n'), throttle ? 20000 : 60000, 'the end of the transfer', log);
    assert.equal(log.text(), `${want}\nnil\n`);
    assert.equal(receivedBytes, fileSize);
  } finally {
    rt.dispose();
    server.close();
  }
}

test('example 11: a socket-less cosocket streams a 20 MiB file through another cosocket intact', async () => {
  await runExample11(20 * 1024 * 1024, false);
});

test('example 11 with the read(300) throttle (8 KiB: eight 1 KiB blocks, 300 ms apart)', async () => {
  await runExample11(8 * 1024, true);
});

test('examples 12a/12b: a thread-job writer fills the queue and gets nil, <queued bytes>', async () => {
  const log = new MemoryLog();
  const rt = await Runtime.create({ log, onExit: () => {} });
  const port = await freePort();
  const receiver = fixture('example-12a-receiver-preload.lua').replace('ba.socket.bind(8888)', `ba.socket.bind(${port})`);
  const writer = fixture('example-12b-queue-full-page.lua').replace('ba.socket.connect("localhost",8888)', `ba.socket.connect("localhost",${port})`);
  try {
    await rt.run(receiver, '=example12a');
    // The writer loop traces every write; until the kernel's buffers are full that is millions
    // of lines, so the job's environment counts them instead (the Lua text is unchanged).
    const job = `local src = ...
local count, last = 0, nil
local env = setmetatable({trace = function(...) count = count + 1 last = table.pack(...) end}, {__index = _G})
ba.thread.run(function()
  assert(load(src, "=example12b", "t", env))()
  print("traced writes", count > 1, "last", last[1], math.type(last[2]))
end)`;
    const { vm } = rt;
    // The job fills the kernel's buffers without ever waiting: more than the default 1 s CPU
    // budget, so it runs with its own (as an app with `cpubudget` in its `apps` entry would).
    await rt.run(job, '=job', 'script', 0, (L) => {
      vm.pushString(L, writer);
      return 1;
    }, 60_000);
    await waitFor(() => log.text().includes('traced writes'), 60000, 'the writer to finish', log);
    // The receiver runs once the writer's loop has given the event loop back.
    await waitFor(() => log.text().includes('now stop'), 10000, 'the receiver', log);
    const out = log.text();
    assert.match(out, /received first message; now stop/);
    const m = /Socket queue full\t(\d+)\t16384\n/.exec(out);
    assert.ok(m, `no "Socket queue full" line in:\n${out.slice(-500)}`);
    assert.ok(Number(m[1]) >= 16384, 'refused once the queue held at least queuelen bytes');
    assert.match(out, /traced writes\ttrue\tlast\tnil\tinteger/);
  } finally {
    rt.dispose();
  }
});

test('example 7: an asynchronous echo ("r" mode: writes wait only the coroutine)', async () => {
  const log = new MemoryLog();
  const rt = await Runtime.create({ log, onExit: () => {} });
  const port = await freePort();
  process.env.ECHO_PORT = String(port);
  try {
    await rt.run(readFileSync('bench/apps/echo-async/.preload', 'utf8'), '=example7');
    await assertEchoes(port, 2_000_000);
    assert.equal(log.text(), '');
  } finally {
    delete process.env.ECHO_PORT;
    rt.dispose();
  }
});
