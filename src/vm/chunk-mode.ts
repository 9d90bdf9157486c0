// The Lua side of `LuaVM.binaryChunks` (lua-vm.ts).

/**
 * Wrappers that force mode "t" unless binary chunks are allowed. Not tail calls, so errors
 * raised by the originals still name 'load'/'loadfile'. The searchers of `require` read files
 * through the originals' C code (luaL_loadfilex), so package.searchers[2] is wrapped as well.
 */
export const CHUNK_MODE_LUA = `
local load, loadfile, error, select = load, loadfile, error, select
local allow = false
local function m(mode) if allow then return mode end return "t" end
_G.load = function(chunk, name, mode, ...)
  local f, e = load(chunk, name, m(mode), ...)
  if f then return f end
  return nil, e
end
_G.loadfile = function(name, mode, ...)
  local f, e = loadfile(name, m(mode), ...)
  if f then return f end
  return nil, e
end
_G.dofile = function(name)
  local f, e = loadfile(name, m("bt"))
  if not f then error(e, 0) end
  return f()
end
local searchers = package.searchers
local lua_searcher = searchers[2]
searchers[2] = function(name)
  local path, err = package.searchpath(name, package.path)
  if not path then return lua_searcher(name) end
  local f, e = loadfile(path, m("bt"))
  if not f then error(("error loading module '%s' from file '%s':\\n\\t%s"):format(name, path, e), 0) end
  return f, path
end
return function(a) allow = a end
`;
