/**
 * `mako.loadcerts([keys, certs])`: loads the HTTPS certificates again and gives them to the
 * HTTPS listener, as the Mako Server's start-up script does: the configuration file is read
 * again (`certfile`/`keyfile`, strings or lists), each name looked up as given, then in the
 * configuration's folder, then in the executable's folder, then in the home IO; `keys` and
 * `certs` (lists of names in the home IO) are loaded too. Each certificate prints
 * `Loading certificate "<name>"` (or `... failed! <err>`); a name that is not found prints
 * `Error: <name> not found`. Returns the SharkSSL object, or nil, "No Cert" when neither the
 * configuration nor the arguments name a certificate (or nil, err when one failed). The
 * configuration's `certstore` (a name or a list, looked up the same way, each printing
 * `Loading store "<name>"`) becomes the SharkSSL object's CA list: the HTTPS listener asks
 * clients for a certificate and `request:certificate()` says whether one of these CAs signed
 * it. As in
 * Mako, `ba.slcon` and `ba.slcon6` (the HTTPS listeners) are re-created with the new
 * certificates (`ba.create.servcon(old, {shark=...})`): new HTTPS connections use them, open
 * ones keep theirs.
 *
 * Mako's script keeps its last error between calls: once a call failed, later calls load
 * nothing and answer that error again. That is kept, so the answers match (docs/compat.md).
 */
import type { Runtime } from '../app/runtime.js';
import { T_TABLE } from '../vm/lua-vm.js';

const LOADCERTS_LUA = `
local mako = ...
local fmt, type, ipairs, print, tostring, assert = string.format, type, ipairs, print, tostring, assert
-- As in Mako's script, the last error is kept between calls: after a call that failed,
-- nothing is loaded any more and every call answers nil and that error.
local err
-- Mako's rwfile.file / rwfile.json (read side).
local function readfile(xio, name)
  local fp, err = xio:open(name)
  local ret
  if fp then ret = fp:read"*a" fp:close() end
  return ret, err
end
local function readjson(xio, name)
  local ret, err = readfile(xio, name)
  if ret then
    if ret:sub(1, 3) == "\\239\\187\\191" then ret = ret:sub(4) end
    ret = ba.json.decode(ret)
    if not ret then err = "jsonerr" end
  end
  return ret, err
end
local function mkname(path, name) return (fmt("%s/%s", path, name):gsub("//", "/")) end
local function findAndLoad(loadCert, certf, keyf)
  local xio = ba.openio"disk"
  local function find(path)
    if path and xio:stat(mkname(path, certf)) then return path end
  end
  local path = find("") or find(mako.cfgdir) or find(mako.execpath)
  if not path then
    xio = ba.openio"home"
    path = find("")
  end
  local cert
  if path then
    certf = mkname(path, certf)
    if xio:stat(certf) then
      -- As Mako's script: the loader's single result also clears the kept error.
      cert, err = loadCert(xio, certf, keyf and mkname(path, keyf))
      if not cert and keyf then certf = keyf end
    end
  end
  if not cert then print(fmt("Error: %s not found", certf)) end
end
local function mkshark(cf, keys, certs)
  -- certstore: CA certificates the HTTPS listener checks client certificates against.
  local store
  if cf.certstore then
    store = ba.create.certstore()
    local function loadCert(xio, certf)
      local ok
      ok, err = store:addcert(xio, certf)
      print(fmt('Loading store "%s"%s', certf, ok and "" or " failed!"))
      return ok
    end
    if type(cf.certstore) == "table" then
      for _, certf in ipairs(cf.certstore) do
        findAndLoad(loadCert, certf)
        if err then break end
      end
    else
      findAndLoad(loadCert, cf.certstore)
    end
    if err then store = nil end
  end
  local shrk = ba.create.sharkssl(store, {server = true})
  if not err and ((cf.keyfile and cf.certfile) or (keys and certs)) then
    local function loadCert(xio, certf, keyf)
      if not xio:stat(keyf) then return end
      local cert
      cert, err = ba.create.sharkcert(xio, certf, keyf, "sharkssl")
      if not cert then
        -- As Mako: the key file may describe a TPM key instead (JSON with a keyname); so a
        -- key that is not PEM reports "jsonerr", a JSON one without keyname "corrupt".
        local certd = readfile(xio, certf)
        local op
        op, err = readjson(xio, keyf)
        if op and certd then
          if type(op) == "table" and type(op.keyname) == "string" then
            err = "ba.tpm is not supported by this runtime"
          else
            err = "corrupt"
          end
        end
      end
      if cert and not shrk:addcert(cert) then cert = nil end
      print(fmt('Loading certificate "%s"%s', certf, cert and "" or (" failed! " .. tostring(err))))
      return cert
    end
    if cf.keyfile then
      if type(cf.certfile) == "table" then
        for ix, certf in ipairs(cf.certfile) do
          findAndLoad(loadCert, certf, cf.keyfile[ix])
          if err then break end
        end
      else
        findAndLoad(loadCert, cf.certfile, cf.keyfile)
      end
    end
    if keys then
      local hio = ba.openio"home"
      for i, k in ipairs(keys) do loadCert(hio, certs[i], k) end
    end
  else
    err = "No Cert"
  end
  if err then return nil, err end
  return shrk
end
function mako.loadcerts(k, c)
  if k or c then
    assert(type(k) == "table" and type(c) == "table" and type(k[1]) == "string" and type(c[1]) == "string")
  end
  local sh, e = mkshark(require"loadconf".load(), k, c)
  if sh then
    local cg = {shark = sh}
    if ba.slcon then ba.slcon = ba.create.servcon(ba.slcon, cg) end
    if ba.slcon6 then ba.slcon6 = ba.create.servcon(ba.slcon6, cg) end
  end
  return sh, e
end
`;

export function installLoadcerts(rt: Runtime): void {
  const { vm } = rt;
  const L = vm.L;
  if (vm.getGlobal(L, 'mako') !== T_TABLE) {
    vm.pop(L, 1);
    return;
  }
  const err = vm.load(L, LOADCERTS_LUA, '=mako.loadcerts');
  if (err) throw err;
  vm.rotate(L, -2, 1);
  const perr = vm.pcall(L, 1, 0);
  if (perr) throw perr;
}
