/*
 * remora's own addition to the Lua 5.4 VM it builds (see build-lua.mjs and host-yield.patch):
 * lua_hostyield, a yield for host functions that does not longjmp.
 *
 * In stock Lua 5.4 a C function suspends its coroutine with lua_yieldk, which longjmps back
 * to lua_resume. Under emscripten a longjmp is a JavaScript exception thrown through every
 * WASM and JS frame in between, and V8's unwinding costs several microseconds: the price of
 * every wait in a cosocket. Lua 5.1 let a C function called from Lua code yield by returning
 * instead; the patch brings that path back for the common case:
 *
 *   the host function was called by an OP_CALL instruction of a Lua function that runs in
 *   the coroutine's outermost luaV_execute (the coroutine body and the Lua functions it calls
 *   directly, with no C function, pcall or metamethod in between).
 *
 * Then lua_hostyield records the yield exactly as lua_yieldk does (status, number of values,
 * no continuation) and returns LUAI_HOSTYIELD, which the host function returns; precallC
 * leaves the C function's CallInfo in place, OP_CALL returns out of luaV_execute, 'unroll'
 * stops, and lua_resume reports LUA_YIELD (whether the Lua code ran in 'resume', or in the
 * 'unroll' through which 'precover' continues a coroutine after a pcall caught an error). The state is the one lua_yieldk's longjmp leaves,
 * so resuming is unchanged. In every other case lua_hostyield calls lua_yieldk, which
 * longjmps (or raises "attempt to yield across a C-call boundary") as before.
 */
#include "lprefix.h"

#include "lua.h"

#include "ldo.h"
#include "lobject.h"
#include "lopcodes.h"
#include "lstate.h"

#ifdef __EMSCRIPTEN__
#include <emscripten.h>
#else
#define EMSCRIPTEN_KEEPALIVE
#endif

/* Can the Lua function running in 'caller' be left by returning from luaV_execute? */
static int returns_to_resume (lua_State *L, CallInfo *caller) {
  CallInfo *c = caller;
  if (!isLua(c) || GET_OPCODE(*(c->u.l.savedpc - 1)) != OP_CALL)
    return 0;
  while (!(c->callstatus & CIST_FRESH)) {  /* frames run by the same luaV_execute */
    c = c->previous;
    if (c == NULL || !isLua(c)) return 0;
  }
  /* the coroutine body: its luaV_execute was called by 'resume' or 'unroll' */
  return c->previous == &L->base_ci;
}

EMSCRIPTEN_KEEPALIVE int lua_hostyield (lua_State *L, int nresults) {
  CallInfo *ci = L->ci;
  if (yieldable(L) && !isLua(ci) && ci->previous != NULL &&
      returns_to_resume(L, ci->previous)) {
    L->status = LUA_YIELD;
    ci->u2.nyield = nresults;  /* as lua_yieldk */
    ci->u.c.k = NULL;  /* no continuation */
    return LUAI_HOSTYIELD;
  }
  return lua_yieldk(L, nresults, 0, NULL);
}
