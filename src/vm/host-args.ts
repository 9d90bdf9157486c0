/**
 * The shape of a host function's arguments in one call into WASM (`remora_args`,
 * native/host-args.c): the stack size, the types of arguments 1..7, the block of a userdata at
 * 1, the bytes of a string at 2 and argument 3 as a boolean. A socket's `write(data, isText)`
 * asked these one call at a time (ten crossings); remora's own VM answers them in one.
 */
import type { LState, RawModule } from './lua-raw.js';

export class HostArgs {
  private readonly fn: ((L: number, out: number) => void) | undefined;
  /** Where remora_args writes (six ints). */
  private readonly out: number;

  /** After `read`: lua_gettop. */
  top = 0;
  /** After `read`: the types of arguments 1..7, 4 bits each (15: none); see `type`. */
  private types = 0;
  /** After `read`: the block address of a full userdata at 1, else 0. */
  udata = 0;
  /** After `read`: the address of the bytes of a string at 2 (valid until the next Lua call), else 0. */
  str = 0;
  /** After `read`: that string's length. */
  strLen = 0;
  /** After `read`: argument 3 as a boolean. */
  bool3 = false;

  constructor(private readonly m: RawModule) {
    this.fn = m._remora_args;
    this.out = this.fn === undefined ? 0 : m._malloc(24);
  }

  /** Reads the shape of L's arguments into the fields; false on a VM without remora_args (ask one by one). */
  read(L: LState): boolean {
    const f = this.fn;
    if (f === undefined) return false;
    f(L, this.out);
    const a = this.m.HEAP32;
    const i = this.out >> 2;
    this.top = a[i]!;
    this.types = a[i + 1]!;
    this.udata = a[i + 2]!;
    this.str = a[i + 3]!;
    this.strLen = a[i + 4]!;
    this.bool3 = a[i + 5]! !== 0;
    return true;
  }

  /** The type of argument `i` (1..7) as of the last `read` (T_NONE when absent). */
  type(i: number): number {
    const t = (this.types >>> (4 * (i - 1))) & 15;
    return t === 15 ? -1 : t;
  }
}
