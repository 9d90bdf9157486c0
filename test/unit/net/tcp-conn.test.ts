import test from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { TcpConn, flushWriteBatches } from '../../../src/net/tcp-conn.js';

/** A connected pair on loopback: `conn` wraps the accepted side, `peer` is a plain socket. */
async function pair(highWater?: number): Promise<{ conn: TcpConn; peer: net.Socket; close(): void }> {
  const server = net.createServer({ allowHalfOpen: true });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const accepted = new Promise<net.Socket>((r) => server.once('connection', r));
  const peer = net.connect(port, '127.0.0.1');
  const so = await accepted;
  await new Promise<void>((r) => (peer.connecting ? peer.once('connect', () => r()) : r()));
  const conn = new TcpConn(so, highWater);
  return {
    conn,
    peer,
    close() {
      conn.destroy();
      peer.destroy();
      server.close();
    },
  };
}

const readable = (conn: TcpConn): Promise<void> => new Promise((r) => (conn.onReadable = () => r()));

test('tcp-conn: bytes arrive through onReadable and leave through read/readInto in order', async () => {
  const { conn, peer, close } = await pair();
  try {
    let got = '';
    const wait = readable(conn);
    peer.write('hello ');
    peer.write('world');
    await wait;
    while (conn.buffered < 11) await readable(conn);
    assert.equal(conn.read(3)?.toString(), 'hel');
    const n = conn.readInto(100, (src, start, end) => (got += src.toString('latin1', start, end)));
    assert.ok(n > 0);
    while (conn.buffered > 0) conn.readInto(100, (src, start, end) => (got += src.toString('latin1', start, end)));
    assert.equal(got, 'lo world');
    assert.equal(conn.read(10), null, 'nothing buffered');
  } finally {
    close();
  }
});

test('tcp-conn: the peer end is reported after the buffered bytes', async () => {
  const { conn, peer, close } = await pair();
  try {
    peer.end('bye');
    while (!conn.ended) await readable(conn);
    assert.equal(conn.read(10)?.toString(), 'bye');
    assert.equal(conn.ended, 'eof');
  } finally {
    close();
  }
});

test('tcp-conn: reading stops above the high-water mark and resumes once bytes are taken', async () => {
  const { conn, peer, close } = await pair(1024);
  try {
    const big = Buffer.alloc(256 * 1024, 0x61);
    peer.write(big);
    while (conn.buffered < 1024) await readable(conn);
    // Paused: the kernel and the peer hold the rest; the buffer stays near the mark.
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(conn.buffered < big.length, `buffered ${conn.buffered}`);
    let total = 0;
    while (total < big.length) {
      const b = conn.read(64 * 1024);
      if (b) total += b.length;
      else await readable(conn);
    }
    assert.equal(total, big.length);
  } finally {
    close();
  }
});

test('tcp-conn: batched writes leave on flushWriteBatches, in order, and drain waiters hear of it', async () => {
  const { conn, peer, close } = await pair();
  try {
    let got = '';
    peer.on('data', (d: Buffer) => (got += d.toString()));
    conn.writeBatched(Buffer.from('a'));
    conn.writeBatched(Buffer.from('b'));
    conn.write(Buffer.from('c'));
    flushWriteBatches();
    const drained = await new Promise<boolean>((r) => conn.whenDrained(r));
    assert.equal(drained, true);
    assert.equal(conn.queued, 0);
    while (got.length < 3) await new Promise((r) => setTimeout(r, 5));
    assert.equal(got.split('').sort().join(''), 'abc');
    assert.ok(got.indexOf('a') < got.indexOf('b'), 'batched bytes keep their order');
  } finally {
    close();
  }
});

test('tcp-conn: detach returns the unread bytes and lets go of the socket', async () => {
  const { conn, peer, close } = await pair();
  try {
    peer.write('pending');
    while (conn.buffered < 7) await readable(conn);
    const rest = conn.detach();
    assert.equal(rest.toString(), 'pending');
    assert.equal(conn.closed, true);
    assert.equal(conn.sock.listenerCount('data'), 0);
  } finally {
    close();
  }
});
