import test from 'node:test';
import assert from 'node:assert/strict';
import { parseSimpleFrame, unmaskInto, type SimpleFrame } from '../../../src/ws/simple-frame.js';
import { MessageReader } from '../../../src/ws/message-reader.js';
import { frame, prng, randomBytes } from './frame-fixtures.js';

const fresh = (): SimpleFrame => ({ payloadStart: -1, payloadLength: -1, isText: false, maskKey: 0 });

/** What the full reader returns for `bytes` (a fresh server- or client-side reader, maxsize 8192). */
function viaReader(bytes: Buffer, isServer: boolean): unknown {
  const r = new MessageReader({ isServer });
  r.push(Buffer.from(bytes));
  return r.read(8192);
}

/** The payload of a simple frame as the socket layer takes it: unmasked while copied. */
function payloadOf(bytes: Buffer, f: SimpleFrame): Buffer {
  const out = Buffer.alloc(f.payloadLength + 8, 0xee);
  unmaskInto(out, 3, bytes, f.payloadStart, f.payloadLength, f.maskKey);
  assert.equal(out[2], 0xee);
  assert.equal(out[3 + f.payloadLength], 0xee);
  return out.subarray(3, 3 + f.payloadLength);
}

test('simple-frame: whole masked text and binary frames of every length encoding give what the reader gives', () => {
  const rand = prng(7);
  for (const len of [0, 1, 3, 4, 5, 40, 41, 64, 125, 126, 255, 256, 257, 1000, 8192]) {
    for (const opcode of [1, 2]) {
      const payload = opcode === 1 ? Buffer.from('a'.repeat(len)) : randomBytes(len, rand);
      const mask = randomBytes(4, rand);
      const bytes = frame({ opcode, payload, mask });
      const f = fresh();
      assert.equal(parseSimpleFrame(bytes, 0, bytes.length, true, 8192, f), bytes.length, `len ${len}`);
      assert.equal(f.isText, opcode === 1);
      assert.deepEqual(payloadOf(bytes, f), Buffer.from(payload));
      assert.deepEqual(viaReader(bytes, true), { kind: 'message', data: Buffer.from(payload), isText: opcode === 1 });
    }
  }
});

test('simple-frame: an unmasked frame on the client side; a frame inside a larger range ends where it ends', () => {
  const a = frame({ opcode: 2, payload: Buffer.from([1, 2, 3]) });
  const b = frame({ opcode: 1, payload: 'next' });
  const both = Buffer.concat([Buffer.from([9, 9]), a, b]);
  const f = fresh();
  assert.equal(parseSimpleFrame(both, 2, both.length, false, 8192, f), 2 + a.length);
  assert.equal(f.maskKey, -1);
  assert.deepEqual(payloadOf(both, f), Buffer.from([1, 2, 3]));
  assert.equal(parseSimpleFrame(both, 2 + a.length, both.length, false, 8192, f), both.length);
  assert.equal(payloadOf(both, f).toString(), 'next');
});

test('simple-frame: everything else is left to the reader (-1)', () => {
  const mask = true;
  const cases: Array<[string, Buffer, boolean, number?]> = [
    ['fragment (FIN=0)', frame({ opcode: 1, payload: 'ab', fin: false, mask }), true],
    ['continuation', frame({ opcode: 0, payload: 'ab', mask }), true],
    ['RSV1 (compressed)', frame({ opcode: 1, payload: 'ab', rsv: 4, mask }), true],
    ['RSV3', frame({ opcode: 2, payload: 'ab', rsv: 1, mask }), true],
    ['ping', frame({ opcode: 9, payload: 'ab', mask }), true],
    ['pong', frame({ opcode: 10, payload: 'ab', mask }), true],
    ['close', frame({ opcode: 8, payload: Buffer.from([3, 232]), mask }), true],
    ['reserved opcode', frame({ opcode: 3, payload: 'ab', mask }), true],
    ['unmasked frame to a server', frame({ opcode: 2, payload: 'ab' }), true],
    ['unmasked empty frame to a server', frame({ opcode: 2, payload: '' }), true],
    ['masked frame to a client', frame({ opcode: 2, payload: 'ab', mask }), false],
    ['64-bit length', frame({ opcode: 2, payload: 'ab', lengthBits: 64, mask }), true],
    ['longer than maxLength', frame({ opcode: 2, payload: 'abcdef', mask }), true, 5],
    ['non-ASCII text', frame({ opcode: 1, payload: 'h\u00e9', mask }), true],
    ['invalid UTF-8 text', frame({ opcode: 1, payload: Buffer.from([0x61, 0xff]), mask }), true],
  ];
  for (const [what, bytes, isServer, max] of cases) {
    assert.equal(parseSimpleFrame(bytes, 0, bytes.length, isServer, max ?? 8192, fresh()), -1, what);
  }
  // Incomplete at every cut.
  const whole = frame({ opcode: 2, payload: Buffer.alloc(300, 7), mask });
  for (let cut = 0; cut < whole.length; cut++) assert.equal(parseSimpleFrame(whole, 0, cut, true, 8192, fresh()), -1, `cut ${cut}`);
});

test('simple-frame: the ASCII check sees every byte through the mask', () => {
  const rand = prng(3);
  for (let len = 1; len < 40; len++) {
    for (let at = 0; at < len; at++) {
      const payload = Buffer.alloc(len, 0x41);
      payload[at] = 0xc3;
      const bytes = frame({ opcode: 1, payload, mask: randomBytes(4, rand) });
      assert.equal(parseSimpleFrame(bytes, 0, bytes.length, true, 8192, fresh()), -1, `len ${len} at ${at}`);
    }
  }
});

test('simple-frame: unmaskInto gives the byte-wise result at every offset and length (word loop, its tail, native copy)', () => {
  const rand = prng(11);
  const mem = new Uint8Array(new WebAssembly.Memory({ initial: 1 }).buffer);
  for (let n = 0; n <= 300; n += n < 40 ? 1 : 13) {
    for (const from of [0, 1, 2, 3, 6]) {
      for (const at of [0, 1, 5]) {
        const src = randomBytes(from + n + 3, rand);
        const key = n % 5 === 0 ? -1 : randomBytes(4, rand).readUInt32LE(0);
        const dst = n % 2 ? mem : Buffer.alloc(at + n + 4, 0xee);
        dst.fill(0xee);
        unmaskInto(dst, at, src, from, n, key);
        for (let i = 0; i < n; i++) {
          const want = key === -1 ? src[from + i]! : src[from + i]! ^ ((key >>> (8 * (i & 3))) & 0xff);
          assert.equal(dst[at + i], want, `n ${n} from ${from} at ${at} byte ${i}`);
        }
        assert.equal(dst[at + n], 0xee);
      }
    }
  }
});
