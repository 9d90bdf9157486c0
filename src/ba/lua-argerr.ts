/**
 * Lua source of `argerr(n, msg)`, for the ba/ files that implement methods in Lua: raises
 * luaL_argerror's message for argument `n` of the Lua function calling it, named as at the
 * call site ('?' through pcall; a method call does not count self), at the caller's caller.
 * Paste it into a chunk after the chunk reads its `...`.
 */
export const LUA_ARGERR = `
local argerr
do
  local getinfo, error = debug.getinfo, error
  function argerr(n, msg)
    local ar = getinfo(2, "n")
    if ar and ar.namewhat == "method" then n = n - 1 end
    error(("bad argument #%d to '%s' (%s)"):format(n, ar and ar.name or "?", msg), 3)
  end
end
`;
