/**
 * The count hook behind the CPU budget: installed on the main state, so every coroutine
 * created afterwards inherits it, and given back to a coroutine that is reused (a script may
 * have changed that coroutine's hook with debug.sethook).
 */
import { isLuaUnwind, type LuaVM } from './lua-vm.js';
import type { LState } from './lua-raw.js';

const LUA_MASKCOUNT = 8;

export class CountHook {
  private readonly fp: number;

  /**
   * Calls `fn` every `count` VM instructions. `fn` returns 1 to ask for a yield of the running
   * coroutine (the hook yields it), or raises a LuaRaise.
   */
  constructor(
    private readonly vm: LuaVM,
    private readonly count: number,
    fn: (L: LState) => number | void,
  ) {
    const hook = (L: LState): void => {
      let err: unknown;
      try {
        // Yielding from a count hook returns normally (lua_yield with 0 results).
        if (fn(L) === 1) vm.m._lua_yieldk(L, 0, 0, 0);
        return;
      } catch (e) {
        if (isLuaUnwind(e)) throw e;
        err = e;
      }
      vm.raiseFromJs(L, err, 'hook');
    };
    this.fp = vm.m.addFunction(hook as (...a: number[]) => unknown, 'vii');
    vm.m._lua_sethook(vm.L, this.fp, LUA_MASKCOUNT, count);
  }

  /** Gives coroutine `co` the hook again, as a new coroutine inherits it. */
  reset(co: LState): void {
    this.vm.m._lua_sethook(co, this.fp, LUA_MASKCOUNT, this.count);
  }
}
