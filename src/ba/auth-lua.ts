/**
 * The Lua half of the authentication API (src/ba/auth.ts installs it): the objects
 * `ba.create.authuser`, `jsonuser`, `authorizer`, `authenticator` make, their methods, the
 * session object, `ba.session`/`sessions`/`users`, `ba.tracker`, and the request methods
 * `login`, `logout`, `user`, `session`. The login flows are Lua because they call the app's
 * Lua callbacks (password lookup, login response) in the middle; every check of a credential,
 * every session and tracker change is a host primitive of `P` (src/ba/auth-core.ts's rules).
 */
import { LUA_ARGERR } from './lua-argerr.js';

export const AUTH_LUA = `
local P, reqm, trace = ...
local type, pcall, xpcall, error, tostring, select, pairs, ipairs, setmetatable, rawget, next =
  type, pcall, xpcall, error, tostring, select, pairs, ipairs, setmetatable, rawget, next
local getinfo, traceback, tointeger, concat, sort = debug.getinfo, debug.traceback, math.tointeger, table.concat, table.sort
local G = _G
local D = setmetatable({}, { __mode = "k" })

${LUA_ARGERR}
local function typename(v) return v == nil and "no value" or type(v) end

local function newud(kind, data)
  local u = P.newud(kind)
  data.kind = kind
  D[u] = data
  return u
end
local function check(u, n, kinds, what)
  local d = D[u]
  if not d or not kinds[d.kind] then
    local ar = getinfo(2, "n")
    if ar and ar.namewhat == "method" then n = n - 1 end
    error(("bad argument #%d to '%s' (%s expected, got %s)"):format(n, ar and ar.name or "?", what, typename(u)), 3)
  end
  return d
end
local USERDB = { authuser = true, jsonuser = true }
local AUTHZ = { authorizer = true, jauthorizer = true }

-- The command environment a callback gets: request/response and the globals; the request's
-- own (request:env()), so a page it forwards to sees what the callback put there (as in Mako).
local function cmdenv(req)
  if req.env then return req:env() end
  return setmetatable({ request = req, response = req, print = P.printfn(req) }, { __index = G })
end
-- (nil is how response:forward and a refused request:allow end the page: not traced, and
-- passed on by rethrow.)
local function onerr(e)
  if e ~= nil then trace(traceback(tostring(e), 2)) end
  return e
end
local function rethrow(ok, e)
  if not ok and e == nil then error(nil, 0) end
  return ok
end

---------------------------------------------------------------- user databases
-- Password lookup: pwd, ct ("pwd" | "ha1" | "valid"), maxusers, recycle, inactive.
local function getpwd(d, name, upwd, env)
  if d.kind == "authuser" then
    local ok, p, mu, rc, ia = xpcall(d.fn, onerr, name, upwd, env)
    if not ok then return nil end
    local ct
    if type(p) == "string" then ct = "pwd"
    elseif type(p) == "table" then
      p = p[1]
      if type(p) == "string" and #p == 32 then ct = "ha1" else p = nil end
    elseif p == true then ct, p = "valid", "?"
    else p = nil end
    if not ct then return nil end
    local maxusers, recycle, inactive = 3, false, 0
    if type(mu) == "number" then
      maxusers = tointeger(mu) or mu // 1
      if type(rc) == "boolean" then
        recycle = rc
        if type(ia) == "number" then inactive = tointeger(ia) or ia // 1 end
      end
    end
    return p, ct, maxusers, recycle, inactive
  end
  local u = d.db and d.db[name]
  if not u then return nil end
  return u.pwd, u.ha1 and "ha1" or "pwd", u.maxusers, u.recycle, u.inactive
end

local AU = {}
function AU:getpwd(name)
  local d = check(self, 1, USERDB, "USERINTF")
  if type(name) ~= "string" and type(name) ~= "number" then argerr(2, "string expected, got " .. typename(name)) end
  local p, ct, mu, rc, ia = getpwd(d, tostring(name), nil, nil)
  if not p or p == "" or ct == "valid" then return nil end
  return p, mu, rc, ia
end
P.setmt("authuser", { __index = AU })

local JU = setmetatable({}, { __index = AU })
local function semerr(msg) return nil, "Semantic error: " .. msg end
local function jtype(v)
  if type(v) == "table" then return next(v) == nil and "object" or (v[1] ~= nil and "array" or "object") end
  if type(v) == "number" then return tointeger(v) and "int" or "double" end
  if type(v) == "boolean" then return "boolean" end
  if type(v) == "string" then return "string" end
  return "null"
end
function JU:set(db)
  local d = check(self, 1, { jsonuser = true }, "JUSER")
  if type(db) == "string" then
    local ok, t = pcall(G.ba.json.decode, db)
    if not ok or type(t) ~= "table" then return nil, "JSON parse error" end
    db = t
  elseif type(db) ~= "table" then argerr(2, "string expected, got " .. typename(db)) end
  d.db = {}
  for name, u in pairs(db) do
    if jtype(u) ~= "object" then return semerr("Type not expected, expected object got " .. jtype(u) .. ".") end
    local pwd, roles = u.pwd, u.roles
    if pwd == nil or roles == nil then return semerr("Member name not found in object, ecode =3") end
    local ha1 = false
    if type(pwd) == "table" then
      ha1, pwd = true, pwd[1]
      if type(pwd) ~= "string" or #pwd ~= 32 then return semerr("Wrong HA1 len, expected unknown got unknown.") end
    elseif type(pwd) ~= "string" then
      return semerr("Type not expected, expected string got " .. jtype(pwd) .. ".")
    end
    if type(roles) ~= "table" then return semerr("Type not expected, expected array got " .. jtype(roles) .. ".") end
    local mu = u.maxUsers or u.maxusers
    mu = type(mu) == "number" and (tointeger(mu) or mu // 1) or 5
    if mu < 0 then mu = 0 elseif mu > 0xFFFF then mu = 0xFFFF end
    if mu > 0 then
      local ia = type(u.inactive) == "number" and (tointeger(u.inactive) or u.inactive // 1) or 0
      if ia < 0 then ia = 0 end
      local rs = {}
      for _, r in ipairs(roles) do if type(r) == "string" then rs[r] = true end end
      d.db[tostring(name)] = { pwd = pwd, ha1 = ha1, maxusers = mu, recycle = u.recycle == true, inactive = ia, roles = rs }
    end
  end
  return true
end
P.setmt("jsonuser", { __index = JU })

---------------------------------------------------------------- authorizers
local AZ = {}
-- The user a request (or an upload node) is logged in as: name, password, type.
function AZ:authorize(req, method, path)
  local d = check(self, 1, AUTHZ, "AUTHORIZERINTF")
  if type(method) ~= "string" then argerr(3, "string expected, got " .. typename(method)) end
  if type(path) ~= "string" then argerr(4, "string expected, got " .. typename(path)) end
  local name, pwd, utype = P.user(req)
  if not name then return false end
  if d.kind == "authorizer" then
    local ok, r = xpcall(d.fn, onerr, name, method, path, P.session(req, false) and reqm.session(req) or nil)
    return ok and r == true
  end
  return d.check(name, pwd, utype, method, path)
end
P.setmt("authorizer", { __index = AZ })

local JA = setmetatable({}, { __index = AZ })
function JA:set(c)
  local d = check(self, 1, { jauthorizer = true }, "JAUTHORIZER")
  if type(c) == "string" then
    local ok, t = pcall(G.ba.json.decode, c)
    if not ok or type(t) ~= "table" then return nil, "JSON parse error" end
    c = t
  elseif type(c) ~= "table" then argerr(2, "string expected, got " .. typename(c)) end
  local res = {}
  for _, con in pairs(c) do
    if jtype(con) ~= "object" then return semerr("Type not expected, expected object got " .. jtype(con) .. ".") end
    if con.urls == nil or con.methods == nil or con.roles == nil then return semerr("Member name not found in object, ecode =3") end
    local ms, rs = {}, {}
    for _, m in ipairs(con.methods) do ms[#ms + 1] = tostring(m):upper() end
    for _, r in ipairs(con.roles) do rs[#rs + 1] = tostring(r) end
    for _, url in ipairs(con.urls) do
      url = tostring(url)
      local prefix = url:sub(-1) == "*"
      res[#res + 1] = { path = prefix and url:sub(1, -2) or url, prefix = prefix, methods = ms, roles = rs }
    end
  end
  sort(res, function(a, b) return #a.path > #b.path end)
  d.res = res
  return true
end
function JA:casesensitive(on)
  local d = check(self, 1, { jauthorizer = true }, "JAUTHORIZER")
  local was = d.cs
  d.cs = on == true
  return was
end
P.setmt("jauthorizer", { __index = JA })

local function jcheck(d, name, pwd, utype, method, path)
  local u = D[d.udb].db and D[d.udb].db[name]
  if not u then return false end
  if not (pwd == u.pwd or (pwd == "_autologin_" and utype == "?")) then return false end
  if method == "HEAD" then method = "GET" end
  local lpath = d.cs and path or path:lower()
  local function allowed(r)
    if #r.roles > 0 then
      local found = false
      for _, role in ipairs(r.roles) do if u.roles[role] then found = true break end end
      if not found then return false end
    end
    if #r.methods == 0 then return true end
    for _, m in ipairs(r.methods) do if m == method then return true end end
    return false
  end
  local matched
  for _, r in ipairs(d.res or {}) do
    local rp = d.cs and r.path or r.path:lower()
    if (r.prefix and lpath:sub(1, #rp) == rp) or (not r.prefix and lpath == rp) then
      if matched and matched > #rp then return false end
      if allowed(r) then return true end
      matched = matched or #rp
    end
  end
  return false
end

function JU:authorizer()
  local d = check(self, 1, { jsonuser = true }, "JUSER")
  local a
  a = newud("jauthorizer", { udb = self, cs = true, res = {} })
  local ad = D[a]
  ad.check = function(...) return jcheck(ad, ...) end
  return a
end

---------------------------------------------------------------- authenticators
local AN = {}

local function respond(a, req, ai)
  if a.response == false then return end
  if a.response then
    rethrow(xpcall(a.response, onerr, cmdenv(req), ai))
  else
    P.defaultpage(req)
  end
end

local function tracked(a, req, ai)
  if not a.tracker then return true end
  local ok, attempts = P.tvalidate(req)
  if not ok then ai.denied, ai.loginattempts = true, attempts end
  return ok
end
local logh
local function tlog(ok, name, req)
  local addr = ok and P.tlogin(req, name) or P.tfailed(req, name)
  if logh then
    local r, e = pcall(logh, ok, name or "?", addr, cmdenv(req))
    if not r then logh = nil trace(tostring(e)) end
  end
end

local function fill(ai, name, pwd, upwd, maxusers, recycle, inactive)
  ai.username, ai.password, ai.upwd = name, pwd or "", upwd
  ai.maxusers, ai.recycle, ai.inactive = maxusers or 3, recycle or false, inactive or 0
end

-- Credentials checked: log the user in (the session), or answer 403 when the login limits
-- refuse it. Returns the authenticated name, password and type, or nothing.
local function admit(a, req, ai, name, pwd, kind, mu, rc, ia)
  if not P.login(req, name, pwd, kind, mu, rc, ia) then
    P.setstatus(req, 403)
    respond(a, req, ai)
    return nil
  end
  if a.tracker then tlog(true, name, req) end
  return name, pwd, kind
end

local function basic(a, req)
  local ai = { type = "basic", loginattempts = 0, denied = false }
  local name, upwd = P.basic(req)
  if name then
    local pwd, ct, mu, rc, ia = getpwd(a.udb, name, upwd, cmdenv(req))
    fill(ai, name, pwd, upwd, mu, rc, ia)
    if P.committed(req) then return nil end
    if not tracked(a, req, ai) then respond(a, req, ai) return nil end
    if pwd and P.pwdok(a.realm, name, upwd, pwd, ct) then
      return admit(a, req, ai, name, pwd, "basic", mu, rc, ia)
    end
    if a.tracker then tlog(false, name, req) end
    P.challenge(req, "basic", a.realm)
  elseif tracked(a, req, ai) then
    P.challenge(req, "basic", a.realm)
  end
  respond(a, req, ai)
  return nil
end

local function digest(a, req)
  local ai = { type = "digest", loginattempts = 0, denied = false }
  local f = P.digest(req)
  if f then
    local name = f.username
    local pwd, ct, mu, rc, ia = getpwd(a.udb, name, nil, cmdenv(req))
    fill(ai, name, pwd, nil, mu, rc, ia)
    if P.committed(req) then return nil end
    if not tracked(a, req, ai) then respond(a, req, ai) return nil end
    local r = (pwd and ct ~= "valid") and P.digestok(req, a.realm, pwd, ct) or "bad"
    if r == "ok" then return admit(a, req, ai, name, pwd, "digest", mu, rc, ia) end
    if r == "bad" and a.tracker then tlog(false, name, req) end
    P.challenge(req, "digest", a.realm, r == "stale")
  elseif tracked(a, req, ai) then
    P.challenge(req, "digest", a.realm)
  end
  respond(a, req, ai)
  return nil
end

local function form(a, req)
  local ai = { type = "form", loginattempts = 0, denied = false }
  ai.seed, ai.seedkey = P.seed()
  local name, upwd, seed, seedkey = P.formcreds(req)
  if name then fill(ai, name, "", nil) end
  if (a.secure and not req:issecure() and not seed) or not tracked(a, req, ai) then
    respond(a, req, ai)
    return nil
  end
  if name and upwd then
    local pwd, ct, mu, rc, ia = getpwd(a.udb, name, (not seed) and upwd or nil, cmdenv(req))
    fill(ai, name, pwd, (not seed) and upwd or nil, mu, rc, ia)
    if P.committed(req) then return nil end
    local ok
    -- As BAS: the seed hashes what the database holds (plain password or HA1).
    if seed then ok = pwd ~= nil and ct ~= "valid" and P.seedok(upwd, seed, seedkey or "", pwd)
    else ok = pwd ~= nil and P.pwdok(a.realm, name, upwd, pwd, ct) end
    if ok then
      if ct == "valid" then pwd = "?" end
      if P.login(req, name, pwd, "form", mu, rc, ia) then
        if a.tracker then tlog(true, name, req) end
        P.formredirect(req)
      else
        respond(a, req, ai)
      end
      return nil
    end
    if a.tracker then tlog(false, name, req) end
    respond(a, req, ai)
  else
    P.rememberurl(req)
    respond(a, req, ai)
  end
  return P.user(req)
end

-- WebDAV clients: Basic or Digest as the client sends it; otherwise a 401 error page with both
-- challenges and no login response (BAS's DAV authenticator has none).
local function dav(a, req)
  if P.hasauth(req) then
    local saved = a.response
    a.response = false
    local r1, r2, r3 = (P.choose(req, "", "dav") == "basic" and basic or digest)(a, req)
    a.response = saved
    if r1 then return r1, r2, r3 end
  end
  P.daverror(req, a.realm)
  return nil
end

local FLOW = { basic = basic, digest = digest, form = form, sform = form, dav = dav }

local function authenticate(a, req, relpath)
  local name, pwd, utype = P.user(req)
  local kind = a.type
  if name then
    if utype == "form" then P.formfirst(req) end
    if kind ~= "digest" or not a.strict then return name, pwd, utype end
  end
  if kind == "auth" then kind = P.choose(req, relpath or "", kind) end
  return FLOW[kind](a, req)
end

function AN:authenticate(req, relpath)
  local a = check(self, 1, { authenticator = true }, "AUTHENTICATORINTF")
  if not P.isrequest(req) then argerr(2, "HTTPCMD expected, got " .. typename(req)) end
  if type(relpath) ~= "string" and type(relpath) ~= "number" then argerr(3, "string expected, got " .. typename(relpath)) end
  return authenticate(a, req, tostring(relpath))
end
P.setmt("authenticator", { __index = AN })

local TYPES = { auth = true, digest = true, basic = true, form = true, sform = true, dav = true }

local create = G.ba.create
-- (BAS sets the stack to one value first: a missing argument reads "got nil".)
function create.authuser(fn)
  if type(fn) ~= "function" then argerr(1, "function expected, got " .. type(fn)) end
  return newud("authuser", { fn = fn })
end
function create.jsonuser()
  return newud("jsonuser", { db = {} })
end
function create.authorizer(fn)
  if type(fn) ~= "function" then argerr(1, "function expected, got " .. type(fn)) end
  return newud("authorizer", { fn = fn })
end
function create.authenticator(udb, opt)
  local d = D[udb]
  if not d or not USERDB[d.kind] then argerr(1, "USERINTF expected, got " .. typename(udb)) end
  local a = { udb = d, type = "digest", realm = "Barracuda Server" }
  if type(opt) == "table" then
    if opt.type ~= nil then
      local t = opt.type
      if type(t) ~= "string" then error("bad argument #-1 to '?' (string expected, got " .. typename(t) .. ")", 2) end
      if not TYPES[t] then error(("bad argument #-1 to '?' (invalid option '%s')"):format(t), 2) end
      a.type = t
    end
    if opt.realm ~= nil then
      if type(opt.realm) ~= "string" and type(opt.realm) ~= "number" then error("bad argument #-1 to '?' (string expected, got " .. typename(opt.realm) .. ")", 2) end
      a.realm = tostring(opt.realm)
    end
    if opt.response ~= nil then
      if type(opt.response) ~= "function" then error("bad argument #-1 to '?' (function expected, got " .. typename(opt.response) .. ")", 2) end
      a.response = opt.response
    elseif a.type == "form" or a.type == "sform" then
      error("Option 'response' required with form auth", 2)
    end
    a.tracker = opt.tracker and true or false
    a.secure = a.type == "sform"
  end
  return newud("authenticator", a)
end

-- The check a protected directory runs: true when the request may go on; otherwise the
-- authenticator (or a 403 for a refused authorization) has answered.
local function dircheck(authn, req, relpath, authz, p403)
  local a = D[authn]
  local name = authenticate(a, req, relpath)
  if not name then return false end
  if authz then
    if not AZ.authorize(authz, req, req:method(), relpath) then
      -- dir:p403(url): the page for a refused authorization (forwarded), else a 403.
      if p403 then req:forward(p403) end
      P.forbidden(req)
      return false
    end
  end
  return true
end

---------------------------------------------------------------- sessions
local SM = {}
local ATTR = {}
local function sid(s)
  local d = D[s]
  return d and d.kind == "session" and d.id or nil
end
local function live(s)
  local id = sid(s)
  if not id then argerr(1, "SESSION expected, got " .. typename(s)) end
  if not P.sess("alive", id) then error("session expired", 3) end
  return id
end
local function pushsession(id)
  if not id then return false end
  return newud("session", { id = id })
end
function SM:attributes() return ATTR[live(self)] end
function SM:id(asstring)
  local id = live(self)
  if asstring == true then return P.sess("cookie", id) end
  return id
end
function SM:creationtime() return P.sess("created", live(self)) end
function SM:lastaccessedtime(touch)
  local id = sid(self)
  return P.sess("lastaccess", id or -1, touch == true)
end
function SM:maxinactiveinterval(n)
  local id = live(self)
  local was = P.sess("maxinactive", id)
  if n ~= nil then
    if not tointeger(n) then argerr(2, "number expected, got " .. typename(n)) end
    P.sess("maxinactive", id, n)
  end
  return was
end
function SM:peername() return P.sess("peer", live(self)) end
function SM:usecounter() return P.sess("usecounter", live(self)) end
function SM:user() return P.sess("user", live(self)) end
function SM:terminate()
  local id = sid(self)
  return id and P.sess("terminate", id) or false
end
function SM:lock()
  local id = live(self)
  local d = D[self]
  if d.locked then return false end
  d.locked = true
  P.sess("lock", id)
  return true
end
function SM:release()
  local d = D[self]
  if not d or not d.locked or not P.sess("alive", d.id) then return false end
  d.locked = false
  P.sess("unlock", d.id)
  return true
end
P.setmt("session", {
  -- As in BAS, every lookup (methods too) on an ended session raises "session expired".
  __index = function(s, k)
    local id = sid(s)
    if not P.sess("alive", id) then error("session expired", 2) end
    local m = SM[k]
    if m ~= nil then return m end
    local t = ATTR[id]
    return t and t[k]
  end,
  __newindex = function(s, k, v)
    if SM[k] ~= nil then error("attempt to set an invalid session attribute", 2) end
    local id = live(s)
    local t = ATTR[id]
    if not t then t = {} ATTR[id] = t end
    t[k] = v
  end,
  __gc = function(s)
    local d = D[s]
    if d and d.locked then d.locked = false P.sess("unlock", d.id) end
  end,
})

-- A session ended: its onterminate attribute runs (as BAS does), its attributes go.
local function ended(id)
  local t = ATTR[id]
  ATTR[id] = nil
  if t and type(rawget(t, "onterminate")) == "function" then
    local ok, e = pcall(t.onterminate)
    if not ok then trace("Session.onterminate failed: " .. tostring(e)) end
  end
end

function G.ba.session(a, b, create)
  if P.isrequest(a) then
    if type(b) ~= "string" then argerr(2, "string expected, got " .. typename(b)) end
    local slash = b:find("/", 1, true)
    if slash then
      local s = pushsession(P.sessbycookie(b:sub(1, slash - 1), a, create == true))
      if s then return s, b:sub(slash + 1) end
      return false
    elseif #b == 24 then
      local s = pushsession(P.sessbycookie(b, a, create == true))
      if s then return s, "" end
    end
    return false
  elseif type(a) == "string" then
    if not P.isrequest(b) then argerr(2, "HTTPCMD expected, got " .. typename(b)) end
    return pushsession(P.sessbycookie(a, b, create == true))
  end
  local id = tointeger(a)
  return pushsession(id and P.sess("alive", id) and id or nil)
end
function G.ba.sessions(...)
  if select("#", ...) > 0 then
    local name = ...
    if type(name) ~= "string" and type(name) ~= "number" then argerr(1, "string expected, got " .. typename(name)) end
    return P.sessions(tostring(name))
  end
  return P.sessions()
end
function G.ba.users() return P.users() end

---------------------------------------------------------------- the request object
function reqm:session(create) return pushsession(P.session(self, create and true or false)) end
function reqm:user() return P.user(self) end
function reqm:logout(all) return P.logout(self, all == true) end
function reqm:login(name, maxusers, recycle)
  local n = P.user(self)
  if n then return n end
  if name ~= nil and type(name) ~= "string" and type(name) ~= "number" then argerr(2, "string expected, got " .. typename(name)) end
  if maxusers ~= nil and not tointeger(maxusers) then argerr(3, "number expected, got " .. typename(maxusers)) end
  if recycle == nil then recycle = true end
  return P.login(self, name ~= nil and tostring(name) or "_autologin_", "_autologin_", "lua", tointeger(maxusers) or 1, recycle and true or false, 0)
end

---------------------------------------------------------------- ba.tracker
G.ba.tracker = {
  attempted = function() return P.tattempted() end,
  successful = function() return P.tsuccessful() end,
  clearcache = function() P.tclear() return true end,
  setlogh = function(...)
    logh = nil
    if select("#", ...) > 0 then
      local f = ...
      if type(f) ~= "function" then argerr(1, "function expected, got " .. typename(f)) end
      logh = f
    end
  end,
}

-- A directory function for a protected directory: false (not handled: go on) when the request
-- may enter, true when the authenticator (or the authorizer's 403) answered it.
local function checker(authn, authz, p403)
  return function(env, rel)
    return not dircheck(authn, env.request, rel, authz, p403)
  end
end

return dircheck, ended, checker
`;
