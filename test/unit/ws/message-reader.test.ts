import test from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_READ_CHUNK, MessageReader, type ReadResult } from '../../../src/ws/message-reader.js';
import { DELIVERIES, OP, aliases, closeBody, frame, prng, randomBytes, segments, type FrameSpec } from './frame-fixtures.js';

const rand = prng(6455);

/** A server-side reader (client frames are masked) that records the pings it is asked to answer. */
function serverReader(maxMessageSize?: number): { reader: MessageReader; pings: string[] } {
  const pings: string[] = [];
  const reader = new MessageReader({ isServer: true, maxMessageSize, onPing: (p) => pings.push(p.toString('latin1')) });
  return { reader, pings };
}

/** Client frames: masked with a random key each. */
function masked(...frames: FrameSpec[]): Buffer {
  return Buffer.concat(frames.map((f) => frame({ ...f, mask: randomBytes(4, rand) })));
}

/** Pushes each chunk and reads until null after each push, like the socket layer does. */
function readAll(reader: MessageReader, chunks: Buffer[], maxsize = DEFAULT_READ_CHUNK): ReadResult[] {
  const out: ReadResult[] = [];
  for (const c of chunks) {
    reader.push(c);
    for (let r = reader.read(maxsize); r !== null; r = reader.read(maxsize)) out.push(r);
  }
  return out;
}

const message = (data: string | Uint8Array, isText: boolean): ReadResult => ({ kind: 'message', data: Buffer.from(data), isText });
const closed = (code: number, replyCode: number | null | undefined, reason = ''): ReadResult => ({
  kind: 'closed',
  code,
  reply: replyCode === undefined ? null : { code: replyCode },
  reason,
});

/** Strips the diagnostic text of violations (checked separately) so results compare exactly. */
function withoutViolationReasons(results: ReadResult[], codes: number[]): ReadResult[] {
  return results.map((r) => {
    if (r.kind !== 'closed' || !codes.includes(r.code)) return r;
    if (r.reply !== null) assert.ok(r.reason.length > 0, 'a violation says what the peer did');
    return { ...r, reason: '' };
  });
}

// ---------------------------------------------------------------------------------------------
// Results that do not depend on how the bytes are split.

interface Scenario {
  name: string;
  bytes: () => Buffer;
  expected: ReadResult[];
  pings?: string[];
  maxMessageSize?: number;
}

const text5000 = 'x'.repeat(4998) + 'é'; // 5000 bytes
const bin8192 = randomBytes(8192, rand);

const SCENARIOS: Scenario[] = [
  { name: 'text frame reads as data, true', bytes: () => masked({ opcode: OP.text, payload: 'hello' }), expected: [message('hello', true)] },
  { name: 'binary frame reads as data, false', bytes: () => masked({ opcode: OP.binary, payload: 'bin' }), expected: [message('bin', false)] },
  { name: 'empty text frame reads as "", true', bytes: () => masked({ opcode: OP.text }), expected: [message('', true)] },
  { name: 'empty binary frame reads as "", false', bytes: () => masked({ opcode: OP.binary }), expected: [message('', false)] },
  { name: 'unmasked empty frame from a client is accepted', bytes: () => frame({ opcode: OP.binary }), expected: [message('', false)] },
  { name: 'two frames, two reads', bytes: () => masked({ opcode: OP.text, payload: 'one' }, { opcode: OP.text, payload: 'two' }), expected: [message('one', true), message('two', true)] },
  { name: '5000-byte text frame returned whole (D2)', bytes: () => masked({ opcode: OP.text, payload: text5000 }), expected: [message(text5000, true)] },
  { name: 'frame of exactly maxsize returned whole', bytes: () => masked({ opcode: OP.binary, payload: bin8192 }), expected: [message(bin8192, false)] },
  {
    name: '3-frame fragmented text message returned as one message (D2)',
    bytes: () => masked({ opcode: OP.text, fin: false, payload: 'frag' }, { opcode: OP.cont, fin: false, payload: 'men' }, { opcode: OP.cont, payload: 'ted ✓' }),
    expected: [message('fragmented ✓', true)],
  },
  {
    name: 'fragmented message of exactly maxsize returned whole',
    bytes: () => masked({ opcode: OP.binary, fin: false, payload: bin8192.subarray(0, 100) }, { opcode: OP.cont, payload: bin8192.subarray(100) }),
    expected: [message(bin8192, false)],
  },
  {
    name: 'empty fragmented message',
    bytes: () => masked({ opcode: OP.text, fin: false }, { opcode: OP.cont }),
    expected: [message('', true)],
  },
  {
    name: 'pings between fragments are answered, the message comes whole',
    bytes: () =>
      masked(
        { opcode: OP.binary, fin: false, payload: 'a' },
        { opcode: OP.ping, payload: 'p1' },
        { opcode: OP.cont, fin: false, payload: 'b' },
        { opcode: OP.pong, payload: 'ignored' },
        { opcode: OP.ping },
        { opcode: OP.cont, payload: 'c' },
      ),
    expected: [message('abc', false)],
    pings: ['p1', ''],
  },
  { name: 'ping gets its complete payload; read keeps waiting', bytes: () => masked({ opcode: OP.ping, payload: 'x'.repeat(125) }), expected: [], pings: ['x'.repeat(125)] },
  { name: 'pong is ignored', bytes: () => masked({ opcode: OP.pong, payload: 'x' }), expected: [] },
  { name: 'close 1001 is echoed (D3)', bytes: () => masked({ opcode: OP.close, payload: closeBody(1001, 'going') }), expected: [closed(1001, 1001, 'going')] },
  { name: 'close without a code reads 1000, answered with an empty close', bytes: () => masked({ opcode: OP.close }), expected: [closed(1000, null)] },
  {
    name: 'nothing after a peer close is read',
    bytes: () => masked({ opcode: OP.text, payload: 'before' }, { opcode: OP.close, payload: closeBody(1000) }, { opcode: OP.text, payload: 'after' }, { opcode: OP.close }),
    expected: [message('before', true), closed(1000, 1000)],
  },
  { name: 'unmasked non-empty frame: 1002', bytes: () => frame({ opcode: OP.text, payload: 'x' }), expected: [closed(1002, 1002)] },
  { name: 'RSV bits: 1002', bytes: () => masked({ opcode: OP.text, payload: 'x', rsv: 4 }), expected: [closed(1002, 1002)] },
  { name: 'unknown opcode: 1002', bytes: () => masked({ opcode: 0x3, payload: 'x' }), expected: [closed(1002, 1002)] },
  { name: '126-byte ping: 1002 (D3)', bytes: () => masked({ opcode: OP.ping, payload: 'x'.repeat(126) }), expected: [closed(1002, 1002)], pings: [] },
  { name: 'fragmented ping: 1002 (D3)', bytes: () => masked({ opcode: OP.ping, fin: false, payload: 'x' }), expected: [closed(1002, 1002)], pings: [] },
  { name: 'invalid UTF-8: 1007 (D3)', bytes: () => masked({ opcode: OP.text, payload: Buffer.from('c328', 'hex') }), expected: [closed(1007, 1007)] },
  { name: 'close with a 1-byte payload: 1002', bytes: () => masked({ opcode: OP.close, payload: Uint8Array.from([1]) }), expected: [closed(1002, 1002)] },
  { name: 'close with code 1005: 1002', bytes: () => masked({ opcode: OP.close, payload: closeBody(1005) }), expected: [closed(1002, 1002)] },
  { name: 'close with an invalid UTF-8 reason: 1002', bytes: () => masked({ opcode: OP.close, payload: Buffer.concat([closeBody(1000), Buffer.from('ed', 'hex')]) }), expected: [closed(1002, 1002)] },
  { name: 'message above wsmaxsize: 1009 (D2)', maxMessageSize: 1000, bytes: () => masked({ opcode: OP.binary, payload: randomBytes(1001, rand) }), expected: [closed(1009, 1009)] },
  {
    name: 'fragmented message above wsmaxsize: 1009 (D2)',
    maxMessageSize: 1000,
    bytes: () => masked({ opcode: OP.binary, fin: false, payload: randomBytes(600, rand) }, { opcode: OP.cont, payload: randomBytes(401, rand) }),
    expected: [closed(1009, 1009)],
  },
  {
    name: 'after a violation data is discarded and the peer close comes without a reply',
    bytes: () =>
      masked(
        { opcode: OP.text, payload: 'x', rsv: 2 },
        { opcode: OP.text, payload: 'discarded' },
        { opcode: OP.ping, payload: 'not answered' },
        { opcode: OP.binary, payload: randomBytes(20000, rand) },
        { opcode: OP.close, payload: closeBody(1002) },
      ),
    expected: [closed(1002, 1002), closed(1002, undefined)],
    pings: [],
  },
  {
    name: 'after a violation a malformed peer close ends it with 1002 and no reply',
    bytes: () => masked({ opcode: OP.cont, payload: 'x' }, { opcode: OP.close, payload: closeBody(999) }),
    expected: [closed(1002, 1002), closed(1002, undefined)],
  },
];

for (const s of SCENARIOS) {
  for (const [how, deliver] of DELIVERIES) {
    test(`reader: ${s.name}, ${how}`, () => {
      const { reader, pings } = serverReader(s.maxMessageSize);
      const results = withoutViolationReasons(readAll(reader, deliver(s.bytes())), [1002, 1007, 1009]);
      assert.deepEqual(results, s.expected);
      assert.deepEqual(pings, s.pings ?? []);
      assert.equal(reader.read(), null, 'nothing more');
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Long messages in pieces.

/** Checks the piece invariants and returns the reassembled message. */
function checkPieces(results: ReadResult[], frameLen: number, isText: boolean, maxsize = DEFAULT_READ_CHUNK): Buffer {
  assert.ok(results.length >= 2);
  let total = 0;
  for (const [i, r] of results.entries()) {
    assert.equal(r.kind, 'piece', `result ${i} is a piece`);
    if (r.kind !== 'piece') continue;
    assert.equal(Object.keys(r).length, 5, 'kind + the 4 Lua values');
    assert.ok(r.data.length > 0 && r.data.length <= maxsize, `piece ${i} size ${r.data.length}`);
    total += r.data.length;
    assert.equal(r.bytesRead, total, 'bytesRead is cumulative');
    assert.equal(r.frameLen, frameLen);
    assert.equal(r.isText, isText);
  }
  const last = results.at(-1)!;
  assert.ok(last.kind === 'piece' && last.bytesRead === last.frameLen, 'bytesRead == frameLen on the last piece');
  return Buffer.concat(results.map((r) => (r as { data: Buffer }).data));
}

test('reader: a 60000-byte frame in one segment comes as 8 pieces of at most 8192 bytes', () => {
  const { reader } = serverReader();
  const payload = randomBytes(60000, rand);
  const results = readAll(reader, [masked({ opcode: OP.binary, payload })]);
  assert.deepEqual(
    results.map((r) => (r.kind === 'piece' ? [r.data.length, r.bytesRead, r.frameLen] : r.kind)),
    [
      [8192, 8192, 60000],
      [8192, 16384, 60000],
      [8192, 24576, 60000],
      [8192, 32768, 60000],
      [8192, 40960, 60000],
      [8192, 49152, 60000],
      [8192, 57344, 60000],
      [2656, 60000, 60000],
    ],
  );
  assert.deepEqual(checkPieces(results, 60000, false), payload);
});

for (const [how, size] of [
  ['1460-byte TCP segments', 1460],
  ['10000-byte TCP segments', 10000],
  ['one byte at a time', 1],
] as const) {
  test(`reader: a 60000-byte text frame in ${how} comes in pieces as the bytes arrive`, () => {
    const { reader } = serverReader();
    const payload = Buffer.from('ü'.repeat(30000));
    const results = readAll(reader, segments(masked({ opcode: OP.text, payload }), size));
    assert.deepEqual(checkPieces(results, 60000, true), payload);
  });
}

test('reader: pieces of a long frame go out as soon as bytes are there (not held back to fill a chunk)', () => {
  const { reader } = serverReader();
  const payload = randomBytes(20000, rand);
  const bytes = masked({ opcode: OP.binary, payload });
  reader.push(bytes.subarray(0, 8 + 106)); // 8 header bytes (16-bit length, mask) + 106 of payload
  const first = reader.read();
  assert.ok(first !== null && first.kind === 'piece');
  assert.equal(first.bytesRead, 106);
  assert.equal(reader.read(), null);
  reader.push(bytes.subarray(8 + 106));
  const rest: ReadResult[] = [first];
  for (let r = reader.read(); r !== null; r = reader.read()) rest.push(r);
  assert.deepEqual(checkPieces(rest, 20000, false), payload);
});

test('reader: a 5000-byte frame in two TCP segments is returned whole (D2)', () => {
  const { reader } = serverReader();
  const payload = Buffer.from('z'.repeat(5000));
  const bytes = masked({ opcode: OP.text, payload });
  reader.push(bytes.subarray(0, 3000));
  assert.equal(reader.read(), null, 'not complete yet: the read waits');
  reader.push(bytes.subarray(3000));
  assert.deepEqual(reader.read(), message(payload, true));
  assert.equal(reader.read(), null);
});

for (const [how, chunking] of [
  ['whole', (b: Buffer) => [b]],
  ['in 1000-byte segments', (b: Buffer) => segments(b, 1000)],
] as const) {
  test(`reader: a 100000-byte fragmented message with pings between fragments, ${how}, comes in pieces`, () => {
    const { reader, pings } = serverReader();
    const payload = randomBytes(100000, rand);
    const bytes = masked(
      { opcode: OP.binary, fin: false, payload: payload.subarray(0, 30000) },
      { opcode: OP.ping, payload: 'one' },
      { opcode: OP.cont, fin: false, payload: payload.subarray(30000, 60000) },
      { opcode: OP.ping, payload: 'two' },
      { opcode: OP.cont, payload: payload.subarray(60000) },
      { opcode: OP.text, payload: 'next' },
    );
    const results = readAll(reader, chunking(bytes));
    assert.deepEqual(pings, ['one', 'two']);
    assert.deepEqual(results.at(-1), message('next', true));
    const pieces = results.slice(0, -1);
    assert.equal(pieces.length, 13);
    assert.deepEqual(
      pieces.map((r) => (r as { data: Buffer }).data.length),
      [...Array(12).fill(8192), 100000 - 12 * 8192],
    );
    assert.deepEqual(checkPieces(pieces, 100000, false), payload);
  });
}

test('reader: a fragmented message is only returned once complete', () => {
  const { reader } = serverReader();
  reader.push(masked({ opcode: OP.text, fin: false, payload: 'a'.repeat(9000) }));
  assert.equal(reader.read(), null);
  reader.push(masked({ opcode: OP.cont, fin: false, payload: 'b' }));
  assert.equal(reader.read(), null);
  reader.push(masked({ opcode: OP.cont, payload: 'c' }));
  const results = [reader.read()!, reader.read()!];
  assert.deepEqual(checkPieces(results, 9002, true).toString(), 'a'.repeat(9000) + 'bc');
  assert.equal(reader.read(), null);
});

test('reader: maxsize can change from read to read', () => {
  const { reader } = serverReader();
  const payload = randomBytes(20000, rand);
  reader.push(masked({ opcode: OP.binary, payload }));
  const sizes = [8192, 1000, 300, 5000, 8192, 8192];
  const results: ReadResult[] = [];
  for (const m of sizes) {
    const r = reader.read(m);
    if (r === null) break;
    results.push(r);
  }
  assert.deepEqual(
    results.map((r) => (r as { data: Buffer }).data.length),
    [8192, 1000, 300, 5000, 5508],
  );
  assert.deepEqual(Buffer.concat(results.map((r) => (r as { data: Buffer }).data)), payload);
});

test('reader: a message of maxsize + 1 bytes comes in two pieces', () => {
  const { reader } = serverReader();
  const payload = randomBytes(301, rand);
  const results = readAll(reader, [masked({ opcode: OP.binary, payload })], 300);
  assert.deepEqual(checkPieces(results, 301, false, 300), payload);
  assert.equal(results.length, 2);
});

test('reader: an assembled message is served with the maxsize of each read', () => {
  const { reader } = serverReader();
  const payload = randomBytes(1000, rand);
  reader.push(masked({ opcode: OP.binary, fin: false, payload: payload.subarray(0, 10) }, { opcode: OP.cont, payload: payload.subarray(10) }));
  const a = reader.read(400);
  const b = reader.read(257);
  const c = reader.read(8192);
  assert.deepEqual([a, b, c].map((r) => (r as { bytesRead: number }).bytesRead), [400, 657, 1000]);
  assert.deepEqual(checkPieces([a!, b!, c!], 1000, false, 8192), payload);
});

test('reader: a long message followed by more frames in the same segment', () => {
  const { reader } = serverReader();
  const payload = randomBytes(9000, rand);
  const results = readAll(reader, [masked({ opcode: OP.binary, payload }, { opcode: OP.text, payload: 'short' }, { opcode: OP.close, payload: closeBody(1000) })]);
  assert.deepEqual(checkPieces(results.slice(0, 2), 9000, false), payload);
  assert.deepEqual(results.slice(2), [message('short', true), closed(1000, 1000)]);
});

test('reader: invalid UTF-8 in the second piece of a long text frame closes with 1007', () => {
  const { reader } = serverReader();
  const payload = Buffer.concat([Buffer.from('a'.repeat(9000)), Buffer.from('fe', 'hex'), Buffer.from('b'.repeat(9000))]);
  const results = readAll(reader, [masked({ opcode: OP.text, payload })]);
  assert.equal(results.length, 2);
  assert.equal(results[0]!.kind, 'piece');
  assert.deepEqual(withoutViolationReasons(results.slice(1), [1007]), [closed(1007, 1007)]);
});

test('reader: a text message cut inside a character at a piece edge is fine', () => {
  const { reader } = serverReader();
  const payload = Buffer.from('€'.repeat(10000)); // 30000 bytes: 8192 is not a multiple of 3
  const results = readAll(reader, [masked({ opcode: OP.text, payload })]);
  assert.deepEqual(checkPieces(results, 30000, true), payload);
});

// ---------------------------------------------------------------------------------------------
// Copies, pings, state.

test('reader: a 64-byte message in one chunk is returned without a copy', () => {
  const { reader } = serverReader();
  const payload = randomBytes(64, rand);
  const chunk = masked({ opcode: OP.binary, payload });
  reader.push(chunk);
  const r = reader.read();
  assert.ok(r !== null && r.kind === 'message');
  assert.deepEqual(r.data, payload);
  assert.ok(aliases(r.data, chunk), 'a subarray of the pushed chunk');
});

test('reader: a piece inside one chunk is a subarray too', () => {
  const { reader } = serverReader();
  const chunk = masked({ opcode: OP.binary, payload: randomBytes(20000, rand) });
  reader.push(chunk);
  const r = reader.read();
  assert.ok(r !== null && r.kind === 'piece');
  assert.ok(aliases(r.data, chunk));
});

test('reader: a ping split over segments is answered once, with its whole payload (D3)', () => {
  const { reader, pings } = serverReader();
  const bytes = masked({ opcode: OP.ping, payload: 'complete payload' }, { opcode: OP.text, payload: 'after' });
  const results = readAll(reader, segments(bytes, 5));
  assert.deepEqual(pings, ['complete payload']);
  assert.deepEqual(results, [message('after', true)]);
});

test('reader: pings are not answered when no one reads (parsing happens in read)', () => {
  const { reader, pings } = serverReader();
  reader.push(masked({ opcode: OP.ping, payload: 'p' }));
  assert.deepEqual(pings, []);
  assert.equal(reader.read(), null);
  assert.deepEqual(pings, ['p']);
});

test('reader: works without an onPing hook', () => {
  const reader = new MessageReader({ isServer: false });
  reader.push(frame({ opcode: OP.ping, payload: 'p' }));
  reader.push(frame({ opcode: OP.text, payload: 't' }));
  assert.deepEqual(reader.read(), message('t', true));
});

test('reader (client side): unmasked server frames are read, a masked one is 1002', () => {
  const reader = new MessageReader({ isServer: false });
  const results = readAll(reader, [frame({ opcode: OP.text, payload: 'hi' }), frame({ opcode: OP.text, payload: 'masked', mask: true })]);
  assert.deepEqual(withoutViolationReasons(results, [1002]), [message('hi', true), closed(1002, 1002)]);
});

test('reader: closing and finished follow the close handshake', () => {
  const { reader } = serverReader();
  assert.equal(reader.closing, false);
  assert.equal(reader.finished, false);
  reader.push(masked({ opcode: OP.text, payload: 'x', rsv: 1 }));
  assert.equal(reader.read()!.kind, 'closed');
  assert.equal(reader.closing, true);
  assert.equal(reader.finished, false, 'still waiting for the peer close');
  reader.push(masked({ opcode: OP.close }));
  assert.deepEqual(reader.read(), closed(1000, undefined));
  assert.equal(reader.finished, true);
  assert.equal(reader.read(), null);
});

test('reader: markCloseSent drops a message in progress; the peer close gets no reply', () => {
  const { reader, pings } = serverReader();
  reader.push(masked({ opcode: OP.binary, fin: false, payload: 'part' }));
  assert.equal(reader.read(), null);
  reader.markCloseSent();
  assert.equal(reader.closing, true);
  reader.push(masked({ opcode: OP.cont, payload: 'rest' }, { opcode: OP.ping, payload: 'p' }, { opcode: OP.text, payload: 'x' }, { opcode: OP.close, payload: closeBody(1000) }));
  assert.deepEqual(reader.read(), closed(1000, undefined));
  assert.deepEqual(pings, []);
});

test('reader: markCloseSent during an assembled message being served drops the rest', () => {
  const { reader } = serverReader();
  reader.push(masked({ opcode: OP.binary, fin: false, payload: randomBytes(9000, rand) }, { opcode: OP.cont, payload: 'x' }, { opcode: OP.close }));
  assert.equal(reader.read()!.kind, 'piece');
  reader.markCloseSent();
  assert.deepEqual(reader.read(), closed(1000, undefined));
});

test('reader: bufferedAmount counts unparsed and held bytes', () => {
  const { reader } = serverReader();
  assert.equal(reader.bufferedAmount, 0);
  const bytes = masked({ opcode: OP.binary, payload: randomBytes(5000, rand) });
  reader.push(bytes.subarray(0, 1000));
  assert.equal(reader.bufferedAmount, 1000);
  assert.equal(reader.read(), null);
  assert.equal(reader.bufferedAmount, 1000 - 8, 'header parsed, payload held');
  reader.push(bytes.subarray(1000));
  reader.read();
  assert.equal(reader.bufferedAmount, 0);
});

test('reader: read rejects a chunk size below 1', () => {
  const { reader } = serverReader();
  assert.throws(() => reader.read(0), RangeError);
  assert.throws(() => reader.read(Number.NaN), RangeError);
});

test('reader: the default read chunk is 8192', () => {
  assert.equal(DEFAULT_READ_CHUNK, 8192);
});
