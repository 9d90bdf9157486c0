/**
 * `ba.socket.n2h`, `h2n`, `fn2h`, `fh2n`: integers and floats to and from network byte order.
 */
import { LuaRaise } from '../vm/lua-error.js';
import type { LState } from '../vm/lua-vm.js';
import type { BaContext } from './context.js';

/** The four conversion functions of ba.socket. */
export function numberFunctions(ctx: BaContext): Record<string, (L: LState) => number> {
  const { vm, args } = ctx;
  return {
    n2h: (L) => {
      const size = args.checkInteger(L, 1, 'n2h');
      const str = args.checkBytes(L, 2, 'n2h');
      const off = args.optInteger(L, 3, 'n2h', 1);
      vm.pushInteger(L, n2h(size, str, off));
      return 1;
    },
    h2n: (L) => {
      const size = args.checkInteger(L, 1, 'h2n');
      const n = vm.toBigInt(L, 2) ?? BigInt(Math.trunc(args.checkNumber(L, 2, 'h2n')));
      vm.pushBytes(L, h2n(size, n));
      return 1;
    },
    fn2h: (L) => {
      const size = args.checkInteger(L, 1, 'fn2h');
      const str = args.checkBytes(L, 2, 'fn2h');
      const off = args.optInteger(L, 3, 'fn2h', 1);
      if (size !== 4 && size !== 8) throw new LuaRaise('Invalid size');
      if (off < 1 || off - 1 + size > str.length) throw new LuaRaise('Invalid offset');
      vm.pushNumber(L, size === 4 ? str.readFloatBE(off - 1) : str.readDoubleBE(off - 1));
      return 1;
    },
    fh2n: (L) => {
      const size = args.checkInteger(L, 1, 'fh2n');
      const n = args.checkNumber(L, 2, 'fh2n');
      if (size !== 4 && size !== 8) throw new LuaRaise('Invalid size');
      const b = Buffer.alloc(size);
      if (size === 4) b.writeFloatBE(n);
      else b.writeDoubleBE(n);
      vm.pushBytes(L, b);
      return 1;
    },
  };
}

/** ba.socket.n2h: sizes 1-7 unsigned, 8 two's complement. */
export function n2h(size: number, str: Uint8Array, offset = 1): number | bigint {
  if (size < 1 || size > 8) throw new LuaRaise('Invalid size');
  if (offset < 1 || offset - 1 + size > str.length) throw new LuaRaise('Invalid offset');
  let v = 0n;
  for (let k = 0; k < size; k++) v = (v << 8n) | BigInt(str[offset - 1 + k]!);
  if (size === 8) v = BigInt.asIntN(64, v);
  return v;
}

/** ba.socket.h2n: the low `size` bytes of the 64-bit value, big-endian. */
export function h2n(size: number, n: bigint): Buffer {
  if (size < 1 || size > 8) throw new LuaRaise('Invalid size');
  const b = Buffer.alloc(size);
  let v = BigInt.asUintN(64, n);
  for (let k = size - 1; k >= 0; k--) {
    b[k] = Number(v & 0xffn);
    v >>= 8n;
  }
  return b;
}
