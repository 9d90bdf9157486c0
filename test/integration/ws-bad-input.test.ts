// A peer's bad input closes that WebSocket only (, issue 7): while 100 `ws`
// clients keep echoing through a remora server, raw clients send an unmasked frame, an oversized
// 64-bit length, invalid UTF-8, a truncated close frame, and one stops reading while the server
// writes. Each bad connection gets its close code (or is stalled alone); the 100 keep echoing.
import test from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { WebSocket } from 'ws';
import { Runtime } from '../../src/app/runtime.js';
import { MemoryLog } from '../../src/sched/trace-log.js';
import { installWsBridge } from '../harness/ws-bridge.js';
import { encodeFrame, parseFrame, upgradeRequest } from '../harness/ws-peer.js';
import { freePort } from '../harness/net-util.js';

const CLIENTS = 100;


/** A raw client that did the opening handshake; collects what the server sends. */
class RawClient {
  buf = Buffer.alloc(0);
  ended = false;
  private waiters: Array<() => void> = [];
  private constructor(readonly so: net.Socket) {
    so.on('data', (d) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.wake();
    });
    so.on('close', () => {
      this.ended = true;
      this.wake();
    });
    so.on('error', () => {});
  }
  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
  static async open(port: number): Promise<RawClient> {
    const so = net.connect(port, '127.0.0.1');
    const c = new RawClient(so);
    await new Promise((r) => so.once('connect', r));
    so.write(upgradeRequest());
    await c.until(() => c.buf.indexOf('\r\n\r\n') >= 0);
    c.buf = c.buf.subarray(c.buf.indexOf('\r\n\r\n') + 4);
    return c;
  }
  async until(pred: () => boolean, ms = 5000): Promise<void> {
    const end = Date.now() + ms;
    while (!pred()) {
      if (Date.now() > end) throw new Error('raw client: timeout');
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
  }
  /** The close code the server sent, then waits for the server to close TCP. */
  async closeCode(): Promise<number | null> {
    let code: number | null = null;
    await this.until(() => {
      const f = parseFrame(this.buf);
      if (f && f.opcode === 8) code = f.payload.length >= 2 ? f.payload.readUInt16BE(0) : 1005;
      if (f && f.opcode !== 8) this.buf = this.buf.subarray(f.size);
      return code !== null || this.ended;
    });
    // The echo loop ends on the violation and its cosocket closes the connection.
    await this.until(() => this.ended);
    return code;
  }
}

test('bad input closes only its own connection while 100 clients keep echoing', { timeout: 60_000 }, async () => {
  const log = new MemoryLog();
  const rt = await Runtime.create({ log, onExit: () => {} });
  installWsBridge(rt);
  const port = await freePort();
  await rt.run(readFileSync('test/fixtures/ws/echo-server.lua', 'utf8').replace('ECHO_PORT', String(port)), '=server');

  // 100 well-behaved clients, each echoing 64-byte messages one at a time.
  let stop = false;
  const counts = new Array<number>(CLIENTS).fill(0);
  const clients: WebSocket[] = [];
  const loops: Promise<void>[] = [];
  for (let i = 0; i < CLIENTS; i++) {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
    clients.push(ws);
    loops.push(
      new Promise<void>((resolve, reject) => {
        const msg = Buffer.alloc(64, i & 0xff);
        ws.on('open', () => ws.send(msg));
        ws.on('message', (d) => {
          if (!Buffer.from(d as Buffer).equals(msg)) return reject(new Error(`client ${i}: wrong echo`));
          counts[i]!++;
          if (stop) resolve();
          else ws.send(msg);
        });
        ws.on('close', () => (stop ? resolve() : reject(new Error(`client ${i} closed`))));
        ws.on('error', reject);
      }),
    );
  }
  try {
    // Let every client get going.
    const start = Date.now();
    while (counts.some((c) => c < 3)) {
      if (Date.now() - start > 15_000) throw new Error(`clients did not start: ${counts.filter((c) => c < 3).length} idle`);
      await new Promise((r) => setTimeout(r, 20));
    }

    // A client that stops reading while the server writes: its echoes pile up until TCP
    // back-pressure stalls that one cosocket. It stays stalled alone.
    const stuck = await RawClient.open(port);
    stuck.so.pause();
    const big = encodeFrame(2, Buffer.alloc(60_000, 1), true);
    let sent = 0;
    for (let i = 0; i < 200 && stuck.so.write(big); i++) sent++;

    const bad: Array<[string, Buffer, number]> = [
      ['unmasked frame', Buffer.from([0x81, 0x02, 0x68, 0x69]), 1002],
      // A 64-bit length of 2^40 bytes: above wsmaxsize, refused from the header alone.
      ['oversized length', Buffer.from([0x82, 0xff, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]), 1009],
      ['invalid UTF-8', encodeFrame(1, Buffer.from([0x61, 0xff, 0x62]), true), 1007],
      ['truncated close frame', encodeFrame(8, Buffer.from([0x03]), true), 1002],
      ['64-bit length with the top bit set', Buffer.from([0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), 1002],
      ['reserved opcode', encodeFrame(3, Buffer.alloc(0), true), 1002],
    ];
    const results = await Promise.all(
      bad.map(async ([name, bytes]) => {
        const c = await RawClient.open(port);
        c.so.write(bytes);
        return [name, await c.closeCode()] as const;
      }),
    );
    assert.deepEqual(
      results,
      bad.map(([name, , code]) => [name, code]),
    );

    // Everyone else keeps echoing, with the stalled client still connected.
    const before = [...counts];
    await new Promise((r) => setTimeout(r, 500));
    const slow = counts.map((c, i) => c - before[i]!).filter((d) => d < 2);
    assert.equal(slow.length, 0, `${slow.length} clients stalled`);
    assert.ok(!stuck.ended, 'the client that stopped reading was not closed');
    assert.ok(sent > 0);

    // The stalled one going away frees its cosocket.
    stuck.so.destroy();
    stop = true;
    await Promise.all(loops);
    assert.doesNotMatch(log.text(), /Lua error|internal error/);
  } finally {
    stop = true;
    for (const c of clients) c.terminate();
    rt.dispose();
  }
});
