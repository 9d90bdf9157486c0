import test from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { UdpSocket, osError } from '../../../src/net/udp-socket.js';

function bind(u: UdpSocket, port = 0, address = '127.0.0.1'): Promise<Error | null> {
  return new Promise((r) => u.bind(port, address, r));
}

function connect(u: UdpSocket, port: number, address = '127.0.0.1'): Promise<Error | null> {
  return new Promise((r) => u.connect(port, address, r));
}

function send(u: UdpSocket, data: string, port?: number, address?: string): Promise<Error | null> {
  return new Promise((r) => u.send(Buffer.from(data), port, address, r));
}

function readable(u: UdpSocket): Promise<void> {
  return new Promise((r) => (u.onReadable = () => r()));
}

const tick = (ms = 20) => new Promise((r) => setTimeout(r, ms));

test('bind, send to self, read one datagram at a time with the sender address', async () => {
  const u = new UdpSocket(false);
  assert.equal(await bind(u), null);
  const a = u.localAddress()!;
  assert.equal(a.address, '127.0.0.1');
  assert.ok(a.port > 0);
  assert.equal(u.read(), null);
  const got = readable(u);
  assert.equal(await send(u, 'one', a.port, '127.0.0.1'), null);
  assert.equal(await send(u, 'two', a.port, '127.0.0.1'), null);
  await got;
  await tick();
  assert.equal(u.available, 2);
  assert.equal(u.queuedBytes, 6);
  const d1 = u.read()!;
  assert.deepEqual([d1.data.toString(), d1.address, d1.port, d1.ipv6], ['one', '127.0.0.1', a.port, false]);
  assert.equal(u.read()!.data.toString(), 'two');
  assert.equal(u.read(), null);
  assert.equal(u.queuedBytes, 0);
  u.close();
});

test('connect: remote address, sends without an address, peer is the only source', async () => {
  const peer = new UdpSocket(false);
  await bind(peer);
  const u = new UdpSocket(false);
  await bind(u);
  assert.equal(u.remoteAddress(), null);
  assert.equal(await connect(u, peer.localAddress()!.port), null);
  assert.equal(u.connected, true);
  assert.equal(u.remoteAddress()!.port, peer.localAddress()!.port);
  const got = readable(peer);
  await send(u, 'hi');
  await got;
  assert.equal(peer.read()!.data.toString(), 'hi');
  u.close();
  peer.close();
});

test('bind errors come back through the callback', async () => {
  const a = new UdpSocket(false);
  await bind(a);
  const b = new UdpSocket(false);
  const err = (await bind(b, a.localAddress()!.port)) as NodeJS.ErrnoException;
  assert.equal(err.code, 'EADDRINUSE');
  assert.equal(b.bound, false);
  a.close();
  b.close();
});

test('a full receive queue drops new datagrams', async () => {
  const u = new UdpSocket(false, 10);
  await bind(u);
  const port = u.localAddress()!.port;
  await send(u, '123456', port, '127.0.0.1');
  await send(u, '789012', port, '127.0.0.1');
  await tick();
  assert.equal(u.available, 1);
  assert.equal(u.dropped, 1);
  u.close();
});

test('ICMP port unreachable on a connected socket becomes a read error', async () => {
  const probe = dgram.createSocket('udp4');
  await new Promise<void>((r) => probe.bind(0, '127.0.0.1', r));
  const closedPort = probe.address().port;
  await new Promise<void>((r) => probe.close(() => r()));
  const u = new UdpSocket(false);
  await bind(u);
  await connect(u, closedPort);
  const got = readable(u);
  await send(u, 'x');
  await got;
  assert.equal((u.error as NodeJS.ErrnoException).code, 'ECONNREFUSED');
  u.close();
});

test('close waits for sends still in flight, then releases the handle', async () => {
  const r = new UdpSocket(false);
  await bind(r);
  const u = new UdpSocket(false);
  await bind(u);
  const got = readable(r);
  let sent: Error | null | undefined;
  u.send(Buffer.from('last'), r.localAddress()!.port, '127.0.0.1', (e) => (sent = e));
  u.close();
  assert.equal(u.closed, true);
  await got;
  assert.equal(r.read()!.data.toString(), 'last');
  assert.equal(sent, null);
  r.close();
});

test('whenDrained answers at once when nothing is queued, false once closed', async () => {
  const u = new UdpSocket(false);
  await bind(u);
  assert.equal(u.sendQueueSize, 0);
  let ok: boolean | null = null;
  u.whenDrained((x) => (ok = x));
  assert.equal(ok, true);
  u.close();
  u.whenDrained((x) => (ok = x));
  assert.equal(ok, false);
});

test('options: broadcast, membership errors as OS errors', async () => {
  const u = new UdpSocket(false);
  await bind(u, 0, '0.0.0.0');
  u.setBroadcast(true);
  assert.throws(() => u.membership(true, '127.0.0.1'), (e: NodeJS.ErrnoException) => e.code === 'EINVAL');
  try {
    u.membership(true, '127.0.0.1');
  } catch (e) {
    assert.deepEqual(osError(e), { message: 'Invalid argument', errno: 22 });
  }
  u.close();
});

test('IPv6 socket on ::1', async () => {
  const u = new UdpSocket(true);
  await bind(u, 0, '::1');
  const a = u.localAddress()!;
  assert.deepEqual([a.address, a.ipv6], ['::1', true]);
  const got = readable(u);
  await send(u, 'v6', a.port, '::1');
  await got;
  const d = u.read()!;
  assert.deepEqual([d.data.toString(), d.address, d.ipv6], ['v6', '::1', true]);
  u.close();
});

test('osError maps codes to strerror text and positive errno', () => {
  const e = Object.assign(new Error('x EADDRNOTAVAIL'), { code: 'EADDRNOTAVAIL', errno: -99 });
  assert.deepEqual(osError(e), { message: 'Cannot assign requested address', errno: 99 });
  const f = Object.assign(new Error('odd'), { code: 'EWHATEVER', errno: -5 });
  assert.deepEqual(osError(f), { message: 'EWHATEVER', errno: 5 });
});
