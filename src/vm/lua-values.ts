/**
 * Plain values between JavaScript and Lua, for functions an embedding program registers:
 * nil/undefined, booleans, numbers (Lua integers and floats), strings, byte arrays (as Lua
 * strings), arrays (sequence tables) and plain objects (tables with string keys).
 */
import { T_BOOLEAN, T_NIL, T_NONE, T_NUMBER, T_STRING, T_TABLE, type LState, type LuaVM } from './lua-vm.js';

/** A value that crosses between Lua and JavaScript. */
export type LuaValue = null | undefined | boolean | number | bigint | string | Uint8Array | LuaValue[] | { [key: string]: LuaValue };

/** Deepest table nesting converted (deeper tables, and cycles, raise an error). */
const MAX_DEPTH = 32;

/** A value that cannot cross (a function, a userdata, a cycle); the message names it. */
export class LuaValueError extends Error {}

/**
 * The Lua value at `idx` as JavaScript: nil → null, integers and floats → number, strings →
 * string (UTF-8), a table whose keys are exactly 1..n → array, other tables → object with
 * the keys as strings (an empty table is an empty object).
 */
export function luaToJs(vm: LuaVM, L: LState, idx: number, depth = 0): LuaValue {
  const t = vm.type(L, idx);
  switch (t) {
    case T_NONE:
    case T_NIL:
      return null;
    case T_BOOLEAN:
      return vm.toBoolean(L, idx);
    case T_NUMBER:
      return vm.toNumber(L, idx);
    case T_STRING:
      return vm.toStr(L, idx);
    case T_TABLE: {
      if (depth >= MAX_DEPTH) throw new LuaValueError(`tables nested deeper than ${MAX_DEPTH} (or a cycle) cannot be passed to JavaScript`);
      const abs = idx < 0 ? vm.top(L) + idx + 1 : idx;
      vm.checkStack(L, 3);
      const entries: [string | number, LuaValue][] = [];
      vm.pushNil(L);
      while (vm.m._lua_next(L, abs)) {
        const kt = vm.type(L, -2);
        const key = kt === T_NUMBER ? vm.toNumber(L, -2)! : kt === T_STRING ? vm.toStr(L, -2)! : null;
        if (key === null) {
          vm.pop(L, 2);
          throw new LuaValueError(`a table key of type ${vm.typeName(L, -2)} cannot be passed to JavaScript`);
        }
        let v: LuaValue;
        try {
          v = luaToJs(vm, L, vm.top(L), depth + 1);
        } catch (e) {
          vm.pop(L, 2);
          throw e;
        }
        entries.push([key, v]);
        vm.pop(L, 1);
      }
      const n = entries.length;
      const isArray = n > 0 && entries.every(([k]) => typeof k === 'number' && Number.isInteger(k) && k >= 1 && k <= n);
      if (isArray) {
        const arr: LuaValue[] = new Array(n);
        for (const [k, v] of entries) arr[(k as number) - 1] = v;
        return arr;
      }
      const obj: { [key: string]: LuaValue } = {};
      for (const [k, v] of entries) obj[String(k)] = v;
      return obj;
    }
    default:
      throw new LuaValueError(`a ${vm.typeName(L, idx)} cannot be passed to JavaScript`);
  }
}

/**
 * A field value of a record pushed with pushRecord. undefined: the field is left out. A
 * function pushes the value itself (one value: a float that must stay a float, a userdata, a
 * string in another encoding).
 */
export type RecordValue =
  | string
  | number
  | bigint
  | boolean
  | Uint8Array
  | null
  | undefined
  | RecordPusher
  | readonly RecordValue[]
  | { readonly [key: string]: RecordValue };

/** Pushes exactly one value onto L (a field of pushRecord's record). */
export type RecordPusher = (L: LState) => void;

export interface RecordOptions {
  /** Push JavaScript strings as Latin-1 bytes (one byte per character, as header fields are) instead of UTF-8. */
  latin1?: boolean;
}

/**
 * Pushes a new table with the fields of `rec` (arrays become sequences, objects nested
 * tables; `rec` itself may be an array of records): the one way a result record (a stat, a
 * directory entry, a certificate, a header table) reaches Lua, instead of a
 * newTable/push/setField sequence per field. Integral numbers become integers, other numbers
 * floats; a function field pushes its value itself.
 */
export function pushRecord(vm: LuaVM, L: LState, rec: { readonly [key: string]: RecordValue } | readonly RecordValue[], opts: RecordOptions = {}): void {
  pushValue(vm, L, rec, 0, opts);
}

/** Pushes a JavaScript value as Lua (the reverse of luaToJs; a Uint8Array becomes a string). */
export function pushJs(vm: LuaVM, L: LState, v: unknown, depth = 0): void {
  pushValue(vm, L, v, depth, null);
}

/** pushJs and pushRecord: `rec` null for pushJs (a function cannot cross). */
function pushValue(vm: LuaVM, L: LState, v: unknown, depth: number, rec: RecordOptions | null): void {
  vm.checkStack(L, 3);
  if (v === null || v === undefined) vm.pushNil(L);
  else if (typeof v === 'boolean') vm.pushBoolean(L, v);
  else if (typeof v === 'number') {
    if (Number.isSafeInteger(v)) vm.pushInteger(L, v);
    else vm.pushNumber(L, v);
  } else if (typeof v === 'bigint') vm.pushInteger(L, BigInt.asIntN(64, v));
  else if (typeof v === 'string') {
    if (rec?.latin1) vm.pushBytes(L, Buffer.from(v, 'latin1'));
    else vm.pushString(L, v);
  } else if (v instanceof Uint8Array) vm.pushBytes(L, v);
  else if (typeof v === 'function' && rec) {
    const top = vm.top(L);
    (v as RecordPusher)(L);
    if (vm.top(L) !== top + 1) throw new Error('a record field pusher must push exactly one value');
  } else if (typeof v === 'object') {
    if (depth >= MAX_DEPTH) throw new LuaValueError(`objects nested deeper than ${MAX_DEPTH} (or a cycle) cannot be passed to Lua`);
    if (Array.isArray(v)) {
      vm.newTable(L, v.length, 0);
      v.forEach((x, i) => {
        pushValue(vm, L, x, depth + 1, rec);
        vm.rawSetI(L, -2, i + 1);
      });
    } else {
      const keys = Object.keys(v as object);
      vm.newTable(L, 0, keys.length);
      for (const k of keys) {
        pushValue(vm, L, (v as Record<string, unknown>)[k], depth + 1, rec);
        vm.setField(L, -2, k);
      }
    }
  } else throw new LuaValueError(`a JavaScript ${typeof v} cannot be passed to Lua`);
}

/**
 * Pushes field `name` of the table on top of L, first making it a new table when it is not one
 * (`ba.create`, `ba.crypto`: several modules add functions to the same table).
 */
export function pushSubTable(vm: LuaVM, L: LState, name: string): void {
  if (vm.getField(L, -1, name) === T_TABLE) return;
  vm.pop(L, 1);
  vm.newTable(L);
  vm.pushValue(L, -1);
  vm.setField(L, -3, name);
}

/** Pushes `nil, message` and returns 2 (a host function's failure result with free text). */
export function pushNilMessage(vm: LuaVM, L: LState, message: string): number {
  vm.pushNil(L);
  vm.pushString(L, message);
  return 2;
}

/** A string field of the table at `idx` (numbers converted, as lua_tolstring does), or undefined. */
export function bytesField(vm: LuaVM, L: LState, idx: number, name: string): Buffer | undefined {
  const t = vm.getField(L, idx, name);
  const v = t === T_STRING || t === T_NUMBER ? vm.toBytes(L, -1)! : undefined;
  vm.pop(L, 1);
  return v;
}
