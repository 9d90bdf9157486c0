/**
 * More of Mako's request/response methods (the one object is both): `allow`, `forward` in a
 * directory function, `getstatus`, `containsheader`, `encodeurl`, `encoderedirecturl`, `domain`,
 * `initial`, `isforward`, `isinclude`, `valid`, `bytecount`, `writesize`, `checktime`,
 * `datapairs`, `setmaxage`, `setdateheader`, `setdefaultheaders`, `reset`, `clearkeepalive`,
 * `setnodelay`, `downgrade`, `json`, `env` (the command environment). Results as the Mako Server gives them (compat probe
 * request-extra).
 *
 * `forward`, `json`, `sendredirect` and a refused `allow` end the page as Mako does: they raise
 * `nil`, which the page runner takes as the page's end (a `pcall` around them sees `false, nil`).
 */
import { LUA_REGISTRYINDEX, T_STRING, T_TABLE, type LState } from '../vm/lua-vm.js';
import { httpDate, parseHttpDate } from '../http/http-date.js';
import type { LRequest, RequestLib } from './request.js';
import { absoluteUrl } from './request.js';

const EXTRA_LUA = `
local lib, methods = ...
local error, type, pairs, next, setmetatable = error, type, pairs, next, setmetatable
-- allow{"GET", ...}: HEAD and OPTIONS are always allowed; another method is answered 405
-- with the Allow list and the page ends.
function methods.allow(r, list)
  if list ~= nil and type(list) ~= "table" then
    error(("bad argument #2 to '?' (table expected, got %s)"):format(list == nil and "no value" or type(list)), 2)
  end
  if lib.allow(r, list) then return true end
  error(nil, 0)
end
-- forward(path) in a directory function (no page file to resolve against): the request
-- walks the directory tree again at path once the function has ended (it ends here). In a
-- page, the page runner's forward runs.
local pageforward, pageinclude = methods.forward, methods.include
function methods.forward(r, path)
  if pageforward and not lib.indir(r) then
    lib.nest(r, "forwards", 1)
    return pageforward(r, path)
  end
  lib.forward(r, path)
  error(nil, 0)
end
-- include: request:isinclude() is true, depth inside the included page.
-- The depth goes back when the include ends, also by an error, which goes on unchanged (its
-- traceback keeps the included page's lines).
if pageinclude then
  local unnest = { __close = function(t) lib.nest(t[1], "includes", -1) end }
  function methods.include(r, path)
    lib.nest(r, "includes", 1)
    local _ <close> = setmetatable({ r }, unnest)
    return pageinclude(r, path)
  end
end
-- sendredirect(url): once the 302 is set, the page (or directory function) ends here, as on
-- Mako; with the head already sent it answers false and the page goes on.
local sendredirect = methods.sendredirect
function methods.sendredirect(r, url)
  if not sendredirect(r, url) then return false end
  lib.exit(r)
  error(nil, 0)
end
-- json(t): the page's answer is t as JSON (application/json); the page ends here.
local encode = ba.json.encode
function methods.json(r, t)
  if type(t) ~= "table" then
    error(("bad argument #2 to '?' (table expected, got %s)"):format(t == nil and "no value" or type(t)), 2)
  end
  local s = assert(encode(t))
  -- As Mako: the body and the header fields set so far go (the status and cookie objects stay).
  lib.jsonhead(r)
  r:write(s)
  lib.exit(r)
  error(nil, 0)
end
function methods.datapairs(r)
  local t = r:data()
  return next, t, nil
end
`;

export function installRequestExtras(lib: RequestLib, L: LState): void {
  const { vm, args } = lib.ctx;
  const check = (L: LState, fname: string): LRequest => lib.checkRequest(L, 1, fname);
  vm.getField(L, LUA_REGISTRYINDEX, 'BaRequest');
  vm.getField(L, -1, '__index');
  const methodsIdx = vm.top(L);
  const m: Record<string, (L: LState) => number> = {
    getstatus: (L) => {
      vm.pushInteger(L, check(L, 'getstatus').exchange.response.status);
      return 1;
    },
    containsheader: (L) => {
      const r = check(L, 'containsheader');
      const v = r.exchange.response.headers.get(args.checkString(L, 2, 'containsheader'));
      if (v === undefined || v === null) vm.pushBoolean(L, false);
      else vm.pushString(L, v);
      return 1;
    },
    encodeurl: (L) => {
      check(L, 'encodeurl');
      vm.pushString(L, encodeURI(args.checkString(L, 2, 'encodeurl')).replace(/%25([0-9A-Fa-f]{2})/g, '%$1'));
      return 1;
    },
    encoderedirecturl: (L) => {
      const r = check(L, 'encoderedirecturl');
      vm.pushString(L, absoluteUrl(r.exchange, args.checkString(L, 2, 'encoderedirecturl')));
      return 1;
    },
    domain: (L) => {
      const r = check(L, 'domain');
      const host = r.exchange.head.headers.get('host');
      if (!host) return 0;
      vm.pushString(L, host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.replace(/:\d*$/, ''));
      return 1;
    },
    initial: (L) => {
      const r = check(L, 'initial');
      vm.pushBoolean(L, r.forwards === 0 && r.includes === 0);
      return 1;
    },
    isforward: (L) => {
      const r = check(L, 'isforward');
      vm.pushBoolean(L, r.forwards > 0);
      vm.pushInteger(L, r.forwards);
      return 2;
    },
    isinclude: (L) => {
      const r = check(L, 'isinclude');
      vm.pushBoolean(L, r.includes > 0);
      vm.pushInteger(L, r.includes);
      return 2;
    },
    valid: (L) => {
      const r = lib.toRequest(L, 1);
      vm.pushBoolean(L, !!r && r.live && !r.taken && !r.exchange.response.finished);
      return 1;
    },
    bytecount: (L) => {
      const res = check(L, 'bytecount').exchange.response;
      vm.pushInteger(L, res.bodyBytesSent + res.bufferedBytes);
      return 1;
    },
    writesize: (L) => {
      vm.pushInteger(L, check(L, 'writesize').exchange.response.bufferedBytes);
      return 1;
    },
    // checktime(t): false (and 304) when the client's copy (If-Modified-Since) is not older
    // than t; else true with Last-Modified: t.
    checktime: (L) => {
      const r = check(L, 'checktime');
      const t = args.checkInteger(L, 2, 'checktime');
      const res = r.exchange.response;
      const ims = r.exchange.head.headers.get('if-modified-since');
      const since = ims ? parseHttpDate(ims) : null;
      if (since !== null && since !== undefined && t * 1000 <= since) {
        res.setStatus(304);
        vm.pushBoolean(L, false);
        return 1;
      }
      res.setHeader('Last-Modified', httpDate(new Date(t * 1000)));
      vm.pushBoolean(L, true);
      return 1;
    },
    setmaxage: (L) => {
      const r = check(L, 'setmaxage');
      vm.pushBoolean(L, r.exchange.response.setHeader('Cache-Control', `max-age=${Math.max(0, args.checkInteger(L, 2, 'setmaxage'))}`));
      return 1;
    },
    setdateheader: (L) => {
      const r = check(L, 'setdateheader');
      const name = args.checkString(L, 2, 'setdateheader');
      const t = args.checkInteger(L, 3, 'setdateheader');
      vm.pushBoolean(L, r.exchange.response.setHeader(name, httpDate(new Date(t * 1000))));
      return 1;
    },
    // Mako's page defaults: HTML, never cached.
    setdefaultheaders: (L) => {
      const res = check(L, 'setdefaultheaders').exchange.response;
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      vm.pushBoolean(L, res.setHeader('Cache-Control', 'no-store, no-cache, must-revalidate, max-age=0'));
      return 1;
    },
    // reset(): drops unsent output; with "buffer" only the body, else the status and headers too.
    reset: (L) => {
      const r = check(L, 'reset');
      const res = r.exchange.response;
      res.discard();
      if (res.headersSent) {
        vm.pushBoolean(L, false);
        return 1;
      }
      if (!(vm.type(L, 2) === T_STRING && vm.toStr(L, 2) === 'buffer')) {
        res.setStatus(200);
        for (const name of [...res.headers].map(([k]) => k)) res.headers.delete(name);
      }
      vm.pushBoolean(L, true);
      return 1;
    },
    clearkeepalive: (L) => {
      const res = check(L, 'clearkeepalive').exchange.response;
      res.setHeader('Connection', 'close');
      return 0;
    },
    setnodelay: (L) => {
      const r = check(L, 'setnodelay');
      const so = r.exchange.socket as { setNoDelay?: (on: boolean) => void };
      so.setNoDelay?.(vm.toBoolean(L, 2));
      return 0;
    },
    downgrade: (L) => {
      check(L, 'downgrade');
      return 0;
    },
    // env(): the command environment, the _ENV every page and callback of this request shares
    // (the first page's; made here with request, response, print, _emit when none exists yet).
    env: (L) => {
      const r = check(L, 'env');
      if (!r.cmdEnvRef) {
        vm.newTable(L);
        const env = vm.top(L);
        vm.pushValue(L, 1);
        vm.setField(L, env, 'request');
        vm.pushValue(L, 1);
        vm.setField(L, env, 'response');
        lib.pushPrint(L, 1);
        vm.setField(L, env, 'print');
        lib.pushEmit(L, 1);
        vm.setField(L, env, '_emit');
        vm.newTable(L);
        vm.pushGlobals(L);
        vm.setField(L, -2, '__index');
        vm.setMetatable(L, env);
        r.cmdEnvRef = vm.ref(L);
      }
      vm.pushRef(L, r.cmdEnvRef);
      return 1;
    },
  };
  for (const [name, fn] of Object.entries(m)) vm.setHost(L, methodsIdx, name, fn);

  const err = vm.load(L, EXTRA_LUA, '=request');
  if (err) throw err;
  vm.newTable(L);
  vm.setHost(L, -1, 'allow', (L) => {
    const r = check(L, 'allow');
    const method = r.exchange.head.method;
    const allowed = new Set(['HEAD', 'OPTIONS']);
    if (vm.type(L, 2) === T_TABLE) {
      for (let i = 1; ; i++) {
        vm.rawGetI(L, 2, i);
        const v = vm.toStr(L, -1);
        vm.pop(L, 1);
        if (v === null) break;
        allowed.add(v);
      }
    }
    if (allowed.has(method)) {
      vm.pushBoolean(L, true);
      return 1;
    }
    const list = [...allowed].sort().join(', ');
    r.exchange.response.sendError(405, list, [['Allow', list]]);
    r.exited = true;
    vm.pushBoolean(L, false);
    return 1;
  });
  vm.setHost(L, -1, 'forward', (L) => {
    const r = check(L, 'forward');
    const path = args.checkString(L, 2, 'forward');
    if (r.exchange.response.headersSent) throw new Error('forward: the response is committed');
    r.forwardTo = path;
    r.exited = true;
    return 0;
  });
  vm.setHost(L, -1, 'nest', (L) => {
    const r = lib.toRequest(L, 1);
    const by = vm.toInteger(L, 3) ?? 0;
    if (r && vm.toStr(L, 2) === 'includes') r.includes += by;
    else if (r) r.forwards += by;
    return 0;
  });
  vm.setHost(L, -1, 'jsonhead', (L) => {
    const res = check(L, 'json').exchange.response;
    res.discard();
    if (!res.headersSent) {
      // Cookie objects (the session's too) are not header fields: they still go out, as in Mako.
      res.headers.clear();
      res.setHeader('Content-Type', 'application/json');
      res.setHeader('Cache-Control', 'no-store, no-cache, must-revalidate, max-age=0');
    }
    return 0;
  });
  vm.setHost(L, -1, 'exit', (L) => {
    check(L, 'json').exited = true;
    return 0;
  });
  vm.setHost(L, -1, 'indir', (L) => {
    vm.pushBoolean(L, check(L, 'forward').inDirFunction);
    return 1;
  });
  vm.pushValue(L, methodsIdx);
  const perr = vm.pcall(L, 2, 0);
  if (perr) throw perr;
  vm.pop(L, 2);
}
