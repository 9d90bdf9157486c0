import test from 'node:test';
import assert from 'node:assert/strict';
import { Receiver, DEFAULT_MAX_MESSAGE_SIZE, type FrameEvent } from '../../../src/ws/receiver.js';
import { DELIVERIES, OP, closeBody, frame, prng, randomBytes, segments, type FrameSpec } from './frame-fixtures.js';

/** A receiver event with data events merged into whole messages, for comparison. */
type Seen =
  | { type: 'message'; isText: boolean; hex: string; messageLength: number }
  | { type: 'ping' | 'pong'; hex: string }
  | { type: 'close'; code: number | null; reason: string }
  | { type: 'error'; code: number };

/** Pushes every chunk and drains events after each; merges data events per message. */
function collect(rx: Receiver, chunks: Buffer[], limit = Infinity): Seen[] {
  const raw: FrameEvent[] = [];
  for (const c of chunks) {
    rx.push(c);
    for (let ev = rx.next(limit); ev !== null; ev = rx.next(limit)) raw.push(ev);
  }
  return merge(raw, limit);
}

function merge(events: FrameEvent[], limit = Infinity): Seen[] {
  const out: Seen[] = [];
  let parts: Buffer[] | null = null;
  let isText = false;
  let messageLength = 0;
  for (const ev of events) {
    if (ev.type !== 'data') {
      if (ev.type === 'ping' || ev.type === 'pong') out.push({ type: ev.type, hex: ev.data.toString('hex') });
      else if (ev.type === 'close') out.push({ type: 'close', code: ev.code, reason: ev.reason });
      else {
        assert.equal(typeof ev.reason, 'string');
        assert.ok(ev.reason.length > 0);
        out.push({ type: 'error', code: ev.code });
      }
      continue;
    }
    assert.ok(ev.data.length <= limit, 'a data event never exceeds the limit');
    if (ev.first) {
      assert.equal(parts, null, 'first event while a message is in progress');
      parts = [];
      isText = ev.isText;
      messageLength = ev.messageLength;
    } else {
      assert.notEqual(parts, null, 'data event without first');
      assert.equal(ev.isText, isText);
      assert.equal(ev.messageLength, messageLength);
    }
    parts!.push(ev.data);
    if (ev.last) {
      const data = Buffer.concat(parts!);
      if (messageLength >= 0) assert.equal(data.length, messageLength);
      out.push({ type: 'message', isText, hex: data.toString('hex'), messageLength });
      parts = null;
    }
  }
  return out;
}

const hexOf = (s: string | Uint8Array): string => Buffer.from(s).toString('hex');
const msg = (payload: string | Uint8Array, isText: boolean, fragmented = false): Seen => ({
  type: 'message',
  isText,
  hex: hexOf(payload),
  messageLength: fragmented ? -1 : Buffer.from(payload).length,
});

const rand = prng(2024);
const big125 = randomBytes(125, rand);
const big126 = randomBytes(126, rand);
const big65535 = randomBytes(65535, rand);
const big65536 = randomBytes(65536, rand);
const big70000 = randomBytes(70000, rand);

interface Shape {
  name: string;
  frames: FrameSpec[];
  expected: Seen[];
}

/** Every frame shape the receiver must accept; masks are added per side. */
const SHAPES: Shape[] = [
  { name: 'text frame', frames: [{ opcode: OP.text, payload: 'hello' }], expected: [msg('hello', true)] },
  { name: 'binary frame', frames: [{ opcode: OP.binary, payload: Uint8Array.from([0, 0xff, 7]) }], expected: [msg(Uint8Array.from([0, 0xff, 7]), false)] },
  { name: 'empty text frame', frames: [{ opcode: OP.text }], expected: [msg('', true)] },
  { name: 'empty binary frame', frames: [{ opcode: OP.binary }], expected: [msg('', false)] },
  { name: '125-byte frame (7-bit length)', frames: [{ opcode: OP.binary, payload: big125 }], expected: [msg(big125, false)] },
  { name: '126-byte frame (16-bit length)', frames: [{ opcode: OP.binary, payload: big126 }], expected: [msg(big126, false)] },
  { name: '65535-byte frame (16-bit length)', frames: [{ opcode: OP.binary, payload: big65535 }], expected: [msg(big65535, false)] },
  { name: '65536-byte frame (64-bit length)', frames: [{ opcode: OP.binary, payload: big65536 }], expected: [msg(big65536, false)] },
  { name: 'UTF-8 text in a 64-bit frame', frames: [{ opcode: OP.text, payload: 'ü€😀'.repeat(8000) }], expected: [msg('ü€😀'.repeat(8000), true)] },
  { name: 'non-minimal 16-bit length', frames: [{ opcode: OP.text, payload: 'abc', lengthBits: 16 }], expected: [msg('abc', true)] },
  { name: 'non-minimal 64-bit length', frames: [{ opcode: OP.text, payload: 'abc', lengthBits: 64 }], expected: [msg('abc', true)] },
  { name: 'ping', frames: [{ opcode: OP.ping, payload: 'BAS' }], expected: [{ type: 'ping', hex: hexOf('BAS') }] },
  { name: 'empty ping', frames: [{ opcode: OP.ping }], expected: [{ type: 'ping', hex: '' }] },
  { name: '125-byte ping', frames: [{ opcode: OP.ping, payload: big125 }], expected: [{ type: 'ping', hex: hexOf(big125) }] },
  { name: 'pong', frames: [{ opcode: OP.pong, payload: 'x' }], expected: [{ type: 'pong', hex: hexOf('x') }] },
  { name: 'close without code', frames: [{ opcode: OP.close }], expected: [{ type: 'close', code: null, reason: '' }] },
  { name: 'close 1000', frames: [{ opcode: OP.close, payload: closeBody(1000) }], expected: [{ type: 'close', code: 1000, reason: '' }] },
  { name: 'close 1001 with reason', frames: [{ opcode: OP.close, payload: closeBody(1001, 'bye') }], expected: [{ type: 'close', code: 1001, reason: 'bye' }] },
  { name: 'close 4999 with UTF-8 reason', frames: [{ opcode: OP.close, payload: closeBody(4999, 'tschüß') }], expected: [{ type: 'close', code: 4999, reason: 'tschüß' }] },
  {
    name: 'two messages back to back',
    frames: [
      { opcode: OP.text, payload: 'one' },
      { opcode: OP.binary, payload: 'two' },
    ],
    expected: [msg('one', true), msg('two', false)],
  },
  {
    name: 'fragmented text, a character split across fragments',
    frames: [
      { opcode: OP.text, fin: false, payload: Buffer.from('Hel') },
      { opcode: OP.cont, fin: false, payload: Buffer.from('lo w\xc3', 'latin1') },
      { opcode: OP.cont, payload: Buffer.from('\xb6rld', 'latin1') },
    ],
    expected: [msg('Hello wörld', true, true)],
  },
  {
    name: 'fragmented text, a 4-byte character split over three fragments',
    frames: [
      { opcode: OP.text, fin: false, payload: Buffer.from('f09f', 'hex') },
      { opcode: OP.cont, fin: false, payload: Buffer.from('98', 'hex') },
      { opcode: OP.cont, payload: Buffer.from('80', 'hex') },
    ],
    expected: [msg('😀', true, true)],
  },
  {
    name: 'fragmented binary with a ping and a pong between fragments',
    frames: [
      { opcode: OP.binary, fin: false, payload: 'ab' },
      { opcode: OP.ping, payload: 'p1' },
      { opcode: OP.cont, fin: false, payload: 'cd' },
      { opcode: OP.pong, payload: 'p2' },
      { opcode: OP.ping, payload: 'p3' },
      { opcode: OP.cont, payload: 'ef' },
    ],
    expected: [{ type: 'ping', hex: hexOf('p1') }, { type: 'pong', hex: hexOf('p2') }, { type: 'ping', hex: hexOf('p3') }, msg('abcdef', false, true)],
  },
  {
    name: 'fragmented message with empty first and last fragments',
    frames: [
      { opcode: OP.text, fin: false },
      { opcode: OP.cont, fin: false, payload: 'mid' },
      { opcode: OP.cont },
    ],
    expected: [msg('mid', true, true)],
  },
  {
    name: 'fragmented message of empty fragments only',
    frames: [
      { opcode: OP.binary, fin: false },
      { opcode: OP.cont },
    ],
    expected: [msg('', false, true)],
  },
  {
    name: 'fragmented 70000 bytes in 64-bit and 16-bit fragments',
    frames: [
      { opcode: OP.binary, fin: false, payload: big70000.subarray(0, 65536) },
      { opcode: OP.cont, payload: big70000.subarray(65536) },
    ],
    expected: [msg(big70000, false, true)],
  },
  {
    name: 'message, ping, message, close',
    frames: [
      { opcode: OP.text, payload: 'a' },
      { opcode: OP.ping, payload: 'hb' },
      { opcode: OP.text, payload: 'b' },
      { opcode: OP.close, payload: closeBody(1000) },
    ],
    expected: [msg('a', true), { type: 'ping', hex: hexOf('hb') }, msg('b', true), { type: 'close', code: 1000, reason: '' }],
  },
];

/** The two sides: the server receives masked frames, the client unmasked ones (RFC 6455 §5.1). */
const SIDES = [
  { side: 'server', isServer: true, masked: true },
  { side: 'client', isServer: false, masked: false },
] as const;

function stream(frames: FrameSpec[], masked: boolean): Buffer {
  const r = prng(frames.length);
  return Buffer.concat(frames.map((f) => frame({ ...f, mask: f.mask ?? (masked ? randomBytes(4, r) : false) })));
}

for (const { side, isServer, masked } of SIDES) {
  for (const shape of SHAPES) {
    for (const [how, deliver] of DELIVERIES) {
      test(`receiver (${side}): ${shape.name}, ${how}`, () => {
        const rx = new Receiver({ isServer });
        assert.deepEqual(collect(rx, deliver(stream(shape.frames, masked))), shape.expected);
      });
    }
  }
}

test('receiver: a data event never carries more than the limit', () => {
  const rx = new Receiver({ isServer: true });
  const payload = randomBytes(10000, rand);
  const seen = collect(rx, segments(frame({ opcode: OP.binary, payload, mask: true }), 4096), 1000);
  assert.deepEqual(seen, [msg(payload, false)]);
});

test('receiver: payload comes as subarrays of the pushed chunk', () => {
  const rx = new Receiver({ isServer: false });
  const chunk = frame({ opcode: OP.binary, payload: 'zero-copy' });
  rx.push(chunk);
  const ev = rx.next();
  assert.ok(ev !== null && ev.type === 'data');
  assert.equal(ev.data.buffer, chunk.buffer);
  assert.equal(ev.data.byteOffset, chunk.byteOffset + 2);
});

test('receiver: next returns null until the bytes are there, and keeps its progress', () => {
  const rx = new Receiver({ isServer: true });
  assert.equal(rx.next(), null);
  const bytes = frame({ opcode: OP.text, payload: 'abcdef', mask: true });
  rx.push(bytes.subarray(0, 1));
  assert.equal(rx.next(), null);
  rx.push(bytes.subarray(1, 7)); // header + mask + 1 payload byte
  const first = rx.next();
  assert.ok(first !== null && first.type === 'data');
  assert.equal(first.data.toString(), 'a');
  assert.equal(first.first, true);
  assert.equal(first.last, false);
  assert.equal(rx.next(), null);
  rx.push(bytes.subarray(7));
  const rest = rx.next();
  assert.ok(rest !== null && rest.type === 'data');
  assert.equal(rest.data.toString(), 'bcdef');
  assert.equal(rest.first, false);
  assert.equal(rest.last, true);
  assert.equal(rx.next(), null);
  assert.equal(rx.bufferedAmount, 0);
});

test('receiver: bufferedAmount counts bytes not parsed yet', () => {
  const rx = new Receiver({ isServer: false });
  rx.push(frame({ opcode: OP.text, payload: 'abc' }));
  rx.push(frame({ opcode: OP.text, payload: 'de' }));
  assert.equal(rx.bufferedAmount, 9);
  rx.next();
  assert.equal(rx.bufferedAmount, 4);
});

// ---------------------------------------------------------------------------------------------
// Violations (docs/compat.md D2, D3).

interface Violation {
  name: string;
  isServer: boolean;
  frames: FrameSpec[];
  /** Events expected, ending with the error. */
  expected: Seen[];
  maxMessageSize?: number;
}

const err = (code: number): Seen => ({ type: 'error', code });

const VIOLATIONS: Violation[] = [
  { name: 'RSV1 set', isServer: true, frames: [{ opcode: OP.text, payload: 'x', rsv: 4, mask: true }], expected: [err(1002)] },
  { name: 'RSV2 set', isServer: true, frames: [{ opcode: OP.text, payload: 'x', rsv: 2, mask: true }], expected: [err(1002)] },
  { name: 'RSV3 set', isServer: false, frames: [{ opcode: OP.binary, payload: 'x', rsv: 1 }], expected: [err(1002)] },
  { name: 'RSV on a control frame', isServer: false, frames: [{ opcode: OP.ping, rsv: 4 }], expected: [err(1002)] },
  ...[0x3, 0x7, 0xb, 0xf].map((op) => ({
    name: `reserved opcode 0x${op.toString(16)}`,
    isServer: false,
    frames: [{ opcode: op, payload: 'x' }],
    expected: [err(1002)],
  })),
  { name: 'continuation with no message in progress', isServer: true, frames: [{ opcode: OP.cont, payload: 'x', mask: true }], expected: [err(1002)] },
  {
    name: 'continuation after a complete message',
    isServer: false,
    frames: [
      { opcode: OP.text, payload: 'done' },
      { opcode: OP.cont, payload: 'x' },
    ],
    expected: [msg('done', true), err(1002)],
  },
  {
    name: 'new text frame inside a fragmented message',
    isServer: false,
    frames: [
      { opcode: OP.binary, fin: false, payload: 'ab' },
      { opcode: OP.text, payload: 'x' },
    ],
    expected: [err(1002)],
  },
  {
    name: 'new fragmented binary frame inside a fragmented message',
    isServer: true,
    frames: [
      { opcode: OP.text, fin: false, payload: 'ab', mask: true },
      { opcode: OP.binary, fin: false, payload: 'x', mask: true },
    ],
    expected: [err(1002)],
  },
  { name: 'ping of 126 bytes', isServer: true, frames: [{ opcode: OP.ping, payload: big126, mask: true }], expected: [err(1002)] },
  { name: 'pong of 126 bytes', isServer: false, frames: [{ opcode: OP.pong, payload: big126 }], expected: [err(1002)] },
  { name: 'close of 126 bytes', isServer: false, frames: [{ opcode: OP.close, payload: Buffer.concat([closeBody(1000), big126.subarray(2)]) }], expected: [err(1002)] },
  { name: 'fragmented ping (FIN=0)', isServer: true, frames: [{ opcode: OP.ping, fin: false, payload: 'a', mask: true }], expected: [err(1002)] },
  { name: 'fragmented close (FIN=0)', isServer: false, frames: [{ opcode: OP.close, fin: false }], expected: [err(1002)] },
  { name: 'server: unmasked text frame', isServer: true, frames: [{ opcode: OP.text, payload: 'x' }], expected: [err(1002)] },
  { name: 'server: unmasked ping with payload', isServer: true, frames: [{ opcode: OP.ping, payload: 'x' }], expected: [err(1002)] },
  { name: 'client: masked text frame', isServer: false, frames: [{ opcode: OP.text, payload: 'x', mask: true }], expected: [err(1002)] },
  { name: 'client: masked empty frame', isServer: false, frames: [{ opcode: OP.binary, mask: true }], expected: [err(1002)] },
  { name: 'invalid UTF-8 in a text frame', isServer: true, frames: [{ opcode: OP.text, payload: Buffer.from('6f6bff', 'hex'), mask: true }], expected: [err(1007)] },
  { name: 'UTF-16 surrogate in a text frame', isServer: false, frames: [{ opcode: OP.text, payload: Buffer.from('eda080', 'hex') }], expected: [err(1007)] },
  { name: 'overlong encoding in a text frame', isServer: false, frames: [{ opcode: OP.text, payload: Buffer.from('c0af', 'hex') }], expected: [err(1007)] },
  { name: 'text frame ending inside a character', isServer: false, frames: [{ opcode: OP.text, payload: Buffer.from('41e282', 'hex') }], expected: [err(1007)] },
  {
    name: 'fragmented text ending inside a character',
    isServer: false,
    frames: [
      { opcode: OP.text, fin: false, payload: 'ok' },
      { opcode: OP.cont, payload: Buffer.from('f09f98', 'hex') },
    ],
    expected: [err(1007)],
  },
  {
    name: 'invalid UTF-8 in a later fragment',
    isServer: false,
    frames: [
      { opcode: OP.text, fin: false, payload: 'ok' },
      { opcode: OP.cont, fin: false, payload: Buffer.from('80', 'hex') },
      { opcode: OP.cont, payload: 'x' },
    ],
    expected: [err(1007)],
  },
  { name: 'message over maxMessageSize', isServer: false, maxMessageSize: 100, frames: [{ opcode: OP.binary, payload: randomBytes(101, rand) }], expected: [err(1009)] },
  {
    name: 'fragmented message over maxMessageSize',
    isServer: false,
    maxMessageSize: 100,
    frames: [
      { opcode: OP.binary, fin: false, payload: randomBytes(60, rand) },
      { opcode: OP.cont, payload: randomBytes(41, rand) },
    ],
    expected: [err(1009)],
  },
  { name: 'close with a 1-byte payload', isServer: false, frames: [{ opcode: OP.close, payload: Uint8Array.from([3]) }], expected: [err(1002)] },
  ...[0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535].map((code) => ({
    name: `close with code ${code}`,
    isServer: false,
    frames: [{ opcode: OP.close, payload: closeBody(code) }],
    expected: [err(1002)],
  })),
  { name: 'close with an invalid UTF-8 reason', isServer: true, frames: [{ opcode: OP.close, payload: Buffer.concat([closeBody(1000), Buffer.from('ff', 'hex')]), mask: true }], expected: [err(1002)] },
  { name: '64-bit length with the most significant bit set', isServer: false, frames: [{ opcode: OP.binary, lengthBits: 64, declaredLength: 1, rawHigh32: 0x80000000 }], expected: [err(1002)] },
  { name: '64-bit length of 2^53 bytes', isServer: false, frames: [{ opcode: OP.binary, lengthBits: 64, declaredLength: 0, rawHigh32: 0x200000 }], expected: [err(1009)] },
];

for (const v of VIOLATIONS) {
  for (const [how, deliver] of DELIVERIES) {
    test(`receiver violation: ${v.name}, ${how} → ${(v.expected.at(-1) as { code: number }).code}`, () => {
      const rx = new Receiver({ isServer: v.isServer, maxMessageSize: v.maxMessageSize });
      const bytes = Buffer.concat(v.frames.map(frame));
      assert.deepEqual(collect(rx, deliver(bytes)), v.expected);
    });
  }
}

test('receiver: an unmasked empty frame from a client is let through', () => {
  const rx = new Receiver({ isServer: true });
  assert.deepEqual(collect(rx, [frame({ opcode: OP.text }), frame({ opcode: OP.close })]), [msg('', true), { type: 'close', code: null, reason: '' }]);
});

test('receiver: a message of exactly maxMessageSize is accepted', () => {
  const rx = new Receiver({ isServer: false, maxMessageSize: 100 });
  const payload = randomBytes(100, rand);
  assert.deepEqual(collect(rx, [frame({ opcode: OP.binary, payload })]), [msg(payload, false)]);
});

test('receiver: the default limit is 16 MiB and is checked on the header, before any payload', () => {
  assert.equal(DEFAULT_MAX_MESSAGE_SIZE, 16 * 1024 * 1024);
  const rx = new Receiver({ isServer: false });
  // Header only: 16 MiB + 1 announced, no payload sent.
  rx.push(frame({ opcode: OP.binary, lengthBits: 64, declaredLength: DEFAULT_MAX_MESSAGE_SIZE + 1 }));
  const ev = rx.next();
  assert.ok(ev !== null && ev.type === 'error');
  assert.equal(ev.code, 1009);
});

test('receiver: a violation is reported before the offending frame payload arrives', () => {
  const rx = new Receiver({ isServer: false });
  rx.push(frame({ opcode: OP.binary, rsv: 4, lengthBits: 16, declaredLength: 5000 }));
  const ev = rx.next();
  assert.ok(ev !== null && ev.type === 'error');
  assert.equal(ev.code, 1002);
});

test('receiver: invalid UTF-8 in a long frame fails at the bad bytes, after valid data events', () => {
  const rx = new Receiver({ isServer: false });
  const payload = Buffer.concat([Buffer.from('a'.repeat(3000)), Buffer.from('ff', 'hex'), Buffer.from('b'.repeat(3000))]);
  const bytes = frame({ opcode: OP.text, payload });
  const events: FrameEvent[] = [];
  for (const c of segments(bytes, 1000)) {
    rx.push(c);
    for (let ev = rx.next(); ev !== null; ev = rx.next()) events.push(ev);
  }
  assert.deepEqual(
    events.map((e) => e.type),
    ['data', 'data', 'data', 'error'],
  );
  assert.equal((events[3] as { code: number }).code, 1007);
});

// ---------------------------------------------------------------------------------------------
// After a close frame was sent or received.

for (const [how, deliver] of DELIVERIES) {
  test(`receiver: after a violation only the peer's close is reported, ${how}`, () => {
    const rx = new Receiver({ isServer: false });
    const bytes = Buffer.concat([
      frame({ opcode: OP.text, rsv: 4, payload: 'bad' }),
      frame({ opcode: OP.text, payload: 'discarded' }),
      frame({ opcode: OP.ping, payload: 'no pong after close' }),
      frame({ opcode: OP.binary, fin: false, payload: 'also discarded' }),
      frame({ opcode: OP.binary, payload: big70000 }),
      frame({ opcode: 0x5, rsv: 7 }), // anything goes now
      frame({ opcode: OP.close, payload: closeBody(1002) }),
      frame({ opcode: OP.text, payload: 'after close' }),
    ]);
    assert.deepEqual(collect(rx, deliver(bytes)), [err(1002), { type: 'close', code: 1002, reason: '' }]);
    assert.equal(rx.finished, true);
  });
}

test('receiver: after a violation a malformed close is still the end', () => {
  const rx = new Receiver({ isServer: false });
  const bytes = Buffer.concat([frame({ opcode: 0x3 }), frame({ opcode: OP.close, payload: closeBody(1005) }), frame({ opcode: OP.text, payload: 'x' })]);
  assert.deepEqual(collect(rx, [bytes]), [err(1002), err(1002)]);
  assert.equal(rx.finished, true);
});

test('receiver: after a violation a close longer than 125 bytes ends it', () => {
  const rx = new Receiver({ isServer: false });
  const bytes = Buffer.concat([frame({ opcode: 0x3 }), frame({ opcode: OP.close, payload: big126 })]);
  assert.deepEqual(collect(rx, [bytes]), [err(1002), err(1002)]);
  assert.equal(rx.finished, true);
});

test('receiver: after a 1009 the oversized payload is skipped and a later close is found', () => {
  const rx = new Receiver({ isServer: true, maxMessageSize: 10 });
  const bytes = Buffer.concat([frame({ opcode: OP.binary, payload: randomBytes(5000, rand), mask: true }), frame({ opcode: OP.close, payload: closeBody(1009), mask: true })]);
  assert.deepEqual(collect(rx, segments(bytes, 700)), [err(1009), { type: 'close', code: 1009, reason: '' }]);
});

test('receiver: after 1007 in the middle of a frame the rest of that frame is skipped', () => {
  const rx = new Receiver({ isServer: false });
  const bad = Buffer.concat([Buffer.from('ff', 'hex'), Buffer.from('\x88\x02\x03\xe8')]); // looks like a close frame
  const bytes = Buffer.concat([frame({ opcode: OP.text, payload: bad }), frame({ opcode: OP.close, payload: closeBody(1001) })]);
  assert.deepEqual(collect(rx, [bytes]), [err(1007), { type: 'close', code: 1001, reason: '' }]);
});

test('receiver: nothing is read after a close frame', () => {
  const rx = new Receiver({ isServer: false });
  assert.deepEqual(collect(rx, [frame({ opcode: OP.close }), frame({ opcode: OP.text, payload: 'late' })]), [{ type: 'close', code: null, reason: '' }]);
  assert.equal(rx.finished, true);
  rx.push(frame({ opcode: OP.text, payload: 'later' }));
  assert.equal(rx.bufferedAmount, 0);
  assert.equal(rx.next(), null);
});

test('receiver: after a 2^53 length nothing more is parsed', () => {
  const rx = new Receiver({ isServer: false });
  assert.deepEqual(collect(rx, [frame({ opcode: OP.binary, lengthBits: 64, declaredLength: 0, rawHigh32: 0xffffffff }), frame({ opcode: OP.close })]), [err(1002)]);
  assert.equal(rx.finished, true);
});

test('receiver: markCloseSent discards the rest of a frame in progress and later data', () => {
  const rx = new Receiver({ isServer: false });
  const bytes = Buffer.concat([
    frame({ opcode: OP.binary, payload: 'abcdef' }),
    frame({ opcode: OP.ping, payload: 'p' }),
    frame({ opcode: OP.text, payload: 'x' }),
    frame({ opcode: OP.close, payload: closeBody(1000, 'ok') }),
  ]);
  rx.push(bytes);
  const ev = rx.next(2);
  assert.ok(ev !== null && ev.type === 'data');
  assert.equal(ev.data.toString(), 'ab');
  rx.markCloseSent();
  rx.markCloseSent(); // idempotent
  assert.deepEqual(merge([rx.next()!]), [{ type: 'close', code: 1000, reason: 'ok' }]);
  assert.equal(rx.next(), null);
});
