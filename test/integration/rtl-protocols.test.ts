// The protocol paths RealTimeLogic's MQTT and Modbus clients use (issue 12 item 6), with the
// project's own Lua code against real peers: an MQTT 5 client that receives exactly as the
// MQTT client does (ba.bytearray.copy and its overflow count) against mosquitto, and a Modbus
// TCP client (blocking and cosocket mode) against modbus-serial's ServerTCP. Each runs
// directly and through a proxy that splits the server's bytes into 1..7-byte pieces and one
// that coalesces them, and carries an 80,000-byte payload.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { freePort } from '../harness/net-util.js';
import { rechunkProxy, type RechunkMode } from '../harness/rechunk-proxy.js';
import { runLua } from '../harness/lua-run.js';

const mosquittoBin = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto'].find((p) => spawnSync(p, ['-h']).error === undefined);

function runScript(script: string): Promise<string> {
  return runLua(script, '=protocol-test', 60_000);
}

const MQTT_SCRIPT = (port: number): string => `
local mqtt5 = ba.openio("home"):dofile("test/fixtures/protocols/mqtt5.lua")
local sha = function(s) return ba.crypto.hash("sha1")(s)(true, "hex") end
local c = assert(mqtt5.connect("127.0.0.1", ${port}))
local got, acked, completed, pending, suback = {}, {}, {}, {}, nil
local function deliver(topic, data) got[#got + 1] = { topic = topic, data = data } end
-- Handles packets until cond() holds (bounded in time).
local function pump(cond, what)
  local t0 = ba.clock()
  while not cond() do
    if ba.clock() - t0 > 20000 then error("timeout: " .. what) end
    local first, b = c:receive()
    if not first then error("receive: " .. tostring(b)) end
    local kind = first & 0xF0
    if kind == 0x30 then
      local topic, qos, id, data = mqtt5.decode(first, b)
      if qos == 0 then deliver(topic, data)
      elseif qos == 1 then c:ack(0x40, id) deliver(topic, data)
      else pending[id] = { topic, data } c:ack(0x50, id) end
    elseif kind == 0x40 then acked[ba.bytearray.n2h(b, 1, 2)] = true
    elseif kind == 0x50 then c:ack(0x62, ba.bytearray.n2h(b, 1, 2))
    elseif kind == 0x60 then
      local id = ba.bytearray.n2h(b, 1, 2)
      c:ack(0x70, id)
      if pending[id] then deliver(pending[id][1], pending[id][2]) pending[id] = nil end
    elseif kind == 0x70 then completed[ba.bytearray.n2h(b, 1, 2)] = true
    elseif kind == 0x90 then suback = b[#b]
    end
  end
end
print("connected")
c:subscribe("remora/p/#", 2)
pump(function() return suback end, "suback")
print("suback", suback)
local id = c:publish("remora/p/q1", "hello qos1", 1)
pump(function() return acked[id] and #got == 1 end, "qos1")
print("qos1", got[1].topic, got[1].data)
local big = {}
for i = 1, 80000 do big[i] = string.char((i * 31 + (i >> 9)) % 256) end
big = table.concat(big)
id = c:publish("remora/p/big", big, 1)
pump(function() return acked[id] and #got == 2 end, "big")
print("big", #got[2].data, got[2].data == big)
id = c:publish("remora/p/q2", "exactly once", 2)
pump(function() return completed[id] and #got == 3 end, "qos2")
print("qos2", got[3].topic, got[3].data)
-- A burst: brokers and proxies deliver several of these in one read.
local sizes, want = {}, {}
for i = 1, 100 do
  local s = string.rep(string.char(i), 1 + (i * 37) % 1500)
  sizes[i] = #s
  want[i] = sha(s)
  c:publish("remora/p/burst/" .. i, s, 0)
end
pump(function() return #got == 103 end, "burst")
local ok = 0
for i = 1, 100 do
  local m = got[3 + i]
  if m.topic == "remora/p/burst/" .. i and sha(m.data) == want[i] then ok = ok + 1 end
end
print("burst", ok, "packets", c.packets >= 104)
c:close()
`;

for (const mode of ['direct', 'split', 'coalesce'] as const) {
  test(`MQTT 5 receive path (bytearray.copy overflow) against mosquitto, ${mode}`, { skip: mosquittoBin ? false : 'mosquitto is not installed' }, async () => {
    const port = await freePort();
    const broker: ChildProcess = spawn(mosquittoBin!, ['-p', String(port)], { stdio: 'ignore' });
    const proxy = mode === 'direct' ? null : await rechunkProxy(port, mode as RechunkMode);
    try {
      await waitListening(port);
      const out = await runScript(MQTT_SCRIPT(proxy ? proxy.port : port));
      assert.equal(out, ['connected', 'suback\t2', 'qos1\tremora/p/q1\thello qos1', 'big\t80000\ttrue', 'qos2\tremora/p/q2\texactly once', 'burst\t100\tpackets\ttrue', ''].join('\n'));
    } finally {
      proxy?.close();
      broker.kill();
    }
  });
}

async function waitListening(port: number): Promise<void> {
  const net = await import('node:net');
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((r) => {
      const s = net.connect(port, '127.0.0.1');
      s.on('connect', () => {
        s.destroy();
        r(true);
      });
      s.on('error', () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on ${port}`);
}

// ---- Modbus TCP -----------------------------------------------------------------------------

interface ModbusServer {
  close(cb: () => void): void;
  on(ev: string, f: (...a: unknown[]) => void): void;
}

async function modbusServer(port: number): Promise<ModbusServer> {
  const require = createRequire(import.meta.url);
  const { ServerTCP } = require('modbus-serial') as { ServerTCP: new (v: object, o: object) => ModbusServer };
  const holding = new Uint16Array(200);
  const coils = new Uint8Array(200);
  const s = new ServerTCP(
    {
      getHoldingRegister: (a: number) => holding[a],
      setRegister: (a: number, v: number) => {
        holding[a] = v;
      },
      getCoil: (a: number) => coils[a] === 1,
      setCoil: (a: number, v: boolean) => {
        coils[a] = v ? 1 : 0;
      },
      getInputRegister: (a: number) => a * 2,
      getDiscreteInput: (a: number) => a % 2 === 1,
    },
    { host: '127.0.0.1', port, unitID: 1 },
  );
  await new Promise<void>((r) => s.on('initialized', () => r()));
  return s;
}

const MODBUS_SCRIPT = (port: number): string => `
local mb = ba.openio("home"):dofile("test/fixtures/protocols/modbus.lua")
local function show(v) if type(v) == "table" then local t = {} for i, x in ipairs(v) do t[i] = tostring(x) end return table.concat(t, ",") end return tostring(v) end
-- Blocking mode
local c = assert(mb.connect("127.0.0.1", ${port}))
print("write", c:writeregs(0, {4660, 1, 2, 3}), c:writereg(10, 65535))
print("read", show(c:readregs(0, 4)), show(c:readregs(10, 1)))
print("input", show(c:readinputs(3, 3)))
print("coils", c:writecoils(5, {true, false, true, true}), show(c:readcoils(5, 4)))
print("discrete", show(c:readdiscrete(0, 4)))
-- 120 registers per request, 20 requests in flight: many responses in one read or split.
local vals = {}
for i = 1, 120 do vals[i] = (i * 541) % 65536 end
print("big write", c:writeregs(60, vals))
local r = c:readregs(60, 120)
local same = #r == 120
for i = 1, 120 do same = same and r[i] == vals[i] end
print("big read", same)
c:close()
-- Cosocket mode: requests pipelined, responses matched by transaction id in callbacks.
local a = assert(mb.connect("127.0.0.1", ${port}, true))
local results, n = {}, 0
for i = 1, 20 do
  a:readregs(60 + (i - 1) * 5, 5, function(v) n = n + 1 results[i] = v end)
end
local t0 = ba.clock()
while n < 20 and ba.clock() - t0 < 10000 do ba.sleep(5) end
local all = true
for i = 1, 20 do
  for k = 1, 5 do all = all and results[i] and results[i][k] == vals[(i - 1) * 5 + k] end
end
print("async", n, all)
a:close()
`;

for (const mode of ['direct', 'split', 'coalesce'] as const) {
  test(`Modbus TCP client (blocking and cosocket) against modbus-serial, ${mode}`, async () => {
    const port = await freePort();
    const server = await modbusServer(port);
    const proxy = mode === 'direct' ? null : await rechunkProxy(port, mode as RechunkMode);
    try {
      const out = await runScript(MODBUS_SCRIPT(proxy ? proxy.port : port));
      assert.equal(
        out,
        ['write\ttrue\ttrue', 'read\t4660,1,2,3\t65535', 'input\t6,8,10', 'coils\ttrue\ttrue,false,true,true', 'discrete\tfalse,true,false,true', 'big write\ttrue', 'big read\ttrue', 'async\t20\ttrue', ''].join('\n'),
      );
    } finally {
      proxy?.close();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
}

// ---- SMQ --------------------------------------------------------------------------------------

/** A small SMQ client written for the test: HTTP bootstrap, then SMQ frames. */
class SmqClient {
  private buf = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  readonly frames: Array<{ kind: number; body: Buffer }> = [];
  closed = false;
  private constructor(readonly sock: import('node:net').Socket) {}

  static async connect(port: number): Promise<SmqClient> {
    const net = await import('node:net');
    const sock = net.connect(port, '127.0.0.1');
    const c = new SmqClient(sock);
    let head = true;
    sock.on('data', (d: Buffer) => {
      c.buf = Buffer.concat([c.buf, d]);
      if (head) {
        const end = c.buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        assert.match(c.buf.subarray(0, end).toString('latin1'), /^HTTP\/1\.1 200 /);
        c.buf = c.buf.subarray(end + 4);
        head = false;
      }
      while (c.buf.length >= 3 && c.buf.length >= c.buf.readUInt16BE(0)) {
        const len = c.buf.readUInt16BE(0);
        c.frames.push({ kind: c.buf[2]!, body: Buffer.from(c.buf.subarray(3, len)) });
        c.buf = c.buf.subarray(len);
      }
      for (const w of c.waiters.splice(0)) w();
    });
    sock.on('close', () => {
      c.closed = true;
      for (const w of c.waiters.splice(0)) w();
    });
    sock.write('GET /smq.lsp HTTP/1.1\r\nHost: 127.0.0.1\r\nSimpleMQ: 1\r\nSendSmqHttpResponse: true\r\n\r\n');
    const init = await c.next(1);
    assert.equal(init.body[0], 1);
    c.send(2, Buffer.concat([Buffer.from([1, 4]), Buffer.from('test'), Buffer.from([0])]));
    const ack = await c.next(3);
    assert.equal(ack.body[0], 0);
    return c;
  }

  send(kind: number, body: Buffer): void {
    const h = Buffer.alloc(3);
    h.writeUInt16BE(3 + body.length, 0);
    h[2] = kind;
    this.sock.write(Buffer.concat([h, body]));
  }

  /** The next frame of `kind` (frames of other kinds before it are dropped). */
  async next(kind: number): Promise<{ kind: number; body: Buffer }> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const i = this.frames.findIndex((f) => f.kind === kind);
      if (i >= 0) return this.frames.splice(0, i + 1)[i]!;
      if (this.closed || Date.now() > deadline) throw new Error(`no SMQ frame of type ${kind}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 1000);
      });
    }
  }

  async topic(kind: 4 | 6, name: string): Promise<number> {
    this.send(kind, Buffer.from(name));
    const ack = await this.next(kind + 1);
    assert.equal(ack.body[0], 0);
    assert.equal(ack.body.subarray(5).toString(), name);
    return ack.body.readUInt32BE(1);
  }
}

for (const mode of ['direct', 'split', 'coalesce'] as const) {
  test(`SMQ over a request morphed by req2sock, with a Node SMQ client, ${mode}`, async () => {
    const { startTestServer } = await import('../harness/app-server.js');
    const s = await startTestServer([{ name: '', prio: 0, path: 'test/fixtures/apps/smq' }]);
    const proxy = mode === 'direct' ? null : await rechunkProxy(s.port, mode as RechunkMode);
    const port = proxy ? proxy.port : s.port;
    try {
      const a = await SmqClient.connect(port);
      const b = await SmqClient.connect(port);
      const tid = await a.topic(4, 'remora/smq');
      assert.equal(await b.topic(6, 'remora/smq'), tid);
      const payloads = [Buffer.from('hello'), Buffer.alloc(65000, 7), ...Array.from({ length: 50 }, (_, i) => Buffer.alloc(1 + ((i * 131) % 3000), i))];
      payloads[1]!.writeUInt32BE(0xdeadbeef, 30000);
      for (const p of payloads) {
        const h = Buffer.alloc(12);
        h.writeUInt32BE(tid, 0);
        h.writeUInt32BE(99, 4);
        b.send(8, Buffer.concat([h, p]));
      }
      for (const p of payloads) {
        const m = await a.next(8);
        assert.equal(m.body.readUInt32BE(0), tid);
        assert.ok(m.body.subarray(12).equals(p), `payload of ${p.length} bytes`);
      }
      a.send(12, Buffer.alloc(0));
      await a.next(13);
      a.send(11, Buffer.alloc(0));
      b.send(11, Buffer.alloc(0));
      a.sock.destroy();
      b.sock.destroy();
      assert.equal(s.log.text().includes('Lua error'), false, s.log.text());
    } finally {
      proxy?.close();
      s.close();
    }
  });
}
