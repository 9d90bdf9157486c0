// UDP echo servers in Lua (read(true) and sendto) serve 10,000 datagrams from a node:dgram
// client on loopback without loss: an "s"-mode cosocket (udpcon converting the
// ba.socket.event object) and an "r"-mode one (s:event on a socket made outside).
// The client keeps a window of datagrams in flight; a lost datagram shows as a stall.
import test from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { Runtime } from '../../src/app/runtime.js';
import { MemoryLog } from '../../src/sched/trace-log.js';

const TOTAL = 10_000;
const WINDOW = 32;
const STALL_MS = 3000;

async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const p = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}

function payload(seq: number): Buffer {
  const b = Buffer.alloc(8 + (seq % 200));
  b.writeUInt32BE(seq, 0);
  b.writeUInt32BE(seq ^ 0x5a5a5a5a, 4);
  for (let i = 8; i < b.length; i++) b[i] = (seq + i) & 0xff;
  return b;
}

const SERVERS: Array<[string, (port: number) => string]> = [
  [
    'cosocket UDP echo (udpcon converts the ba.socket.event object) serves 10,000 datagrams without loss',
    (port) => `
ba.socket.event(function(s)
  local u = assert(ba.socket.udpcon(${port}, {intf = "127.0.0.1"}))
  assert(u == s)
  print("ready")
  while true do
    local d, ip, port = u:read(true)
    if not d then break end
    u:sendto(d, ip, port)
  end
end)`,
  ],
  [
    'r-mode UDP cosocket echo (udpcon, then s:event) serves 10,000 datagrams without loss',
    (port) => `
local u = assert(ba.socket.udpcon(${port}, {intf = "127.0.0.1"}))
u:event(function(u)
  while true do
    local d, ip, port = u:read(true)
    if not d then break end
    assert(u:sendto(d, ip, port) == true)
  end
end)
print("ready")`,
  ],
];

for (const [name, server] of SERVERS) {
  test(name, { timeout: 60_000 }, async () => {
    const log = new MemoryLog();
    const rt = await Runtime.create({ log, onExit: () => {} });
    const port = await freeUdpPort();
    const client = dgram.createSocket('udp4');
    try {
      const ready = log.next();
      const err = await rt.run(server(port), '=udp-echo');
      assert.equal(err, null);
      await ready;
      assert.equal(log.text(), 'ready\n');
      await new Promise<void>((r) => client.bind(0, '127.0.0.1', r));
      const received = new Set<number>();
      let next = 0;
      let lastProgress = Date.now();
      await new Promise<void>((resolve, reject) => {
        const sendNext = () => {
          if (next < TOTAL) client.send(payload(next++), port, '127.0.0.1');
        };
        client.on('message', (msg) => {
          const seq = msg.readUInt32BE(0);
          if (!msg.equals(payload(seq))) return reject(new Error(`datagram ${seq} corrupted`));
          if (received.has(seq)) return reject(new Error(`datagram ${seq} echoed twice`));
          received.add(seq);
          lastProgress = Date.now();
          if (received.size === TOTAL) return resolve();
          sendNext();
        });
        const watchdog = setInterval(() => {
          if (received.size === TOTAL) clearInterval(watchdog);
          else if (Date.now() - lastProgress > STALL_MS) {
            clearInterval(watchdog);
            reject(new Error(`stalled after ${received.size} of ${TOTAL} echoes (${next} sent): datagrams lost`));
          }
        }, 200);
        for (let i = 0; i < WINDOW; i++) sendNext();
      });
      assert.equal(received.size, TOTAL);
      assert.equal(log.text(), 'ready\n');
    } finally {
      client.close();
      rt.dispose();
    }
  });
}
