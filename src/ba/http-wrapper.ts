/**
 * `require"http"`: a Lua wrapper around an httpc object with the same
 * methods, following redirects inside `status()`, `read()`, `header()` and `headerpairs()`.
 * Its field `raw` is the httpc object (ba.socket.http2sock accepts either). Loaded as the
 * `package.preload.http` function by src/ba/httpc.ts.
 *
 * Redirects (RFC 9110 §15.4): 301, 302, 303, 307 and 308 with a Location are followed, at most
 * 10 times per request. 303, and 301/302 after a method other than GET/HEAD, continue as a GET
 * without a body; a 307/308 after a request with a body is returned as it is (the body was
 * streamed with h:write and cannot be sent again). The Location may be relative.
 *
 * As BAS's module: the table given to `create` (without its connection options) holds the
 * default fields of every request (`h:request(op)` adds `op`'s fields to them),
 * `h:url()` is the URL (and query) the final response came from, `h:mkop(a [, b])` merges
 * option tables, and `require"http".getmetatable()` returns the method table.
 */
export const HTTP_WRAPPER_LUA = `
local httpc = require"httpc"
local setmetatable, type, pairs, ipairs = setmetatable, type, pairs, ipairs

local M = {}
local W = {}
W.__index = W

local MAX_REDIRECTS = 10

local function resolve(base, loc)
  if loc:match("^%a[%w+.-]*://") then return loc end
  local scheme, authority, path = base:match("^(%a[%w+.-]*://)([^/?#]*)([^#]*)")
  if not scheme then return loc end
  if loc:sub(1, 2) == "//" then return scheme:match("^(.-//)") .. loc:sub(3) end
  if loc:sub(1, 1) == "/" then return scheme .. authority .. loc end
  local dir = (path:match("^([^?]*)") or "/"):match("^(.*/)") or "/"
  return scheme .. authority .. dir .. loc
end

local function copy(t)
  local c = {}
  for k, v in pairs(t) do c[k] = v end
  return c
end

-- Options that belong to the connection (httpc.create), not to each request.
local CONN = {shark = true, persistent = true, intf = true, ipv6 = true, proxy = true, proxyport = true,
  socks = true, proxyuser = true, proxypass = true}

-- A new table with a's fields, then b's.
local function mkop(a, b)
  if not a then return b or {} end
  if not b then return a end
  local c = copy(a)
  for k, v in pairs(b) do c[k] = v end
  return c
end

function M.create(opt)
  local dop = {}
  if type(opt) == "table" then
    for k, v in pairs(opt) do if not CONN[k] then dop[k] = v end end
  end
  return setmetatable({raw = httpc.create(type(opt) == "table" and opt or {}), dop = dop}, W)
end

function M.getmetatable() return W end

function W:request(op)
  -- As in BAS, the defaults' query is not sent again.
  self.dop.query = nil
  op = mkop(self.dop, op)
  self.op = op
  self.sentBody = false
  return self.raw:request(op)
end

function W:mkop(a, b)
  if b then return mkop(a, b) end
  return mkop(self.dop, a)
end

-- Follows redirects until the final response; returns its status or nil, err.
local function follow(self)
  local n = 0
  while true do
    local st, err = self.raw:status()
    if not st then return nil, err end
    local op = self.op
    if not op or n >= MAX_REDIRECTS or not (st == 301 or st == 302 or st == 303 or st == 307 or st == 308) then
      return st
    end
    local loc = self.raw:header("Location")
    if not loc then return st end
    local method = (op.method or "GET"):upper()
    local new = copy(op)
    new.url = resolve(op.url, loc)
    new.query = nil
    if st == 303 or ((st == 301 or st == 302) and method ~= "GET" and method ~= "HEAD") then
      if method ~= "HEAD" then new.method = "GET" end
      new.size = nil
    elseif self.sentBody then
      return st
    end
    n = n + 1
    local ok, rerr = self.raw:request(new)
    if not ok then return nil, rerr end
    self.op = new
    self.sentBody = false
  end
end

function W:status()
  return follow(self)
end

function W:read(...)
  local st, err = follow(self)
  if not st then return nil, err end
  return self.raw:read(...)
end

function W:header(...)
  local st, err = follow(self)
  if not st then return nil, err end
  return self.raw:header(...)
end

function W:headerpairs()
  local st, err = follow(self)
  if not st then return nil, err end
  return self.raw:headerpairs()
end

function W:url()
  local st, err = follow(self)
  if not st then return nil, err end
  return self.op.url, self.op.query
end

function W:write(...)
  self.sentBody = true
  return self.raw:write(...)
end

for _, name in ipairs{"close", "timeout", "cookie", "certificate", "cipher", "trusted", "peername", "sockname"} do
  W[name] = function(self, ...)
    local raw = self.raw
    return raw[name](raw, ...)
  end
end

return M
`;
