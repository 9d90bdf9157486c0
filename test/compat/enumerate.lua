-- Lists every Lua-visible function remora registers, one "name" a line, for the compat
-- coverage test (compat-coverage.test.ts). Run as a script: remora test/compat/enumerate.lua
local out = {}
local function add(name) out[#out + 1] = name end
local seen = {}
local function walk(t, prefix, depth)
  if depth > 3 or seen[t] then return end
  seen[t] = true
  for k, v in pairs(t) do
    if type(k) == "string" then
      if type(v) == "function" then add(prefix .. k)
      elseif type(v) == "table" then walk(v, prefix .. k .. ".", depth + 1) end
    end
  end
end
walk(ba, "ba.", 0)
if mako then walk(mako, "mako.", 0) end
local std = {}
for _, n in ipairs{"assert", "collectgarbage", "dofile", "error", "getmetatable", "ipairs", "load",
  "loadfile", "next", "pairs", "pcall", "print", "rawequal", "rawget", "rawlen", "rawset", "require",
  "select", "setmetatable", "tonumber", "tostring", "type", "xpcall", "warn"} do std[n] = true end
for k, v in pairs(_G) do
  if type(v) == "function" and not std[k] then add(k) end
end
-- Methods of the objects the library creates: "<kind>:<method>".
local function methods(kind, obj)
  if obj == nil then return end
  local mt = getmetatable(obj)
  if type(mt) ~= "table" then return end
  local names = {}
  for k, v in pairs(mt) do
    if type(k) == "string" and type(v) == "function" and not k:find("^__") then names[k] = true end
  end
  if type(mt.__index) == "table" then
    for k, v in pairs(mt.__index) do
      if type(k) == "string" and type(v) == "function" and not k:find("^__") then names[k] = true end
    end
  end
  for k in pairs(names) do add(kind .. ":" .. k) end
end
local function try(f, ...) local ok, r = pcall(f, ...) if ok then return r end end
local sock = try(ba.socket.bind, 0, {intf = "127.0.0.1"})
methods("sock", sock)
methods("udp", try(ba.socket.udpcon, {port = 0, intf = "127.0.0.1"}))
methods("timer", try(ba.timer, function() end))
methods("thread", try(ba.thread.create))
methods("httpc", try(function() return require"httpc".create() end))
methods("sharkssl", try(ba.create.sharkssl))
methods("certstore", try(ba.create.certstore))
methods("sharkcert", try(ba.create.sharkcert, ba.openio"vm", ".certificate/MakoServer.pem", ".certificate/MakoServer.key", "sharkssl"))
methods("bytearray", try(ba.bytearray.create, 4))
methods("io", try(ba.openio, "vm"))
methods("jsonparser", try(ba.json.parser))
methods("hash", try(ba.crypto.hash, "sha256"))
methods("dir", try(ba.create.dir))
methods("resrdr", try(ba.create.resrdr, ba.openio"vm"))
if sock then sock:close() end
table.sort(out)
for _, n in ipairs(out) do print(n) end
