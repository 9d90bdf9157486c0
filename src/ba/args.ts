/**
 * Argument checks for host functions, worded like lauxlib's so scripts see familiar messages:
 * "bad argument #1 to 'read' (number expected, got string)".
 */
import { LuaArgError } from '../vm/lua-error.js';
import { T_FUNCTION, T_NIL, T_NONE, T_NUMBER, T_STRING, T_TABLE, type LState, type LuaVM } from '../vm/lua-vm.js';

export class Args {
  constructor(readonly vm: LuaVM) {}

  argError(n: number, fname: string, msg: string): never {
    throw new LuaArgError(n, fname, msg);
  }

  typeError(L: LState, n: number, fname: string, expected: string): never {
    this.argError(n, fname, `${expected} expected, got ${this.vm.type(L, n) === T_NONE ? 'no value' : this.vm.typeName(L, n)}`);
  }

  isNoneOrNil(L: LState, n: number): boolean {
    const t = this.vm.type(L, n);
    return t === T_NONE || t === T_NIL;
  }

  checkInteger(L: LState, n: number, fname: string): number {
    const v = this.vm.toInteger(L, n);
    if (v === null) {
      if (this.vm.type(L, n) === T_NUMBER) this.argError(n, fname, 'number has no integer representation');
      this.typeError(L, n, fname, 'number');
    }
    return v;
  }

  optInteger(L: LState, n: number, fname: string, def: number): number {
    return this.isNoneOrNil(L, n) ? def : this.checkInteger(L, n, fname);
  }

  checkNumber(L: LState, n: number, fname: string): number {
    const v = this.vm.toNumber(L, n);
    if (v === null) this.typeError(L, n, fname, 'number');
    return v;
  }

  /**
   * A time in milliseconds for a timer, sleep or socket wait (issue 14): NaN raises a bad
   * argument error; negative is 0 (at once); anything from 2^31 ms on, infinity included, is
   * 2^31 - 1 ms (24.8 days), the longest node's timers wait. Without this, node fires such
   * timers after 1 ms.
   */
  checkTimeout(L: LState, n: number, fname: string): number {
    const v = this.checkNumber(L, n, fname);
    if (Number.isNaN(v)) this.argError(n, fname, 'timeout is NaN');
    return clampTimeout(v);
  }

  /** A TCP/UDP port, 0..65535 (issue 14: -1 must not wrap to 65535 or reach node). */
  checkPort(L: LState, n: number, fname: string): number {
    const v = this.checkInteger(L, n, fname);
    if (v < 0 || v > 65535) this.argError(n, fname, 'port out of range');
    return v;
  }

  checkString(L: LState, n: number, fname: string): string {
    const t = this.vm.type(L, n);
    if (t !== T_STRING && t !== T_NUMBER) this.typeError(L, n, fname, 'string');
    return this.vm.toStr(L, n)!;
  }

  optString(L: LState, n: number, fname: string, def: string): string {
    return this.isNoneOrNil(L, n) ? def : this.checkString(L, n, fname);
  }

  checkBytes(L: LState, n: number, fname: string): Buffer {
    const b = this.vm.toBytes(L, n);
    if (b === null) this.typeError(L, n, fname, 'string');
    return b;
  }

  checkFunction(L: LState, n: number, fname: string): void {
    if (this.vm.type(L, n) !== T_FUNCTION) this.typeError(L, n, fname, 'function');
  }

  checkTable(L: LState, n: number, fname: string): void {
    if (this.vm.type(L, n) !== T_TABLE) this.typeError(L, n, fname, 'table');
  }

  /** Reads field `name` of the table at `idx` with `read`, popping it afterwards. */
  field<T>(L: LState, idx: number, name: string, read: (L: LState) => T): T {
    this.vm.getField(L, idx, name);
    try {
      return read(L);
    } finally {
      this.vm.pop(L, 1);
    }
  }

  /** Common option-table reader: returns undefined for absent keys. */
  optField(L: LState, idx: number, name: string): { type: number; str?: string; num?: number; bool?: boolean } {
    return this.field(L, idx, name, (L) => {
      const t = this.vm.type(L, -1);
      return {
        type: t,
        str: t === T_STRING ? this.vm.toStr(L, -1)! : undefined,
        num: t === T_NUMBER ? this.vm.toNumber(L, -1)! : undefined,
        bool: this.vm.toBoolean(L, -1),
      };
    });
  }
}

/** The longest delay node's timers wait; longer ones fire after 1 ms. */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** A delay in ms as node's timers take it: negative and NaN are 0, the rest at most 2^31 - 1. */
export function clampTimeout(ms: number): number {
  if (!(ms > 0)) return 0;
  return ms > MAX_TIMEOUT_MS ? MAX_TIMEOUT_MS : ms;
}
