/*
 * remora's own addition to the Lua 5.4 VM it builds (see scripts/build-lua-vm.mjs):
 * lua_pushbuffer, which pushes a new long string and returns the address of its bytes for the
 * host to fill.
 *
 * lua_pushlstring copies its argument into the new string. The host's bytes (a received TCP
 * chunk, a file block) live in JavaScript memory, so they would be copied twice: into a
 * scratch area of WASM memory, then by lua_pushlstring into the string. With lua_pushbuffer
 * the host copies them once, straight into the string, with a native copy instead of the
 * WASM memcpy loop.
 *
 * Only for long strings (more than LUAI_MAXSHORTLEN bytes): they are not interned, and their
 * hash is computed on first use as a table key (luaS_hashlongstr), from the bytes written by
 * then. Short strings must be hashed at creation and are pushed with lua_pushlstring. The
 * caller fills the bytes before anything else runs on the state; until then the string is only
 * reachable from the stack top, and the collector never looks at a string's bytes.
 */
#include "lprefix.h"

#include "lua.h"

#include "lapi.h"
#include "lgc.h"
#include "lstate.h"
#include "lstring.h"

#ifdef __EMSCRIPTEN__
#include <emscripten.h>
#else
#define EMSCRIPTEN_KEEPALIVE
#endif

EMSCRIPTEN_KEEPALIVE char *lua_pushbuffer (lua_State *L, size_t len) {
  TString *ts;
  if (len <= LUAI_MAXSHORTLEN) return NULL;
  lua_lock(L);
  ts = luaS_createlngstrobj(L, len);
  setsvalue2s(L, L->top, ts);
  api_incr_top(L);
  luaC_checkGC(L);
  lua_unlock(L);
  return getstr(ts);
}
