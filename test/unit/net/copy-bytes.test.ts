import test from 'node:test';
import assert from 'node:assert/strict';
import { copyBytes } from '../../../src/net/copy-bytes.js';

test('copyBytes copies exactly the range at every offset and length, between buffers and WASM memory', () => {
  const mem = new Uint8Array(new WebAssembly.Memory({ initial: 1 }).buffer);
  let seed = 5;
  const next = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff;
  for (let n = 0; n <= 300; n += n < 40 ? 1 : 11) {
    for (const from of [0, 1, 3, 7]) {
      for (const at of [0, 2, 5]) {
        for (let i = 0; i < from + n; i++) mem[100 + i] = next();
        const dst = Buffer.alloc(at + n + 2, 0xee);
        copyBytes(dst, at, mem, 100 + from, n);
        assert.deepEqual(dst.subarray(at, at + n), Buffer.from(mem.subarray(100 + from, 100 + from + n)), `n ${n}`);
        assert.equal(dst[at - 1] ?? 0xee, 0xee);
        assert.equal(dst[at + n], 0xee);
        // and back into WASM memory
        const back = mem.subarray(5000);
        back.fill(0xee, 0, at + n + 1);
        copyBytes(back, at, dst, at, n);
        assert.deepEqual(Buffer.from(back.subarray(at, at + n)), dst.subarray(at, at + n));
        assert.equal(back[at + n], 0xee);
      }
    }
  }
});
