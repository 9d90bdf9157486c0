/**
 * The globals BAS defines for its LuaSocket compatibility modules (BAS-Resources' `socket`,
 * `socket.core`, `mime`, `ltn12`, smtp): `sockcompat` (LuaSocket's `skip`, `protect`,
 * `newtry`) and `mime` (LuaSocket's mime core: `b64`, `unb64`, `qp`, `unqp`, `qpwrp`, `wrp`,
 * `eol`, `dot`), with LuaSocket's documented behaviour. Written in Lua: these are string
 * filters called a chunk at a time.
 */
import type { BaContext } from './context.js';

const COMPAT_LUA = `
local type, select, pcall, error, tostring, tonumber = type, select, pcall, error, tostring, tonumber
local sbyte, schar, ssub, sfmt = string.byte, string.char, string.sub, string.format
local concat, pack, unpack = table.concat, table.pack, table.unpack
local CRLF, EQCRLF = "\\r\\n", "=\\r\\n"

-- ---- sockcompat ---------------------------------------------------------------------------

local sockcompat = {}
-- skip(n, ...): the arguments after the first n.
function sockcompat.skip(n, ...)
  n = math.tointeger(n) or error(("bad argument #1 to 'skip' (number expected, got %s)"):format(type(n)), 2)
  if n >= select('#', ...) then return end
  return select(n + 1, ...)
end
-- protect(f): a function that calls f and returns nil, message instead of raising.
function sockcompat.protect(f)
  return function(...)
    local r = pack(pcall(f, ...))
    if r[1] then return unpack(r, 2, r.n) end
    return nil, r[2]
  end
end
-- newtry([finalizer]): try(ok, err, ...) returns its arguments when ok is true, else calls the
-- finalizer and raises err as it is.
function sockcompat.newtry(finalizer)
  return function(...)
    if not (...) then
      if finalizer then pcall(finalizer) end
      error((select(2, ...)), 0)
    end
    return ...
  end
end
_G.sockcompat = sockcompat

-- ---- mime ---------------------------------------------------------------------------------

local function optstr(v, n, fname)
  if v == nil then return nil end
  local t = type(v)
  if t == "number" then return tostring(v) end
  if t ~= "string" then error(("bad argument #%d to '%s' (string expected, got %s)"):format(n, fname, t), 3) end
  return v
end
local function checknum(v, n, fname)
  local x = tonumber(v)
  if not x then error(("bad argument #%d to '%s' (number expected, got %s)"):format(n, fname, type(v)), 3) end
  return math.tointeger(x) or x // 1
end

local mime = {}
local B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local b64enc, b64dec = {}, {}
for i = 1, 64 do b64enc[i - 1] = ssub(B64, i, i) b64dec[sbyte(B64, i)] = i - 1 end
b64dec[sbyte("=")] = 0

local function b64full(s)
  local out, n = {}, #s - #s % 3
  for i = 1, n, 3 do
    local a, b, c = sbyte(s, i, i + 2)
    local v = a << 16 | b << 8 | c
    out[#out + 1] = b64enc[v >> 18] .. b64enc[v >> 12 & 63] .. b64enc[v >> 6 & 63] .. b64enc[v & 63]
  end
  return concat(out), ssub(s, n + 1)
end
local function b64pad(rest)
  if #rest == 0 then return "" end
  local a, b = sbyte(rest, 1, 2)
  local v = a << 16 | (b or 0) << 8
  local s = b64enc[v >> 18] .. b64enc[v >> 12 & 63]
  return s .. (b and b64enc[v >> 6 & 63] or "=") .. "="
end
-- b64(C [, D]): A is the encoding of the longest prefix of C..D that encodes without padding,
-- B the rest; without D the rest is encoded with padding (B is nil). nil C: nil, nil.
function mime.b64(c, d)
  c, d = optstr(c, 1, "b64"), optstr(d, 2, "b64")
  if c == nil then return nil, nil end
  if d == nil then
    local enc, rest = b64full(c)
    enc = enc .. b64pad(rest)
    if enc == "" then return nil, nil end
    return enc, nil
  end
  return b64full(c .. d)
end

local function b64decode(s)
  local out, atom = {}, {}
  for i = 1, #s do
    local ch = sbyte(s, i)
    if b64dec[ch] then
      atom[#atom + 1] = ch
      if #atom == 4 then
        local v = b64dec[atom[1]] << 18 | b64dec[atom[2]] << 12 | b64dec[atom[3]] << 6 | b64dec[atom[4]]
        local valid = atom[3] == 61 and 1 or atom[4] == 61 and 2 or 3
        out[#out + 1] = ssub(schar(v >> 16, v >> 8 & 255, v & 255), 1, valid)
        atom = {}
      end
    end
  end
  return concat(out), schar(unpack(atom))
end
-- A decoding filter (unb64, unqp): decode(C..D) gives the decoded bytes and the undecoded
-- rest; the rest is returned only when D is given, and nothing at all for an empty result
-- without D.
local function decoder(name, decode)
  return function(c, d)
    c, d = optstr(c, 1, name), optstr(d, 2, name)
    if c == nil then return nil, nil end
    local dec, rest = decode(c .. (d or ""))
    if d == nil then
      if dec == "" then return nil, nil end
      return dec, nil
    end
    return dec, rest
  end
end
-- unb64(C [, D]): decoded bytes of C..D (characters outside the alphabet ignored), and the
-- undecoded rest (an incomplete group) when D is given.
mime.unb64 = decoder("unb64", b64decode)

-- Quoted-printable: characters 33..60 and 62..126 stay, tab and space stay unless they end a
-- line, CRLF becomes the marker, everything else is =XX.
local HEX = "0123456789ABCDEF"
local function qpquote(ch)
  return "=" .. ssub(HEX, (ch >> 4) + 1, (ch >> 4) + 1) .. ssub(HEX, (ch & 15) + 1, (ch & 15) + 1)
end
local function plain(ch) return (ch >= 33 and ch <= 60) or (ch >= 62 and ch <= 126) end
local function qpencode(s, marker, final)
  local out, i, n = {}, 1, #s
  while i <= n do
    local ch = sbyte(s, i)
    if ch == 13 then
      if i + 1 > n then break end
      if sbyte(s, i + 1) == 10 then out[#out + 1] = marker i = i + 2 goto continue end
      out[#out + 1] = qpquote(ch)
    elseif ch == 9 or ch == 32 then
      if i + 2 > n then break end
      if sbyte(s, i + 1) == 13 and sbyte(s, i + 2) == 10 then
        out[#out + 1] = qpquote(ch) .. marker
        i = i + 3
        goto continue
      end
      out[#out + 1] = schar(ch)
    elseif plain(ch) then
      out[#out + 1] = schar(ch)
    else
      out[#out + 1] = qpquote(ch)
    end
    i = i + 1
    ::continue::
  end
  local rest = ssub(s, i)
  if final then
    for k = 1, #rest do
      local ch = sbyte(rest, k)
      out[#out + 1] = plain(ch) and schar(ch) or qpquote(ch)
    end
    if #rest > 0 then out[#out + 1] = EQCRLF end
    rest = ""
  end
  return concat(out), rest
end
-- qp(C [, D [, marker]]): as b64, for quoted-printable; marker replaces CRLF (default CRLF).
function mime.qp(c, d, marker)
  c, d = optstr(c, 1, "qp"), optstr(d, 2, "qp")
  marker = optstr(marker, 3, "qp") or CRLF
  if c == nil then return nil, nil end
  if d == nil then
    local enc = qpencode(c, marker, true)
    if enc == "" then return nil, nil end
    return enc, nil
  end
  return qpencode(c .. d, marker, false)
end

local function hexval(ch)
  if ch >= 48 and ch <= 57 then return ch - 48 end
  if ch >= 65 and ch <= 70 then return ch - 55 end
  if ch >= 97 and ch <= 102 then return ch - 87 end
  return 16
end
local function qpdecode(s)
  local out, i, n = {}, 1, #s
  while i <= n do
    local ch = sbyte(s, i)
    if ch == 61 then
      if i + 2 > n then break end
      local a, b = sbyte(s, i + 1, i + 2)
      if not (a == 13 and b == 10) then
        local x, y = hexval(a), hexval(b)
        out[#out + 1] = (x > 15 or y > 15) and ssub(s, i, i + 2) or schar(x * 16 + y)
      end
      i = i + 3
    elseif ch == 13 then
      if i + 1 > n then break end
      if sbyte(s, i + 1) == 10 then out[#out + 1] = CRLF end
      i = i + 2
    else
      if ch == 9 or (ch > 31 and ch < 127) then out[#out + 1] = schar(ch) end
      i = i + 1
    end
  end
  return concat(out), ssub(s, i)
end
-- unqp(C [, D]): decodes quoted-printable; soft line breaks vanish.
mime.unqp = decoder("unqp", qpdecode)

-- A line wrapper (wrp, qpwrp): left is the room left on the current line, length the line
-- length (default 76). Without C, the final break (eof) if the line is not empty. Otherwise
-- CR is dropped, LF starts a new line, and every other byte goes through room(ch), the room
-- a byte needs before a break (brk) is inserted. Returns the text and the room left.
local function wrapper(name, eof, brk, room)
  return function(left, c, length)
    left = checknum(left, 1, name)
    c = optstr(c, 2, name)
    length = length == nil and 76 or checknum(length, 3, name)
    if c == nil then
      return (left < length) and eof or nil, length
    end
    local out = {}
    for i = 1, #c do
      local ch = sbyte(c, i)
      if ch == 13 then
      elseif ch == 10 then
        out[#out + 1] = CRLF
        left = length
      else
        if left <= room(ch) then left = length out[#out + 1] = brk end
        out[#out + 1] = schar(ch)
        left = left - 1
      end
    end
    return concat(out), left
  end
end

-- wrp(left, C [, length]): breaks lines of text at length characters.
mime.wrp = wrapper("wrp", CRLF, CRLF, function() return 0 end)

-- qpwrp(left, C [, length]): breaks quoted-printable lines with soft line breaks ("=" CRLF),
-- never inside an "=XX" escape.
mime.qpwrp = wrapper("qpwrp", EQCRLF, EQCRLF, function(ch) return ch == 61 and 3 or 1 end)

-- eol(ctx, C [, marker]): every line break (CR, LF, CRLF or LFCR) becomes marker (default
-- CRLF); ctx carries the last break character between chunks.
function mime.eol(ctx, c, marker)
  ctx = checknum(ctx, 1, "eol")
  c = optstr(c, 2, "eol")
  marker = optstr(marker, 3, "eol") or CRLF
  if c == nil then return nil, 0 end
  local out = {}
  for i = 1, #c do
    local ch = sbyte(c, i)
    if ch == 13 or ch == 10 then
      if ctx == 13 or ctx == 10 then
        if ch == ctx then out[#out + 1] = marker end
        ctx = 0
      else
        out[#out + 1] = marker
        ctx = ch
      end
    else
      out[#out + 1] = schar(ch)
      ctx = 0
    end
  end
  return concat(out), ctx
end

-- dot(state, C): SMTP dot-stuffing (a "." starting a line is doubled); state carries the
-- CRLF progress between chunks (2 = at the start of a line).
function mime.dot(state, c)
  state = checknum(state, 1, "dot")
  c = optstr(c, 2, "dot")
  if c == nil then return nil, 2 end
  local out = {}
  for i = 1, #c do
    local ch = sbyte(c, i)
    out[#out + 1] = schar(ch)
    if ch == 13 then state = 1
    elseif ch == 10 then state = (state == 1) and 2 or 0
    else
      if ch == 46 and state == 2 then out[#out + 1] = "." end
      state = 0
    end
  end
  return concat(out), state
end
_G.mime = mime
`;

/** Defines the globals `sockcompat` and `mime`. */
export function installLuaSocketCompat(ctx: BaContext): void {
  ctx.vm.exec(COMPAT_LUA, '=sockcompat');
}
