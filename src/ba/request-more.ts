/**
 * The rest of Mako's request/response methods (the one object is both): `deferred`,
 * `getdata`, `send`, `setresponse`, `setbasic`, `setdigest`, `redirect`, `redirect2tls`,
 * `cipher`, `certificate`, `clientcert`. Results as the Mako Server gives them (compat probe
 * request-more; the TLS ones in test/integration/request-more.test.ts).
 *
 * `redirect` and `redirect2tls` (when it answers) end the page as `forward` does: they raise
 * `nil`, which the page runner takes as the page's end.
 */
import { deflateRawSync } from 'node:zlib';
import { LUA_REGISTRYINDEX, T_NIL, T_NONE, type LState } from '../vm/lua-vm.js';
import { tlsInfo } from '../net/tls-socket.js';
import { AsyncResponse, type AsyncResponseLib } from './async-response.js';
import { challenge, DigestNonces } from './auth-core.js';
import { pushPeerCertificate } from './tls.js';
import type { LRequest, RequestLib } from './request.js';
import { LUA_ARGERR } from './lua-argerr.js';
import { LuaRaise } from '../vm/lua-error.js';

const MORE_LUA = `
local lib, methods = ...
local error, setmetatable, select, type, tostring = error, setmetatable, select, type, tostring
${LUA_ARGERR}
-- redirect(path): the request is served again from path (any resource, not only a page)
-- once the page has ended; the page ends here.
function methods.redirect(r, ...)
  local path = ...
  if type(path) == "number" then path = tostring(path) end
  if type(path) ~= "string" then
    argerr(2, "string expected, got " .. (select("#", ...) == 0 and "no value" or type(path)))
  end
  lib.redirect(r, path)
  error(nil, 0)
end
-- redirect2tls(): false on a secure connection; else the client is sent to https (or 403)
-- and the page ends.
function methods.redirect2tls(r)
  if lib.redirect2tls(r) then error(nil, 0) end
  return false
end
-- setresponse(): the page's output is collected from here on; finalize(true) sends it
-- deflate-compressed with a Content-Length, finalize() as it is; abort() drops it. Closing
-- or collecting the object finalizes with compression, as Mako does.
local RB = {}
RB.__index = RB
RB.__name = "RESPONSEBUF"
function RB:finalize(deflate)
  if self.done then lib.committed() return nil end
  self.done = true
  return lib.finalize(self.r, deflate and true or false)
end
function RB:abort()
  if self.done then return nil end
  self.done = true
  lib.rbabort(self.r)
  return true
end
function RB.__close(self)
  if not self.done then self:finalize(true) end
end
RB.__gc = RB.__close
function methods.setresponse(r)
  if not lib.rbstart(r) then return nil end
  return setmetatable({r = r}, RB)
end
`;

const COMMITTED = 'setResponseBuf: E_IS_COMMITTED\n';
const MIXING = 'send: E_MIXING_WRITE_SEND\n';

export function installRequestMore(lib: RequestLib, responses: AsyncResponseLib, L: LState): void {
  const { vm, args } = lib.ctx;
  const nonces = new DigestNonces();
  const check = (L: LState, fname: string): LRequest => lib.checkRequest(L, 1, fname);
  /** The request's output, or null once it cannot take any (taken over, ended). */
  const out = (L: LState, fname: string): LRequest | null => {
    const r = check(L, fname);
    return r.live && !r.taken ? r : null;
  };
  const tls = (r: LRequest): ReturnType<typeof tlsInfo> => tlsInfo(r.exchange.socket);
  const sslNotEnabled = (L: LState): number => {
    vm.pushNil(L);
    vm.pushString(L, 'sslnotenabled');
    return 2;
  };
  const challengeFn = (kind: 'basic' | 'digest') => (L: LState) => {
    const fname = kind === 'basic' ? 'setbasic' : 'setdigest';
    const realm = args.checkString(L, 2, fname);
    if (!args.isNoneOrNil(L, 3)) args.checkString(L, 3, fname);
    const r = out(L, fname);
    const res = r?.exchange.response;
    if (!res || res.headersSent) return 0;
    res.setStatus(401);
    res.setHeader('WWW-Authenticate', challenge(kind, realm, kind === 'digest' ? nonces.make() : ''));
    return 0;
  };

  vm.getField(L, LUA_REGISTRYINDEX, 'BaRequest');
  vm.getField(L, -1, '__index');
  const methodsIdx = vm.top(L);
  const m: Record<string, (L: LState) => number> = {
    // deferred(): the response outlives the page (BAS's asynchronous response). It starts
    // bare: what the page set or wrote before is dropped, as in Mako; the page's later output
    // goes nowhere. The connection goes on once the deferred response is closed.
    deferred: (L) => {
      const r = out(L, 'deferred');
      if (!r) {
        vm.pushNil(L);
        return 1;
      }
      const ex = r.exchange;
      const res = ex.response;
      if (!res.headersSent) {
        res.discard();
        res.headers.clear();
      }
      res.streamOnEnd = true;
      let release: () => void = () => {};
      r.taken = true;
      r.hold = new Promise<void>((resolve) => (release = resolve));
      responses.push(L, new AsyncResponse(ex, release));
      return 1;
    },
    // getdata(): the output written and not yet sent (nil while setresponse collects it).
    getdata: (L) => {
      const res = check(L, 'getdata').exchange.response;
      if (res.collect) vm.pushNil(L);
      else vm.pushBytes(L, res.pendingData());
      return 1;
    },
    // send(data): the head goes out without chunked framing, then data, unbuffered; an error
    // while written output waits in the buffer.
    send: (L) => {
      const t = vm.type(L, 2);
      const data = t === T_NIL || t === T_NONE ? Buffer.alloc(0) : args.checkBytes(L, 2, 'send');
      const r = out(L, 'send');
      // As Mako: not while written output waits in the buffer (Mako traces the refusal too).
      if (r && r.exchange.response.bufferedBytes > 0) {
        lib.ctx.log.write(MIXING);
        throw new LuaRaise('Error mixingwritesend');
      }
      vm.pushBoolean(L, r ? r.exchange.response.sendRaw(data) : false);
      return 1;
    },
    setbasic: challengeFn('basic'),
    setdigest: challengeFn('digest'),
    cipher: (L) => {
      const info = tls(check(L, 'cipher'));
      if (!info) return sslNotEnabled(L);
      const [name, proto] = info.cipher ?? ['UNKNOWN', 'TLS_1_2'];
      vm.pushString(L, name);
      vm.pushString(L, proto);
      return 2;
    },
    // certificate(): the client's certificate table and whether it is trusted; nil, false
    // when the client sent none.
    certificate: (L) => {
      const info = tls(check(L, 'certificate'));
      if (!info) return sslNotEnabled(L);
      if (!pushPeerCertificate(vm, L, info)) vm.pushNil(L);
      vm.pushBoolean(L, info.chain.length > 0 && info.verifyError === null);
      return 2;
    },
    // clientcert(): true on a TLS connection (Mako answers true there without a client
    // certificate too), false on plain HTTP.
    clientcert: (L) => {
      vm.pushBoolean(L, tls(check(L, 'clientcert')) !== null);
      return 1;
    },
  };
  for (const [name, fn] of Object.entries(m)) vm.setHost(L, methodsIdx, name, fn);

  const err = vm.load(L, MORE_LUA, '=request');
  if (err) throw err;
  vm.newTable(L);
  vm.setHost(L, -1, 'redirect', (L) => {
    const r = check(L, 'redirect');
    const path = args.checkString(L, 2, 'redirect');
    if (r.exchange.response.headersSent) throw new Error('redirect: the response is committed');
    r.forwardTo = path;
    r.forwardIsRedirect = true;
    r.exited = true;
    return 0;
  });
  vm.setHost(L, -1, 'redirect2tls', (L) => {
    const r = check(L, 'redirect2tls');
    const ex = r.exchange;
    if (ex.secure) {
      vm.pushBoolean(L, false);
      return 1;
    }
    const res = ex.response;
    const host = ex.head.headers.get('host') ?? '';
    r.exited = true;
    if (!res.headersSent) {
      // Mako knows the HTTPS address only when the client used the default port (no port in
      // Host): https://host/path; otherwise it refuses the plain request.
      if (host && !/:\d*$/.test(host.replace(/^\[[^\]]*\]/, ''))) {
        res.discard();
        res.streamOnEnd = false;
        res.setStatus(301);
        res.setHeader('Location', `https://${host}${ex.head.path}`);
        res.setHeader('Content-Length', '0');
        res.end();
      } else {
        res.sendError(403, 'a secure connection is required');
      }
    }
    vm.pushBoolean(L, true);
    return 1;
  });
  vm.setHost(L, -1, 'rbstart', (L) => {
    const r = out(L, 'setresponse');
    const res = r?.exchange.response;
    if (!res || res.headersSent || res.collect) {
      // Mako's console line for a response buffer it cannot set up.
      lib.ctx.log.write(COMMITTED);
      vm.pushBoolean(L, false);
      return 1;
    }
    res.discard();
    res.headers.clear();
    res.collect = true;
    vm.pushBoolean(L, true);
    return 1;
  });
  vm.setHost(L, -1, 'finalize', (L) => {
    const r = lib.toRequest(L, 1);
    const res = r && r.live && !r.taken ? r.exchange.response : null;
    if (!res || !res.collect) {
      vm.pushNil(L);
      return 1;
    }
    res.collect = false;
    if (!vm.toBoolean(L, 2)) {
      vm.pushString(L, '');
      return 1;
    }
    const z = deflateRawSync(res.pendingData());
    res.discard();
    res.setHeader('Content-Encoding', 'deflate');
    res.setHeader('Content-Length', String(z.length));
    res.write(z);
    res.flush();
    vm.pushBoolean(L, true);
    return 1;
  });
  vm.setHost(L, -1, 'committed', () => {
    lib.ctx.log.write(COMMITTED);
    return 0;
  });
  vm.setHost(L, -1, 'rbabort', (L) => {
    const r = lib.toRequest(L, 1);
    if (r && r.live) {
      r.exchange.response.collect = false;
      r.exchange.response.discard();
    }
    return 0;
  });
  vm.pushValue(L, methodsIdx);
  const perr = vm.pcall(L, 2, 0);
  if (perr) throw perr;
  vm.pop(L, 2);
}
