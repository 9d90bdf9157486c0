import test from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { TcpConn } from '../../../src/net/tcp-conn.js';
import { flushWriteBatches } from '../../../src/net/socket-writer.js';

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

/** Bytes 0..n-1 of a repeating pattern, so that a lost, doubled or reordered piece shows. */
const pattern = (from: number, n: number): Buffer => {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (from + i) % 251;
  return b;
};

test('tcp-conn: direct reads keep unread bytes and handed-out views when the shared buffer is reused', async () => {
  const a = await pair();
  const b = await pair();
  try {
    assert.equal(a.conn.readDirect(), true, 'a plain TCP socket reads into the shared buffer');
    assert.equal(b.conn.readDirect(), true);
    a.peer.write('first');
    while (a.conn.buffered < 5) await readable(a.conn);
    const view = a.conn.read(2)!;
    // b's read lands in the same buffer: a's queued bytes and the view must not change.
    b.peer.write('XXXXXXXXXX');
    while (b.conn.buffered < 10) await readable(b.conn);
    a.peer.write('second');
    while (a.conn.buffered < 9) await readable(a.conn);
    assert.equal(view.toString(), 'fi');
    let got = '';
    while (a.conn.buffered > 0) a.conn.readInto(4, (src, s, e) => (got += src.toString('latin1', s, e)));
    assert.equal(got, 'rstsecond');
    assert.equal(b.conn.read(100)!.toString(), 'XXXXXXXXXX');
  } finally {
    a.close();
    b.close();
  }
});

test('tcp-conn: direct writes the kernel cannot take at once are queued, counted and drained in order', async () => {
  const { conn, peer, close } = await pair();
  try {
    conn.readDirect();
    peer.pause();
    let sent = 0;
    // Until the kernel's buffers are full and the queue holds bytes (bounded).
    for (let i = 0; i < 400 && conn.queued === 0; i++) {
      conn.writeBatched(pattern(sent, 64 * 1024));
      sent += 64 * 1024;
      flushWriteBatches();
    }
    assert.ok(conn.queued > 0, 'a write was queued');
    // More while the direct write is in flight: these go through Node, behind it.
    for (let i = 0; i < 3; i++) {
      conn.writeBatched(pattern(sent, 1000));
      sent += 1000;
      flushWriteBatches();
    }
    const drained = new Promise<boolean>((r) => conn.whenDrained(r));
    let got = 0;
    let bad = -1;
    peer.on('data', (d: Buffer) => {
      for (let i = 0; i < d.length && bad < 0; i++) if (d[i] !== (got + i) % 251) bad = got + i;
      got += d.length;
    });
    peer.resume();
    assert.equal(await drained, true);
    assert.equal(conn.queued, 0);
    while (got < sent) await new Promise((r) => setTimeout(r, 5));
    assert.equal(got, sent);
    assert.equal(bad, -1, 'every byte in order');
  } finally {
    close();
  }
});

test('tcp-conn: a batch that grows past its buffer keeps every byte, and reused batch buffers carry no old bytes', async () => {
  const { conn, peer, close } = await pair();
  try {
    conn.readDirect();
    let sent = 0;
    let got = 0;
    let bad = -1;
    peer.on('data', (d: Buffer) => {
      for (let i = 0; i < d.length && bad < 0; i++) if (d[i] !== (got + i) % 251) bad = got + i;
      got += d.length;
    });
    // Runs of different shapes: small, then several pieces that outgrow the first buffer
    // (and the flush size), then small again, so grown buffers go back to the pool and
    // come out again for other sizes.
    const runs = [[100], [8192, 8192, 8192, 8192, 8192, 8192, 8192, 8192, 8192], [16], [3000, 70000, 5], [8192], [1, 2, 3]];
    for (let k = 0; k < 5; k++) {
      for (const run of runs) {
        for (const n of run) {
          conn.writeBatched(pattern(sent, n));
          sent += n;
        }
        flushWriteBatches();
        const drained = new Promise<boolean>((r) => conn.whenDrained(r));
        assert.equal(await drained, true);
      }
    }
    while (got < sent) await new Promise((r) => setTimeout(r, 5));
    assert.equal(got, sent);
    assert.equal(bad, -1, 'every byte in order');
  } finally {
    close();
  }
});

test('tcp-conn: a direct write to a peer that reset the connection fails it', async () => {
  const { conn, peer, close } = await pair();
  try {
    conn.readDirect();
    conn.writeBatched(Buffer.from('hello'));
    flushWriteBatches();
    peer.resetAndDestroy();
    for (let i = 0; i < 200 && !conn.ended; i++) {
      if (conn.writable) {
        conn.writeBatched(Buffer.alloc(1000));
        flushWriteBatches();
      }
      await readable(conn).then(() => undefined, () => undefined);
      await new Promise((r) => setTimeout(r, 2));
    }
    assert.ok(conn.ended, 'the connection ended');
    assert.equal(conn.writable, false);
  } finally {
    close();
  }
});

test('tcp-conn: after detach a socket that read directly delivers data events to its next owner', async () => {
  const { conn, peer, close } = await pair();
  try {
    assert.equal(conn.readDirect(), true);
    peer.write('one');
    while (conn.buffered < 3) await readable(conn);
    const rest = conn.detach();
    assert.equal(rest.toString(), 'one');
    let got = '';
    conn.sock.on('data', (d: Buffer) => (got += d.toString()));
    peer.write('two');
    while (got.length < 3) await new Promise((r) => setTimeout(r, 5));
    assert.equal(got, 'two');
  } finally {
    close();
  }
});

test("tcp-conn: one 'end' listener per socket that runs Node's own first, and detach puts Node's back", async () => {
  const server = net.createServer({ allowHalfOpen: false });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const accepted = new Promise<net.Socket>((r) => server.once('connection', r));
  const peer = net.connect(port, '127.0.0.1');
  const so = await accepted;
  const nodeOwn = so.listeners('end');
  try {
    const conn = new TcpConn(so);
    assert.equal(so.listenerCount('end'), 1, 'no array of two listeners on an idle connection');
    // Node's listener still runs first: without allowHalfOpen it refuses writes after the peer's FIN.
    peer.end('x');
    while (!conn.ended) await readable(conn);
    assert.equal(conn.read(10)?.toString(), 'x');
    assert.notEqual(so.write, net.Socket.prototype.write, "Node's 'end' listener ran");
    const other = (): void => {};
    so.on('end', other);
    conn.detach();
    assert.deepEqual(so.listeners('end'), [...nodeOwn, other]);
  } finally {
    peer.destroy();
    so.destroy();
    server.close();
  }
});

test('tcp-conn: chunks queued while nobody reads keep their order across unshift and takeAll', async () => {
  const { conn, peer, close } = await pair();
  try {
    for (const s of ['ab', 'cd', 'ef']) {
      const wait = readable(conn);
      peer.write(s);
      await wait;
    }
    while (conn.buffered < 6) await readable(conn);
    assert.equal(conn.read(1)?.toString(), 'a');
    conn.unshift(Buffer.from('01'));
    assert.equal(conn.read(4)?.toString(), '01bc');
    assert.equal(conn.takeAll().toString(), 'def');
    assert.equal(conn.buffered, 0);
    assert.equal(conn.read(1), null);
  } finally {
    close();
  }
});
