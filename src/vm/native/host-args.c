/*
 * remora's own addition to the Lua 5.4 VM it builds (see scripts/build-lua-vm.mjs):
 * remora_args and remora_pushok, for the host's hottest methods (a socket's read and write).
 *
 * Every call from JavaScript into WASM costs a crossing. A socket method's common case asks
 * the stack for its size, the types of its arguments, the socket userdata's block, a string
 * argument's bytes and a boolean: ten crossings for `sock:write(data, isText)`. remora_args
 * answers all of it in one call, into an array of the host's:
 *
 *   out[0]  lua_gettop
 *   out[1]  the types of arguments 1..7, 4 bits each from the lowest (LUA_TNONE as 15)
 *   out[2]  the block address of a full userdata at 1, else 0
 *   out[3]  the address of the bytes of a string at 2, else 0 (numbers are not converted)
 *   out[4]  its length
 *   out[5]  lua_toboolean of argument 3
 *
 * remora_pushok pushes `true` and an integer (what a write that queued n bytes returns).
 */
#include "lprefix.h"

#include "lua.h"

#ifdef __EMSCRIPTEN__
#include <emscripten.h>
#else
#define EMSCRIPTEN_KEEPALIVE
#endif

EMSCRIPTEN_KEEPALIVE void remora_args (lua_State *L, int *out) {
  int top = lua_gettop(L);
  int types = 0;
  int i;
  for (i = 7; i >= 1; i--)
    types = (types << 4) | (i <= top ? lua_type(L, i) : 15);
  out[0] = top;
  out[1] = types;
  out[2] = (top >= 1 && lua_type(L, 1) == LUA_TUSERDATA) ? (int)(size_t)lua_touserdata(L, 1) : 0;
  if (top >= 2 && lua_type(L, 2) == LUA_TSTRING) {
    size_t len;
    out[3] = (int)(size_t)lua_tolstring(L, 2, &len);
    out[4] = (int)len;
  } else {
    out[3] = 0;
    out[4] = 0;
  }
  out[5] = top >= 3 ? lua_toboolean(L, 3) : 0;
}

EMSCRIPTEN_KEEPALIVE void remora_pushok (lua_State *L, int n) {
  lua_pushboolean(L, 1);
  lua_pushinteger(L, n);
}
