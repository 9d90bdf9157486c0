// The seed document's NTP clients (test/fixtures/seed/ntp-client*.lua, Lua text unchanged;
// only "pool.ntp.org",123 is substituted) run in a ba.thread job against a local NTP
// responder on loopback (connected UDP as a blocking socket).
import test from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import { Runtime } from '../../src/app/runtime.js';
import { MemoryLog } from '../../src/sched/trace-log.js';

/** Seconds between 1900-01-01 (NTP era 0) and 1970-01-01. */
const NTP_EPOCH_OFFSET = 2208988800;
/** The time the responder reports: 2024-01-02 03:04:05 UTC. */
const SERVER_TIME = Date.UTC(2024, 0, 2, 3, 4, 5) / 1000;

interface Responder {
  port: number;
  requests: Buffer[];
  close(): Promise<void>;
}

/** A minimal NTP server (RFC 5905 packet layout): answers every 48-byte client packet. */
async function ntpResponder(): Promise<Responder> {
  const sock = dgram.createSocket('udp4');
  const requests: Buffer[] = [];
  sock.on('message', (msg, rinfo) => {
    requests.push(msg);
    if (msg.length !== 48) return;
    const reply = Buffer.alloc(48);
    reply[0] = (0 << 6) | (4 << 3) | 4; // LI 0, version 4, mode 4 (server)
    reply[1] = 1; // stratum 1
    reply.writeUInt32BE(0x4c4f434c, 12); // reference id "LOCL"
    msg.copy(reply, 24, 40, 48); // originate timestamp = client's transmit timestamp
    for (const off of [16, 32, 40]) reply.writeUInt32BE(SERVER_TIME + NTP_EPOCH_OFFSET, off);
    sock.send(reply, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  return {
    port: sock.address().port,
    requests,
    close: () => new Promise<void>((r) => sock.close(() => r())),
  };
}

function seedClient(file: string, host: string, port: number): string {
  const src = readFileSync(`test/fixtures/seed/${file}`, 'utf8');
  const out = src.replace('"pool.ntp.org",123', `"${host}",${port}`);
  assert.notEqual(out, src, 'substitution applied');
  return out;
}

/** Runs `lua` as a thread-pool job and resolves with the trace log once `until` matches. */
async function runInJob(lua: string, until: RegExp): Promise<string> {
  const log = new MemoryLog();
  const rt = await Runtime.create({ log, onExit: () => {} });
  try {
    const err = await rt.run(`ba.thread.run(function()\n${lua}\nend)`, '=ntp');
    assert.equal(err, null);
    const deadline = Date.now() + 10_000;
    while (!until.test(log.text())) {
      assert.ok(Date.now() < deadline, `no match for ${until} in:\n${log.text()}`);
      await Promise.race([log.next(), new Promise((r) => setTimeout(r, 100))]);
    }
    return log.text();
  } finally {
    rt.dispose();
  }
}

test('seed NTP client (printTime) in a thread job gets the responder time', async () => {
  const ntp = await ntpResponder();
  try {
    const out = await runInJob(seedClient('ntp-client.lua', '127.0.0.1', ntp.port), /\n/);
    assert.equal(out, 'NTP Date and time:\tTue Jan 02 03:04:05 2024\n');
    assert.equal(ntp.requests.length, 1);
    const req = ntp.requests[0]!;
    assert.equal(req.length, 48);
    assert.equal(req[0], 27); // LI 0, version 3, mode 3 (client)
    assert.ok(req.subarray(1).every((b) => b === 0));
  } finally {
    await ntp.close();
  }
});

test('seed NTP client, blocking-socket variant, in a thread job', async () => {
  const ntp = await ntpResponder();
  try {
    const out = await runInJob(seedClient('ntp-client-blocking.lua', '127.0.0.1', ntp.port), /\n/);
    assert.equal(out, 'NTP Date and time:\tTue Jan 02 03:04:05 2024\n');
  } finally {
    await ntp.close();
  }
});

test('seed NTP client reports an unresolvable server', async () => {
  const out = await runInJob(seedClient('ntp-client.lua', 'nonexistent.invalid', 123), /\n/);
  assert.equal(out, 'Cannot connect:\tcannotresolve\n');
});

test('many NTP clients in thread jobs share the pool of 3', async () => {
  const ntp = await ntpResponder();
  try {
    const client = seedClient('ntp-client.lua', '127.0.0.1', ntp.port);
    const jobs = Array.from({ length: 10 }, () => `ba.thread.run(function()\n${client}\nend)`).join('\n');
    const out = await runInJob(jobs, /(NTP Date and time:.*\n){10}/);
    assert.equal(out, 'NTP Date and time:\tTue Jan 02 03:04:05 2024\n'.repeat(10));
    assert.equal(ntp.requests.length, 10);
  } finally {
    await ntp.close();
  }
});
