/**
 * `ba.create.luaio(t)`: an IO object whose operations are the Lua functions of table `t`, as in
 * BAS. They are called as plain functions and answer a value or `nil, code`:
 *
 *   t.open(name, "r" | "w") → a table of file functions: read(n) → string ("" or nil at the end),
 *                               write(data) → true, seek(pos) → true, flush() → true, close() → true
 *   t.stat(name)            → { size =, mtime =, isdir = }
 *   t.files(dir)            → { read() → true while there is an entry, name() → string, stat() → as above }
 *   t.mkdir(name), t.rmdir(name), t.remove(name), t.rename(from, to) → true
 *
 * The IO answers as the others do (`nil, code, nil, name` on failure, `resourcetype()` → "lua", "").
 * It is a Lua-level object: `ba.mkio`, uploads and resource readers take only disk and zip IOs.
 */
import type { BaContext } from './context.js';
import { HandleTag, newTaggedBlock } from '../vm/handles.js';

const LUAIO_LUA = `
local mt, newud, ba, fmt_, newfile = ...
local type, pcall, setmetatable, select, error, tostring = type, pcall, setmetatable, select, error, tostring
local concat, fmt = table.concat, string.format
local cbs = setmetatable({}, { __mode = "k" })
local M = {}
mt.__index = M
local function fail(code, name) return nil, code or "ioerror", nil, name end
local function call(self, op, ...)
  local f = cbs[self] and cbs[self][op]
  if type(f) ~= "function" then return nil, "ioerror" end
  local ok, v, code = pcall(f, ...)
  if not ok then return nil, "ioerror" end
  if v == nil then return nil, type(code) == "string" and code or "ioerror" end
  return v
end
-- File objects are userdata too (as BAS's); their state lives here.
local fstate = setmetatable({}, { __mode = "k" })
local F = fmt_
F.__index = F
function F:read(n)
  local t = fstate[self].t
  if n == "a" or n == "*a" then
    local parts = {}
    while true do
      local ok, s = pcall(t.read, 1024)
      if not ok or type(s) ~= "string" or s == "" then break end
      parts[#parts + 1] = s
    end
    return concat(parts)
  end
  local ok, s = pcall(t.read, type(n) == "number" and n or 1024)
  if not ok or type(s) ~= "string" or s == "" then return nil end
  return s
end
function F:write(...)
  for i = 1, select("#", ...) do
    local ok, r = pcall(fstate[self].t.write, tostring((select(i, ...))))
    if not ok or r ~= true then return nil, "ioerror" end
  end
  return true
end
function F:seek(pos)
  local ok, r = pcall(fstate[self].t.seek, pos)
  if ok and r == true then return true end
  return nil, "ioerror"
end
function F:flush()
  if type(fstate[self].t.flush) ~= "function" then return true end
  local ok, r = pcall(fstate[self].t.flush)
  return ok and r == true or nil
end
function F:close()
  if fstate[self].closed then return nil, "closed" end
  fstate[self].closed = true
  local ok, r = pcall(fstate[self].t.close)
  return ok and r == true or nil
end
function M:open(name, mode)
  local fo, code = call(self, "open", name, (mode or "r"):find("[wa+]") and "w" or "r")
  if not fo then return fail(code, name) end
  local f = newfile()
  fstate[f] = { t = fo }
  return f
end
local function record(name, st)
  local base = name:gsub("/+$", ""):match("([^/]*)$")
  return { name = base, type = st.isdir and "directory" or "regular", size = st.size, mtime = st.mtime, isdir = st.isdir == true }
end
function M:stat(name)
  name = name or ""
  local st, code = call(self, "stat", name)
  if type(st) ~= "table" then return fail(code, name) end
  return record(name, st)
end
function M:files(dir, attrs)
  local it, code = call(self, "files", dir or "")
  if type(it) ~= "table" then error(fmt("directory open failed: '%s'  (%s) ", dir or "", code), 2) end
  return function()
    local ok, more = pcall(it.read)
    if not ok or more ~= true then return nil end
    local name = it.name()
    if not attrs then return name end
    local st = it.stat() or {}
    return name, st.isdir == true, st.mtime, st.size
  end
end
for _, op in ipairs{ "mkdir", "rmdir", "remove" } do
  M[op] = function(self, name)
    local r, code = call(self, op, name)
    if r == nil then return fail(code, name) end
    return true
  end
end
function M:rename(from, to)
  local r, code = call(self, "rename", from, to)
  if r == nil then return fail(code, from) end
  return true
end
function M:resourcetype() return "lua", "" end
function M:realpath() end
-- As BAS: the file is read with the read function until it answers "" (nil is an I/O error).
function M:loadfile(name, env)
  local fo, code = call(self, "open", name, "r")
  if not fo then return nil, fmt("cannot read %s: %s ", name, code) end
  local parts = {}
  while true do
    local ok, s = pcall(fo.read, 1024)
    if not ok or type(s) ~= "string" then
      pcall(fo.close)
      return nil, fmt("cannot read %s: ioerror ", name)
    end
    if s == "" then break end
    parts[#parts + 1] = s
  end
  pcall(fo.close)
  return load(concat(parts), "@" .. name, "t", env)
end
function M:dofile(name, env)
  local f, err = M.loadfile(self, name, env)
  if not f then error(err, 2) end
  return f()
end
ba.create.luaio = function(...)
  local t = ...
  if type(t) ~= "table" then
    error(fmt("bad argument #1 to '?' (table expected, got %s)", select("#", ...) == 0 and "no value" or type(t)), 2)
  end
  local io = newud()
  cbs[io] = t
  return io
end
`;

export function installLuaIoObjects(ctx: BaContext): void {
  const { vm } = ctx;
  const L = vm.L;
  vm.newMetatable(L, 'BaLuaIo');
  vm.setHost(L, -1, '__tostring', (L) => {
    vm.pushString(L, `IO Interface: ${vm.toUserdata(L, 1).toString(16)}`);
    return 1;
  });
  const mtRef = vm.ref(L);
  // BAS's file objects print as "file (<address>)".
  vm.newMetatable(L, 'BaLuaIoFile');
  vm.setHost(L, -1, '__tostring', (L) => {
    vm.pushString(L, `file (${vm.toUserdata(L, 1).toString(16)})`);
    return 1;
  });
  const fileMtRef = vm.ref(L);
  const err = vm.load(L, LUAIO_LUA, '=luaio');
  if (err) throw err;
  vm.pushRef(L, mtRef);
  vm.pushHost(L, 'luaio', (L) => {
    newTaggedBlock(vm, L, HandleTag.luaIo, 4, mtRef);
    return 1;
  });
  ctx.pushBa(L);
  vm.pushRef(L, fileMtRef);
  vm.pushHost(L, 'luaio', (L) => {
    newTaggedBlock(vm, L, HandleTag.luaIo, 4, fileMtRef);
    return 1;
  });
  const perr = vm.pcall(L, 5, 0);
  if (perr) throw perr;
}
