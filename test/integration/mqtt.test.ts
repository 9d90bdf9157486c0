// A realistic BAS-style program as the test of the support APIs (issue 6 item 5): the MQTT
// 3.1.1 client in examples/cluster-chat/.lua/mqtt311.lua (bytearrays, a socket-less sender cosocket
// parked with disable()/enable(), PINGREQ from ba.timer, io:dofile, ba.crypto.hash) against a
// real broker: aedes in this process, and Debian's mosquitto when it is installed. The client
// subscribes, publishes 1,000 messages of 1 B..100 KiB (QoS 0 and 1), checks every one it
// receives back, then the broker stops and the client sees "socketreadfailed".
import test from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { Aedes } from 'aedes';
import { Runtime } from '../../src/app/runtime.js';
import { MemoryLog } from '../../src/sched/trace-log.js';

const N = 1000;

const script = (port: number): string => `
local HOST, PORT, N = "127.0.0.1", ${port}, ${N}
local mqtt = ba.openio("home"):dofile("examples/cluster-chat/.lua/mqtt311.lua")
local sizes, digests = {}, {}
local received, bad, closedErr = 0, 0, nil
local c = assert(mqtt.connect(HOST, PORT, {keepalive = 10, pingms = 200,
  onpub = function(topic, bta, qos)
    local i = tonumber(topic:match("^remora/t/(%d+)$"))
    if i and #bta == sizes[i] and ba.crypto.hash"sha1"(bta)(true) == digests[i] then
      received = received + 1
    else
      bad = bad + 1
    end
  end,
  onclose = function(err) closedErr = err end}))
print("connected")
local granted
c:subscribe("remora/t/#", 1, function(rc) granted = rc end)
while granted == nil do ba.sleep(1) end
print("suback", granted)
local qos1, total = 0, 0
for i = 1, N do
  local size = i == 1 and 1 or i == N and 102400 or 1 + (i * 7919) % 102400
  local payload = ba.bytearray.create(ba.rndbs(size))
  sizes[i], digests[i] = size, ba.crypto.hash"sha1"(payload)(true)
  total = total + size
  local qos = i % 2
  qos1 = qos1 + qos
  assert(c:publish("remora/t/" .. i, payload, qos))
  -- Flow control: brokers may drop QoS 0 messages for a subscriber that falls far behind
  -- (mosquitto's max_queued_messages), so stay at most 50 messages ahead of the echoes.
  while c:queued() > 16 or i - received - bad > 50 do ba.sleep(1) end
end
local t0 = ba.clock()
while (received + bad < N or c.pubacks < qos1) and ba.clock() - t0 < 60000 do ba.sleep(5) end
print("received", received, "bad", bad, "pubacks", c.pubacks == qos1, "bytes", total)
while c.pingresps < 1 and not closedErr do ba.sleep(10) end
print("pinged", c.pingresps >= 1)
print("stop broker")
while not closedErr do ba.sleep(5) end
print("closed", closedErr)
`;

let totalBytes = 0;
for (let i = 1; i <= N; i++) totalBytes += i === 1 ? 1 : i === N ? 102400 : 1 + ((i * 7919) % 102400);
const expected = ['connected', 'suback\t1', `received\t${N}\tbad\t0\tpubacks\ttrue\tbytes\t${totalBytes}`, 'pinged\ttrue', 'stop broker', 'closed\tsocketreadfailed', ''].join('\n');

/** Runs the client against a broker on `port`; calls stop() when the script asks for it. */
async function runClient(port: number, stop: () => Promise<void>): Promise<string> {
  const log = new MemoryLog();
  const rt = await Runtime.create({ log, onExit: () => {} });
  try {
    const done = rt.run(script(port), '=mqtt-test');
    while (!log.text().includes('stop broker') && !log.text().includes('Lua error')) {
      await Promise.race([log.next(), done]);
      if (await Promise.race([done.then(() => true), Promise.resolve(false)])) break;
    }
    if (log.text().includes('stop broker')) await stop();
    const err = await done;
    assert.equal(err, null, log.text());
    return log.text();
  } finally {
    rt.dispose();
  }
}

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as net.AddressInfo).port;
}

test('MQTT 3.1.1 client in Lua against aedes: 1,000 messages of 1 B..100 KiB, then broker stop', { timeout: 120_000 }, async () => {
  const broker = await Aedes.createBroker();
  const conns = new Set<net.Socket>();
  const server = net.createServer((s) => {
    conns.add(s);
    s.on('close', () => conns.delete(s));
    broker.handle(s);
  });
  const port = await listen(server);
  const out = await runClient(port, async () => {
    server.close();
    await new Promise<void>((r) => broker.close(() => r()));
    for (const s of conns) s.destroy();
  });
  assert.equal(out, expected);
});

const hasMosquitto = spawnSync('sh', ['-c', 'command -v mosquitto'], { encoding: 'utf8' }).status === 0;

test('MQTT 3.1.1 client in Lua against mosquitto', { timeout: 120_000, skip: hasMosquitto ? false : 'mosquitto is not installed' }, async () => {
  const probe = net.createServer();
  const port = await listen(probe);
  await new Promise((r) => probe.close(r));
  const proc: ChildProcess = spawn('mosquitto', ['-p', String(port)], { stdio: 'ignore' });
  try {
    // Wait until it accepts connections.
    for (let i = 0; ; i++) {
      const ok = await new Promise<boolean>((r) => {
        const s = net.connect(port, '127.0.0.1', () => {
          s.destroy();
          r(true);
        });
        s.on('error', () => r(false));
      });
      if (ok) break;
      if (i > 100) throw new Error('mosquitto did not start');
      await new Promise((r) => setTimeout(r, 50));
    }
    const out = await runClient(port, async () => {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
    });
    assert.equal(out, expected);
  } finally {
    if (proc.exitCode === null) proc.kill('SIGKILL');
  }
});
