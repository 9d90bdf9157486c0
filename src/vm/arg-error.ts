/** luaL_argerror's message for an argument error raised by a host function. */
import type { LuaArgError } from './lua-error.js';
import type { LState, RawModule } from './lua-raw.js';

/** The part of the VM this file reads (LuaVM has it; named here so lua-vm.ts is not imported). */
export interface DebugInfoAccess {
  readonly m: RawModule;
  readI32(p: number): number;
  cstr(s: string): number;
  heap(): Uint8Array;
}

const utf8 = new TextDecoder('utf-8');

function readU32(vm: DebugInfoAccess, p: number): number {
  return vm.readI32(p) >>> 0;
}

/**
 * luaL_argerror's wording for argument `n` of the running host function: the name and kind
 * of the call come from the caller's debug info ('?' when it has none, as for `pcall(f, ...)`),
 * and a method call does not count self.
 */
export function argErrorMessage(vm: DebugInfoAccess, L: LState, err: LuaArgError): string {
  // lua_Debug on wasm32: name at offset 4, namewhat at 8; 108 bytes in all (LUA_IDSIZE 60).
  const ar = vm.m._malloc(128);
  try {
    let n = err.arg;
    if (!vm.m._lua_getstack(L, 0, ar)) return `bad argument #${n} (${err.detail})`;
    vm.m._lua_getinfo(L, vm.cstr('n'), ar);
    const np = readU32(vm, ar + 4);
    const wp = readU32(vm, ar + 8);
    const name = np ? cString(vm, np) : '?';
    if (wp && cString(vm, wp) === 'method') {
      n--;
      if (n === 0) return `calling '${name}' on bad self (${err.detail})`;
    }
    return `bad argument #${n} to '${name}' (${err.detail})`;
  } finally {
    vm.m._free(ar);
  }
}

function cString(vm: DebugInfoAccess, p: number): string {
  const h = vm.heap();
  let e = p;
  while (h[e] !== 0) e++;
  return utf8.decode(h.subarray(p, e));
}
