/**
 * Containing a WASM trap (WebAssembly.RuntimeError: malformed bytecode, a VM bug). A trap
 * skips every epilogue between it and the JS caller, so the caller restores the C stack
 * pointer it saved before the call (both builds export emscripten's stackSave/stackRestore),
 * then checks the VM is still sound (issue 14).
 */
import type { LState, LuaVM } from './lua-vm.js';

interface StackExports {
  _stackSave(): number;
  _stackRestore(sp: number): void;
  _lua_gettop(L: LState): number;
  _lua_gc(L: LState, what: number, va: number): number;
}

const raw = (vm: LuaVM): StackExports => vm.m as unknown as StackExports;

export function stackSave(vm: LuaVM): number {
  return raw(vm)._stackSave();
}

export function stackRestore(vm: LuaVM, sp: number): void {
  raw(vm)._stackRestore(sp);
}

/** A full garbage collection, then a tiny chunk run and its result compared: false if the VM is broken. */
export function selfCheck(vm: LuaVM): boolean {
  const m = raw(vm);
  const L = vm.L;
  try {
    const top = m._lua_gettop(L);
    m._lua_gc(L, 2, 0); // LUA_GCCOLLECT
    const e = vm.load(L, 'local t = {} for i = 1, 100 do t[i] = i * i end return table.concat(t, ",", 98) .. string.format("%d", #t)', '=selfcheck');
    if (e) return false;
    if (vm.pcall(L, 0, 1)) return false;
    const r = vm.toStr(L, -1);
    vm.m._lua_settop(L, top);
    return r === '9604,9801,10000100';
  } catch {
    return false;
  }
}
