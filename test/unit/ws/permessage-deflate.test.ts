// RFC 7692 permessage-deflate: negotiation both sides, the synchronous compressor and
// decompressor (checked against zlib's one-shot functions), the bounded inflation, and the
// reader/sender rules (RSV1 only on a data message's first frame, lengths of inflated data).
// Also: pieces of a long text message end on character boundaries.
import test from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { isUtf8 } from 'node:buffer';
import {
  CLIENT_OFFER,
  Deflater,
  Inflater,
  acceptClientAnswer,
  negotiateServer,
  parseExtensions,
} from '../../../src/ws/permessage-deflate.js';
import { MessageReader, characterBoundary, type ReadResult } from '../../../src/ws/message-reader.js';
import { Sender } from '../../../src/ws/sender.js';
import { OP, frame, prng, randomBytes, segments } from './frame-fixtures.js';

const rand = prng(7692);
const RSV1 = 4; // frame-fixtures' rsv is the 3-bit field: RSV1 is its high bit

/** What a peer sends for one message without context takeover: deflate, tail stripped. */
function compressed(data: string | Buffer): Buffer {
  const c = zlib.deflateRawSync(Buffer.from(data), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  assert.deepEqual([...c.subarray(-4)], [0, 0, 0xff, 0xff]);
  return c.subarray(0, -4);
}

function deflateReader(maxMessageSize?: number): MessageReader {
  return new MessageReader({ isServer: true, maxMessageSize, inflater: new Inflater(false) });
}

function readAll(reader: MessageReader, chunks: Buffer[], maxsize = 8192): ReadResult[] {
  const out: ReadResult[] = [];
  for (const c of chunks) {
    reader.push(c);
    for (let r = reader.read(maxsize); r !== null; r = reader.read(maxsize)) out.push(r);
  }
  return out;
}

const mask = () => randomBytes(4, rand);

// ---- negotiation -----------------------------------------------------------------------------

test('parseExtensions: lists, parameters, quoted values, malformed input', () => {
  assert.deepEqual(parseExtensions('permessage-deflate; client_max_window_bits, x-foo;a="9" ;b'), [
    { name: 'permessage-deflate', params: [['client_max_window_bits', true]] },
    { name: 'x-foo', params: [['a', '9'], ['b', true]] },
  ]);
  assert.deepEqual(parseExtensions(''), []);
  assert.equal(parseExtensions('permessage-deflate; ='), null);
  assert.equal(parseExtensions('permessage-deflate; a="x'), null);
  assert.equal(parseExtensions('a b'), null);
});

test('server: accepts the first valid offer and answers as RFC 7692 §7.1 says', () => {
  assert.equal(negotiateServer(undefined), null);
  assert.equal(negotiateServer('x-webkit-deflate-frame'), null);
  const plain = negotiateServer('permessage-deflate; client_max_window_bits')!;
  assert.equal(plain.response, 'permessage-deflate');
  assert.deepEqual(plain.params, { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15 });
  const all = negotiateServer('permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=9')!;
  assert.equal(all.response, 'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10');
  assert.equal(all.params.serverMaxWindowBits, 10);
  assert.equal(all.params.serverNoContextTakeover, true);
  // Quoted values are tokens too (RFC 6455 §9.1).
  assert.equal(negotiateServer('permessage-deflate; server_max_window_bits="12"')!.params.serverMaxWindowBits, 12);
  // Invalid offers are declined; a later valid one is taken.
  for (const bad of [
    'permessage-deflate; server_max_window_bits=16',
    'permessage-deflate; server_max_window_bits=7',
    'permessage-deflate; server_max_window_bits=010',
    'permessage-deflate; server_max_window_bits',
    'permessage-deflate; client_max_window_bits=1',
    'permessage-deflate; server_no_context_takeover=1',
    'permessage-deflate; server_no_context_takeover; server_no_context_takeover',
    'permessage-deflate; unknown',
  ]) {
    assert.equal(negotiateServer(bad), null, bad);
    const next = negotiateServer(`${bad}, permessage-deflate; client_no_context_takeover`);
    assert.equal(next?.response, 'permessage-deflate; client_no_context_takeover', bad);
  }
  // The server may reset its own context whatever the client asked.
  assert.equal(negotiateServer('permessage-deflate', { serverNoContextTakeover: true })!.response, 'permessage-deflate; server_no_context_takeover');
});

test('client: the offer, accepted answers and answers that fail the handshake', () => {
  assert.equal(CLIENT_OFFER, 'permessage-deflate; client_max_window_bits');
  assert.equal(acceptClientAnswer([]), null);
  assert.deepEqual(acceptClientAnswer(['permessage-deflate']), {
    serverNoContextTakeover: false,
    clientNoContextTakeover: false,
    serverMaxWindowBits: 15,
    clientMaxWindowBits: 15,
  });
  assert.deepEqual(acceptClientAnswer(['permessage-deflate; client_max_window_bits=9; server_max_window_bits=10; client_no_context_takeover; server_no_context_takeover']), {
    serverNoContextTakeover: true,
    clientNoContextTakeover: true,
    serverMaxWindowBits: 10,
    clientMaxWindowBits: 9,
  });
  for (const bad of [
    ['x-foo'],
    ['permessage-deflate, permessage-deflate'],
    ['permessage-deflate', 'x-foo'],
    ['permessage-deflate; client_max_window_bits'], // the server must give a value (§7.1.2.2)
    ['permessage-deflate; server_max_window_bits=16'],
    ['permessage-deflate; server_no_context_takeover; server_no_context_takeover'],
    ['permessage-deflate; server_no_context_takeover=x'],
    ['permessage-deflate; foo'],
    ['permessage-deflate; ='],
  ]) {
    assert.equal(typeof acceptClientAnswer(bad), 'string', bad.join(' | '));
  }
});

// ---- compressor and decompressor ---------------------------------------------------------------

test('Deflater with context takeover: one raw deflate stream, smaller repeats; Inflater inverts it', () => {
  const d = new Deflater(15, false);
  const inf = new Inflater(false);
  const msgs = [JSON.stringify({ sensor: 'temp', values: [1, 2, 3] }), JSON.stringify({ sensor: 'temp', values: [1, 2, 4] }), 'é€😀'.repeat(5000), randomBytes(100_000, rand).toString('latin1')];
  const parts: Buffer[] = [];
  const sizes: number[] = [];
  for (const m of msgs) {
    const c = d.compress(Buffer.from(m, m.startsWith('{') || m.startsWith('é') ? 'utf8' : 'latin1'));
    sizes.push(c.length);
    parts.push(c, Buffer.from([0, 0, 0xff, 0xff]));
    const out: Buffer[] = [];
    assert.equal(typeof inf.write(c, out, 1 << 24), 'number');
    assert.equal(typeof inf.finish(out, 1 << 24), 'number');
    assert.equal(Buffer.concat(out).toString(m.startsWith('{') || m.startsWith('é') ? 'utf8' : 'latin1'), m);
  }
  // The messages with their tails form one stream that zlib's one-shot inflate reads.
  const all = zlib.inflateRawSync(Buffer.concat(parts), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  assert.equal(all.length, msgs.reduce((n, m) => n + Buffer.byteLength(m, m.startsWith('{') || m.startsWith('é') ? 'utf8' : 'latin1'), 0));
  assert.ok(sizes[1]! < sizes[0]!, `the second message uses the first as context: ${sizes}`);
  d.close();
  inf.close();
});

test('Deflater without context takeover: every message stands alone', () => {
  const d = new Deflater(9, true);
  const m = Buffer.from('abcabcabc'.repeat(100));
  const a = d.compress(m);
  const b = d.compress(m);
  assert.deepEqual(a, b);
  assert.deepEqual(zlib.inflateRawSync(b, { finishFlush: zlib.constants.Z_SYNC_FLUSH }), m);
  assert.equal(Deflater.canCompress(8), false);
  assert.equal(Deflater.canCompress(9), true);
});

test('Inflater: a zip bomb stops at the limit, with no more than the limit kept', () => {
  const bomb = compressed(Buffer.alloc(4 * 1024 * 1024));
  assert.ok(bomb.length < 10_000);
  const inf = new Inflater(false);
  const out: Buffer[] = [];
  assert.equal(inf.write(bomb, out, 1024 * 1024), 'toolarge');
  assert.ok(out.reduce((n, b) => n + b.length, 0) <= 1024 * 1024);
  // Garbage is an error, not an exception.
  assert.equal(new Inflater(false).write(Buffer.from([0xff, 0xff, 0xff, 0xff]), [], 100), 'error');
});

// ---- reader and sender ----------------------------------------------------------------------

test('reader: compressed messages, single and fragmented, whole or in pieces of the inflated length', () => {
  const text = 'hello compressed world '.repeat(1000); // 23000 bytes
  const c = compressed(text);
  const single = frame({ opcode: OP.text, rsv: RSV1, payload: c, mask: mask() });
  const half = Math.floor(c.length / 2);
  const fragmented = Buffer.concat([
    frame({ opcode: OP.text, rsv: RSV1, fin: false, payload: c.subarray(0, half), mask: mask() }),
    frame({ opcode: OP.ping, payload: 'p', mask: mask() }),
    frame({ opcode: OP.cont, payload: c.subarray(half), mask: mask() }),
  ]);
  for (const bytes of [single, fragmented]) {
    for (const seg of [bytes.length, 7, 1]) {
      const whole = readAll(deflateReader(), segments(Buffer.from(bytes), seg), 65536);
      assert.deepEqual(whole, [{ kind: 'message', data: Buffer.from(text), isText: true }]);
      const pieces = readAll(deflateReader(), segments(Buffer.from(bytes), seg), 8192);
      assert.deepEqual(
        pieces.map((r) => (r.kind === 'piece' ? [r.data.length, r.bytesRead, r.frameLen] : r.kind)),
        [[8192, 8192, 23000], [8192, 16384, 23000], [6616, 23000, 23000]],
      );
      assert.equal(Buffer.concat(pieces.map((r) => (r.kind === 'piece' ? r.data : Buffer.alloc(0)))).toString(), text);
    }
  }
  // Uncompressed messages still work on a connection with the extension.
  assert.deepEqual(readAll(deflateReader(), [frame({ opcode: OP.binary, payload: 'raw', mask: mask() })]), [
    { kind: 'message', data: Buffer.from('raw'), isText: false },
  ]);
  // An empty compressed message is a single 00 byte (RFC 7692 §7.2.3.6).
  assert.deepEqual(readAll(deflateReader(), [frame({ opcode: OP.text, rsv: RSV1, payload: Buffer.from([0]), mask: mask() })]), [
    { kind: 'message', data: Buffer.alloc(0), isText: true },
  ]);
});

test('reader: a message inflating beyond wsmaxsize closes 1009; bad data and bad UTF-8 close 1007', () => {
  const big = frame({ opcode: OP.binary, rsv: RSV1, payload: compressed(Buffer.alloc(2 * 1024 * 1024)), mask: mask() });
  const [r] = readAll(deflateReader(1024 * 1024), [Buffer.from(big)]); // unmasked in place: a copy
  assert.equal(r?.kind, 'closed');
  assert.equal(r?.kind === 'closed' && r.reply?.code, 1009);
  const bad = frame({ opcode: OP.binary, rsv: RSV1, payload: Buffer.from([0xff, 0xff, 0xff]), mask: mask() });
  const [e] = readAll(deflateReader(), [bad]);
  assert.equal(e?.kind === 'closed' && e.reply?.code, 1007);
  const badText = frame({ opcode: OP.text, rsv: RSV1, payload: compressed(Buffer.from([0x61, 0xc3, 0x28])), mask: mask() });
  const [u] = readAll(deflateReader(), [badText]);
  assert.equal(u?.kind === 'closed' && u.reply?.code, 1007);
  // After the violation only the peer's close counts.
  const reader = deflateReader(1024 * 1024);
  const rs = readAll(reader, [big, frame({ opcode: OP.text, payload: 'late', mask: mask() }), frame({ opcode: OP.close, payload: Buffer.from([3, 0xe8]), mask: mask() })]);
  assert.deepEqual(rs.map((x) => x.kind === 'closed' && [x.code, x.reply?.code ?? null]), [[1009, 1009], [1000, null]]);
});

test('reader: RSV1 is a protocol error on continuations, control frames, and without the extension', () => {
  const c = compressed('abc');
  const cases = [
    Buffer.concat([frame({ opcode: OP.text, fin: false, payload: 'a', mask: mask() }), frame({ opcode: OP.cont, rsv: RSV1, payload: 'b', mask: mask() })]),
    frame({ opcode: OP.ping, rsv: RSV1, payload: 'p', mask: mask() }),
    frame({ opcode: OP.text, rsv: 2, payload: c, mask: mask() }), // RSV2
  ];
  for (const bytes of cases) {
    const [r] = readAll(deflateReader(), [bytes]);
    assert.equal(r?.kind === 'closed' && r.reply?.code, 1002);
  }
  const plain = new MessageReader({ isServer: true });
  const [r] = readAll(plain, [frame({ opcode: OP.text, rsv: RSV1, payload: c, mask: mask() })]);
  assert.equal(r?.kind === 'closed' && r.reply?.code, 1002);
});

test('sender: data messages compressed with RSV1, control frames never', () => {
  const sender = new Sender({ isServer: true, deflater: new Deflater(15, false) });
  const payload = Buffer.from('{"a":1}'.repeat(200));
  const [f] = sender.message(payload, true);
  assert.equal(f![0], 0x80 | 0x40 | OP.text);
  const len = f![1]! & 0x7f;
  const body = len === 126 ? f!.subarray(4) : f!.subarray(2);
  assert.ok(body.length < payload.length / 10);
  assert.deepEqual(zlib.inflateRawSync(body, { finishFlush: zlib.constants.Z_SYNC_FLUSH }), payload);
  assert.equal(sender.ping(Buffer.from('x'))[0]![0], 0x80 | OP.ping);
  assert.equal(sender.close(1000)[0]![0], 0x80 | OP.close);
  // An empty message goes out uncompressed.
  assert.deepEqual(sender.message(Buffer.alloc(0), true)[0], Buffer.from([0x81, 0]));
});

// ---- pieces of text end on characters -----------------------------------------------------------

test('characterBoundary: the lead byte of a cut character, or the length', () => {
  const s = Buffer.from('aé€😀');
  const expected = [0, 1, 1, 3, 3, 3, 6, 6, 6, 6, 10];
  for (let n = 0; n <= s.length; n++) assert.equal(characterBoundary(s.subarray(0, n)), expected[n], `n=${n}`);
});

test('pieces of a long text message are each valid UTF-8 (single frame, fragmented, compressed)', () => {
  const text = '€'.repeat(20 * 1024 / 3 + 1); // 3-byte characters, ~20 KB
  const bytes = Buffer.from(text);
  const half = 9001;
  const variants: Array<[string, () => MessageReader, Buffer]> = [
    ['single', () => new MessageReader({ isServer: true }), frame({ opcode: OP.text, payload: bytes, mask: mask() })],
    [
      'fragmented',
      () => new MessageReader({ isServer: true }),
      Buffer.concat([
        frame({ opcode: OP.text, fin: false, payload: bytes.subarray(0, half), mask: mask() }),
        frame({ opcode: OP.cont, payload: bytes.subarray(half), mask: mask() }),
      ]),
    ],
    ['compressed', () => deflateReader(), frame({ opcode: OP.text, rsv: RSV1, payload: compressed(bytes), mask: mask() })],
  ];
  for (const [name, make, wire] of variants) {
    for (const seg of [wire.length, 1000, 1]) {
      for (const maxsize of [8192, 1000, 4]) {
        const rs = readAll(make(), segments(Buffer.from(wire), seg), maxsize);
        let total = 0;
        for (const r of rs) {
          assert.equal(r.kind, 'piece', name);
          if (r.kind !== 'piece') continue;
          assert.ok(r.data.length > 0 && r.data.length <= maxsize, `${name}: piece of ${r.data.length}`);
          assert.ok(isUtf8(r.data), `${name} seg=${seg} maxsize=${maxsize}: piece at ${total} is not valid UTF-8`);
          total += r.data.length;
          assert.equal(r.bytesRead, total);
          assert.equal(r.frameLen, bytes.length);
        }
        assert.equal(total, bytes.length, name);
      }
    }
  }
  // Binary pieces are cut at maxsize exactly.
  const rs = readAll(new MessageReader({ isServer: true }), [frame({ opcode: OP.binary, payload: bytes, mask: mask() })], 8192);
  assert.deepEqual(rs.map((r) => r.kind === 'piece' && r.data.length), [8192, 8192, bytes.length - 16384]);
});
