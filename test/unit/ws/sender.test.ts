import test from 'node:test';
import assert from 'node:assert/strict';
import { FrameTooLargeError, Sender } from '../../../src/ws/sender.js';
import { MessageReader, type ReadResult } from '../../../src/ws/message-reader.js';
import { Receiver } from '../../../src/ws/receiver.js';
import { aliases, prng, randomBytes, segments } from './frame-fixtures.js';

const rand = prng(1455);
const server = new Sender({ isServer: true });
const client = new Sender({ isServer: false });

const wire = (bufs: Buffer[]): Buffer => Buffer.concat(bufs);
const headHex = (bufs: Buffer[], n: number): string => wire(bufs).subarray(0, n).toString('hex');

test('sender: server frames are unmasked, with the smallest length encoding (RFC 6455 §5.2)', () => {
  assert.equal(headHex(server.message(Buffer.alloc(0), false), 2), '8200');
  assert.equal(headHex(server.message(Buffer.alloc(125), true), 2), '817d');
  assert.equal(headHex(server.message(Buffer.alloc(126), false), 4), '827e007e');
  assert.equal(headHex(server.message(Buffer.alloc(65535), false), 4), '827effff');
  assert.equal(headHex(server.message(Buffer.alloc(65536), false), 10), '827f0000000000010000');
  assert.equal(headHex(server.message(Buffer.alloc(70000), true), 10), '817f0000000000011170');
});

test('sender: exact bytes of a small server text frame', () => {
  assert.deepEqual(server.message(Buffer.from('Hello'), true), [Buffer.from('810548656c6c6f', 'hex')]);
});

test('sender: the frame total length is header + payload for every encoding', () => {
  for (const [len, head] of [
    [0, 2],
    [125, 2],
    [126, 4],
    [65535, 4],
    [65536, 10],
  ] as const) {
    assert.equal(wire(server.message(Buffer.alloc(len), false)).length, head + len, `server ${len}`);
    assert.equal(wire(client.message(Buffer.alloc(len), false)).length, head + 4 + len, `client ${len}`);
  }
});

test('sender: a small server frame is one buffer; a large one is header + the uncopied payload', () => {
  const small = Buffer.alloc(100, 1);
  assert.equal(server.message(small, false).length, 1);
  const large = Buffer.alloc(70000, 2);
  const bufs = server.message(large, false);
  assert.equal(bufs.length, 2);
  assert.equal(bufs[0]!.length, 10);
  assert.equal(bufs[1], large, 'the payload is not copied');
});

test('sender: a Uint8Array payload is wrapped, not copied', () => {
  const bytes = new Uint8Array(10000).fill(7);
  const bufs = server.message(bytes, false);
  assert.equal(bufs.length, 2);
  assert.ok(Buffer.isBuffer(bufs[1]));
  assert.ok(aliases(bufs[1]!, bytes));
});

test('sender: client frames are masked (RFC 6455 §5.3), one buffer, payload left untouched', () => {
  const payload = Buffer.from('masked payload');
  const copy = Buffer.from(payload);
  const bufs = client.message(payload, true);
  assert.equal(bufs.length, 1);
  const f = bufs[0]!;
  assert.equal(f[0], 0x81);
  assert.equal(f[1], 0x80 | payload.length);
  const key = f.subarray(2, 6);
  const body = Buffer.from(f.subarray(6));
  for (let i = 0; i < body.length; i++) body[i]! ^= key[i & 3]!;
  assert.deepEqual(body, payload);
  assert.deepEqual(payload, copy, "the caller's buffer is not masked in place");
});

test('sender: two client frames carry different masks (D1)', () => {
  const a = client.message(Buffer.from('same'), false)[0]!;
  const b = client.message(Buffer.from('same'), false)[0]!;
  assert.notDeepEqual(a.subarray(2, 6), b.subarray(2, 6));
  assert.notDeepEqual(a, b);
});

test('sender: masks stay fresh across refills of the random pool', () => {
  const masks = new Set<string>();
  for (let i = 0; i < 3000; i++) masks.add(client.ping(Buffer.alloc(0))[0]!.subarray(2, 6).toString('hex'));
  // 3000 draws from 2^32 values: a repeat is possible but several would mean a broken pool.
  assert.ok(masks.size >= 2998, `${masks.size} distinct masks`);
});

test('sender: an empty message is a valid frame (D2)', () => {
  assert.deepEqual(server.message(Buffer.alloc(0), true), [Buffer.from('8100', 'hex')]);
  const f = client.message(Buffer.alloc(0), false)[0]!;
  assert.equal(f.length, 6);
  assert.equal(f[1], 0x80);
});

test('sender: above maxMessageSize, "Max len 0x1000000" (limit in upper-case hex)', () => {
  const big = { length: 16 * 1024 * 1024 + 1 } as Uint8Array; // only the length is looked at
  assert.throws(
    () => server.message(big, false),
    (e: unknown) => e instanceof FrameTooLargeError && e.message === 'Max len 0x1000000' && e.limit === 0x1000000 && e.code === 'WS_MAX_LEN',
  );
  const small = new Sender({ isServer: false, maxMessageSize: 0xabcde });
  assert.throws(() => small.message(Buffer.alloc(0xabcdf), true), { message: 'Max len 0xABCDE' });
  assert.equal(small.message(Buffer.alloc(0xabcde), true).length, 1);
  assert.equal(small.maxMessageSize, 0xabcde);
});

test('sender: messages above 0xFFFF are accepted (D2)', () => {
  const payload = randomBytes(70000, rand);
  assert.equal(wire(server.message(payload, false)).length, 70010);
});

test('sender: ping and pong payloads up to 125 bytes; above, "Max len 125"', () => {
  assert.deepEqual(server.ping(Buffer.from('BAS')), [Buffer.from('8903424153', 'hex')]);
  assert.deepEqual(server.pong(Buffer.from('BAS')), [Buffer.from('8a03424153', 'hex')]);
  assert.equal(server.ping(Buffer.alloc(125))[0]!.length, 127);
  assert.throws(() => server.ping(Buffer.alloc(126)), { name: 'FrameTooLargeError', message: 'Max len 125' });
  assert.throws(() => client.pong(Buffer.alloc(126)), { message: 'Max len 125' });
});

test('sender: close frames', () => {
  assert.deepEqual(server.close(), [Buffer.from('8800', 'hex')]);
  assert.deepEqual(server.close(null), [Buffer.from('8800', 'hex')]);
  assert.deepEqual(server.close(1000), [Buffer.from('880203e8', 'hex')]);
  assert.deepEqual(server.normalClose(), [Buffer.from('880203e8', 'hex')]);
  assert.deepEqual(server.close(1001, 'bye'), [Buffer.from('880503e9627965', 'hex')]);
  assert.equal(server.close(4000, 'x'.repeat(123))[0]!.length, 127);
  assert.throws(() => server.close(4000, 'x'.repeat(124)), { message: 'Max len 125' });
  for (const code of [999, 1005, 1006, 1015, 2000, 5000]) assert.throws(() => server.close(code), RangeError, String(code));
  assert.throws(() => server.close(undefined, 'reason without code'), RangeError);
});

// ---------------------------------------------------------------------------------------------
// Round trips through the receiver side.

const SIZES = [0, 1, 125, 126, 8192, 8193, 65535, 65536, 70000, 200000];

function readBack(reader: MessageReader, bufs: Buffer[], chunk?: number): Buffer {
  const bytes = wire(bufs);
  const out: Buffer[] = [];
  for (const c of chunk ? segments(bytes, chunk) : [bytes]) {
    reader.push(c);
    for (let r: ReadResult | null = reader.read(); r !== null; r = reader.read()) {
      assert.notEqual(r.kind, 'closed');
      out.push((r as { data: Buffer }).data);
    }
  }
  return Buffer.concat(out);
}

for (const [name, sender, isServer] of [
  ['client → server', client, true],
  ['server → client', server, false],
] as const) {
  for (const size of SIZES) {
    test(`sender round trip ${name}: ${size} bytes`, () => {
      const reader = new MessageReader({ isServer });
      const binary = randomBytes(size, rand);
      assert.deepEqual(readBack(reader, sender.message(binary, false)), binary);
      const text = Buffer.from('ä'.repeat(size >> 1) + 'z'.repeat(size & 1));
      assert.deepEqual(readBack(reader, sender.message(text, true), 1000), text);
    });
  }

  test(`sender round trip ${name}: text flag, ping, pong and close`, () => {
    const pings: string[] = [];
    const reader = new MessageReader({ isServer, onPing: (p) => pings.push(p.toString()) });
    reader.push(wire(sender.message(Buffer.from('t'), true)));
    reader.push(wire(sender.ping(Buffer.from('BAS'))));
    reader.push(wire(sender.pong(Buffer.from('x'))));
    reader.push(wire(sender.message(Buffer.from('b'), false)));
    reader.push(wire(sender.close(1001, 'bye')));
    assert.deepEqual(
      [reader.read(), reader.read(), reader.read(), reader.read()],
      [
        { kind: 'message', data: Buffer.from('t'), isText: true },
        { kind: 'message', data: Buffer.from('b'), isText: false },
        { kind: 'closed', code: 1001, reply: { code: 1001 }, reason: 'bye' },
        null,
      ],
    );
    assert.deepEqual(pings, ['BAS']);
  });
}

test('sender: a client frame read by a client-side receiver is a violation (and vice versa)', () => {
  const atClient = new Receiver({ isServer: false });
  atClient.push(wire(client.message(Buffer.from('x'), true)));
  assert.deepEqual(atClient.next(), { type: 'error', code: 1002, reason: 'the server sent a masked frame' });
  const atServer = new Receiver({ isServer: true });
  atServer.push(wire(server.message(Buffer.from('x'), true)));
  assert.deepEqual(atServer.next(), { type: 'error', code: 1002, reason: 'the client sent an unmasked frame' });
});
