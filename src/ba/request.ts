/**
 * The LSP `request`/`response` object: one userdata per page request, the same
 * object under both names, with BAS's method names. The HTTP side (parsing, framing) is
 * src/http's; this file is only what Lua sees of it. The page runner (src/server/lsp-pages.ts)
 * creates one per request with `RequestLib.create` and releases it when the page ends.
 */
import type { HttpExchange } from '../http/http-connection.js';
import { isCookieName, type ResponseCookie } from '../http/cookies.js';
import { LuaRaise } from '../vm/lua-error.js';
import { LUA_REGISTRYINDEX, T_NUMBER, T_STRING, type LState } from '../vm/lua-vm.js';
import { Wait } from '../sched/waiter.js';
import { HandleTable, HandleTag } from '../vm/handles.js';
import { pushRecord } from '../vm/lua-values.js';
import { mpNext, mpStart, readStream } from './request-body.js';
import { addrOf } from '../net/sock-addr.js';
import type { BaContext } from './context.js';
import { LRequest, originOf, type RequestAuth } from './request-object.js';
import { LUA_ARGERR } from './lua-argerr.js';

export { LRequest, originOf, type PageStopper, type RequestAuth } from './request-object.js';

/** lua_upvalueindex(1): the request userdata bound to a page's `print` and `_emit`. */
const UPVALUE_1 = LUA_REGISTRYINDEX - 1;
const UPVALUE_2 = LUA_REGISTRYINDEX - 2;
const UPVALUE_3 = LUA_REGISTRYINDEX - 3;
/** request:rawrdr()'s piece size when none is given (LUAL_BUFFERSIZE on 64-bit builds). */
const RAWRDR_DEFAULT = 1024;

const MULTIPART_LUA = `local mpstart, mpnext = ...
local select, type, error = select, type, error
${LUA_ARGERR}
return function(request, ...)
  local cbs, size = ...
  if type(cbs) ~= "table" then
    argerr(2, "table expected, got " .. (select("#", ...) == 0 and "no value" or type(cbs)))
  end
  mpstart(request, cbs, size)
  local formdata, beginfile, filedata, endmp, onerror = cbs.formdata, cbs.beginfile, cbs.filedata, cbs.endmp, cbs.error
  while true do
    local ev, a, b, c = mpnext(request)
    if ev == "field" then
      if formdata then formdata(a, b) end
    elseif ev == "file" then
      if beginfile then beginfile(a, b, c, nil) end
    elseif ev == "data" then
      if filedata then filedata(a) end
    elseif ev == "fileend" then
      if filedata then filedata("") end
    elseif ev == "end" then
      if endmp then endmp() end
      return true
    else
      if onerror then onerror(a) end
      return nil, a
    end
  end
end`;

/** Bytes a page may have queued on its connection before response:write waits (see drain). */
const OUT_HIGH_WATER = 256 * 1024;

/** Mako's sendredirect: 302, the Location, no body; the header fields set before stay. */
function redirect(exchange: HttpExchange, location: string): boolean {
  const res = exchange.response;
  if (res.headersSent) return false;
  res.discard();
  res.streamOnEnd = false;
  res.setStatus(302);
  res.setHeader('Location', location);
  res.setHeader('Content-Length', '0');
  res.end();
  return true;
}

/** `url` resolved against the request's URL (absolute URLs are kept as they are). */
export function absoluteUrl(exchange: HttpExchange, url: string): string {
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(url)) return url;
  try {
    return new URL(url, originOf(exchange) + exchange.head.path).href;
  } catch {
    return url;
  }
}


/**
 * Lua half of the cookie objects (BAS's methods): userdata that name their request, each
 * mapped (weakly) to its place in the response's cookie list, where the state lives
 * (src/http/cookies.ts). A method without an argument reads the field, with one sets it.
 * Each request:cookie()/createcookie() call gives a new object, as in BAS.
 */
const REQUEST_LUA = `
local methods, C, newud, cfind, cmake, cget, cset = ...
local type, select, tostring, tonumber, tointeger, setmetatable = type, select, tostring, tonumber, math.tointeger, setmetatable
${LUA_ARGERR}
C.__index = C
local state = setmetatable({}, { __mode = "k" })
local function bad(self) return "COOKIE expected, got " .. (self == nil and "no value" or type(self)) end
local function newcookie(r, i)
  local c = newud(r)
  state[c] = i
  return c
end
for _, f in ipairs{ "value", "path", "domain", "comment" } do
  C[f] = function(self, ...)
    local s = state[self] or argerr(1, bad(self))
    if select("#", ...) == 0 then return cget(self, s, f) end
    local v = ...
    local t = type(v)
    if t == "number" then v = tostring(v) elseif t ~= "string" then argerr(2, "string expected, got " .. t) end
    cset(self, s, f, v)
  end
end
for _, f in ipairs{ "secure", "httponly" } do
  C[f] = function(self, ...)
    local s = state[self] or argerr(1, bad(self))
    if select("#", ...) == 0 then return cget(self, s, f) end
    cset(self, s, f, (...) and true or false)
  end
end
function C.maxage(self, ...)
  local s = state[self] or argerr(1, bad(self))
  if select("#", ...) == 0 then return cget(self, s, "maxage") end
  local v = ...
  local t = type(v)
  local n = (t == "number" or t == "string") and tonumber(v) or nil
  if n == nil then argerr(2, "number expected, got " .. t) end
  n = tointeger(n) or argerr(2, "number has no integer representation")
  cset(self, s, "maxage", n)
end
function C.name(self)
  local s = state[self] or argerr(1, bad(self))
  return cget(self, s, "name")
end
function C.activate(self)
  local s = state[self] or argerr(1, bad(self))
  cset(self, s, "activate")
end
function C.delete(self)
  local s = state[self] or argerr(1, bad(self))
  cset(self, s, "delete")
end
function methods.cookie(self, ...)
  local name = ...
  local t = type(name)
  if t == "number" then name = tostring(name)
  elseif t ~= "string" then argerr(2, "string expected, got " .. (select("#", ...) == 0 and "no value" or t)) end
  local i = cfind(self, name)
  if i then return newcookie(self, i) end
  return nil
end
function methods.createcookie(self, ...)
  local name = ...
  local t = type(name)
  if t == "number" then name = tostring(name)
  elseif t ~= "string" then argerr(2, "string expected, got " .. (select("#", ...) == 0 and "no value" or t)) end
  -- BAS takes any name as it is; one with a control character cannot go into a header.
  if name:find("[%z\\1-\\8\\10-\\31\\127]") then argerr(2, "invalid cookie name") end
  return newcookie(self, cmake(self, name))
end
`;


export class RequestLib {
  /** Live requests; a request userdata kept after its page ended never reaches a newer one. */
  private readonly live: HandleTable<LRequest>;
  /** Registry ref of the methods table (the auth library adds login, logout, user, session). */
  private methodsRef = 0;
  /** Host function pointers for a page's print and _emit (bound to a request by upvalue). */
  private emitFp = 0;
  private printFp = 0;
  private rawrdrFp = 0;

  constructor(readonly ctx: BaContext) {
    this.live = new HandleTable(ctx.vm, HandleTag.request, { reuseIds: false });
  }

  install(L: LState): void {
    const { vm } = this.ctx;
    vm.newMetatable(L, 'BaRequest');
    vm.newTable(L);
    for (const [name, fn] of Object.entries(this.methods())) vm.setHost(L, -1, name, fn);
    vm.pushValue(L, -1);
    vm.setField(L, -3, '__index');
    vm.setHost(L, -2, '__tostring', (L) => {
      const r = this.toRequest(L, 1);
      vm.pushString(L, r ? `[request ${r.exchange.head.method} ${r.exchange.head.path}]` : '[request (ended)]');
      return 1;
    });
    vm.pushValue(L, -2);
    this.live.mtRef = vm.ref(L);
    const methodsIdx = vm.top(L);
    vm.pushValue(L, methodsIdx);
    this.methodsRef = vm.ref(L);

    // Cookie objects: Mako's metatable name (its argument errors say "COOKIE expected").
    vm.newMetatable(L, 'COOKIE');
    const cookieMtIdx = vm.top(L);
    vm.pushValue(L, cookieMtIdx);
    const cookieMtRef = vm.ref(L);
    const err = vm.load(L, REQUEST_LUA, '=request');
    if (err) throw err;
    vm.pushValue(L, methodsIdx);
    vm.pushValue(L, cookieMtIdx);
    // A cookie's block is its request's handle (the request's id: a cookie kept past its page
    // finds no request) with the cookie metatable; the Lua half keeps its place in the list.
    vm.pushHost(L, 'newud', (L) => {
      const r = this.checkRequest(L, 1, 'cookie');
      this.live.push(L, r.id, cookieMtRef);
      return 1;
    });
    vm.pushHost(L, 'cookie', (L) => {
      const r = this.checkRequest(L, 1, 'cookie');
      const i = r.exchange.response.cookies().received(r.exchange.head.headers.getAll('cookie')[0], this.bytes(L, 2));
      if (i < 0) vm.pushNil(L);
      else vm.pushInteger(L, i);
      return 1;
    });
    vm.pushHost(L, 'createcookie', (L) => {
      const r = this.checkRequest(L, 1, 'createcookie');
      const name = this.bytes(L, 2);
      if (!isCookieName(name)) throw new LuaRaise('createcookie: invalid cookie name');
      vm.pushInteger(L, r.exchange.response.cookies().create(name));
      return 1;
    });
    vm.pushHost(L, 'cookieget', (L) => {
      const c = this.cookieAt(L);
      switch (this.bytes(L, 3)) {
        case 'name':
          this.pushLatin1(L, c.name);
          break;
        case 'value':
          this.pushLatin1(L, c.value);
          break;
        case 'path':
          this.pushLatin1(L, c.path);
          break;
        case 'domain':
          this.pushLatin1(L, c.domain);
          break;
        case 'comment':
          this.pushLatin1(L, c.comment);
          break;
        case 'maxage':
          vm.pushInteger(L, c.maxAge);
          break;
        case 'secure':
          vm.pushBoolean(L, c.secure);
          break;
        default:
          vm.pushBoolean(L, c.httpOnly);
      }
      return 1;
    });
    vm.pushHost(L, 'cookieset', (L) => {
      const c = this.cookieAt(L);
      switch (this.bytes(L, 3)) {
        case 'value':
          c.value = this.bytes(L, 4);
          break;
        case 'path':
          c.path = this.bytes(L, 4);
          break;
        case 'domain':
          c.domain = this.bytes(L, 4);
          break;
        case 'comment':
          c.comment = this.bytes(L, 4);
          break;
        case 'maxage':
          c.setMaxAge(vm.toInteger(L, 4) ?? 0);
          break;
        case 'secure':
          c.secure = vm.toBoolean(L, 4);
          break;
        case 'httponly':
          c.httpOnly = vm.toBoolean(L, 4);
          break;
        case 'activate':
          c.active = true;
          break;
        default: // delete
          c.deleted = true;
      }
      return 0;
    });
    const perr = vm.pcall(L, 7, 0);
    if (perr) throw perr;
    // request:multipart(callbacks [, size]) is Lua calling the page's callbacks, on two host
    // functions: mpstart checks and sets up, mpnext hands out the next event (waiting for body).
    const merr = vm.load(L, MULTIPART_LUA, '=multipart');
    if (merr) throw merr;
    vm.pushHost(L, 'multipart', (L) => mpStart(this.ctx, L, this.checkRequest(L, 1, 'multipart')));
    vm.pushHost(L, 'multipart', (L) => mpNext(this.ctx, L, this.checkRequest(L, 1, 'multipart')));
    const mperr = vm.pcall(L, 2, 1);
    if (mperr) throw mperr;
    vm.setField(L, methodsIdx, 'multipart');
    vm.settop(L, methodsIdx - 2);

    this.emitFp = vm.hostFunction('_emit', (L) => {
      const r = this.boundRequest(L);
      if (!r) return 0;
      const b = this.ctx.dataBytes(L, 1);
      if (b) r.exchange.response.write(b);
      else if (vm.type(L, 1) !== 0 && vm.type(L, 1) !== -1) this.ctx.args.typeError(L, 1, '_emit', 'string');
      return this.drain(L, r);
    });
    // The reader request:rawrdr() returns: upvalue 1 the request, 2 the largest piece, 3 the
    // reader's number. Each reader has its own position: two readers both see the whole body.
    this.rawrdrFp = vm.hostFunction('rawrdr', (L) => {
      const r = this.toRequest(L, UPVALUE_1);
      if (!r || r.taken) {
        vm.pushNil(L);
        return 1;
      }
      const size = vm.toInteger(L, UPVALUE_2) ?? RAWRDR_DEFAULT;
      const stream = r.exchange.bodyStream;
      const id = vm.toInteger(L, UPVALUE_3) ?? 0;
      if (stream) return readStream(this.ctx, L, r, stream, size, id);
      const body = r.exchange.body;
      const pos = r.readers[id] ?? body.length;
      if (pos >= body.length) {
        vm.pushNil(L);
        return 1;
      }
      const n = Math.min(size, body.length - pos);
      vm.pushBytesFrom(L, body, pos, pos + n);
      r.readers[id] = pos + n;
      return 1;
    });
    this.printFp = vm.hostFunction('print', (L) => {
      const r = this.boundRequest(L);
      if (!r) return 0;
      const n = vm.top(L);
      const parts: Buffer[] = [];
      for (let i = 1; i <= n; i++) {
        if (i > 1) parts.push(TAB);
        parts.push(this.displayBytes(L, i));
      }
      parts.push(NL);
      r.exchange.response.write(Buffer.concat(parts));
      return this.drain(L, r);
    });
  }

  /** Pushes the request methods table. */
  pushMethods(L: LState): void {
    this.ctx.vm.pushRef(L, this.methodsRef);
  }

  /** Creates the request object for an exchange (not yet pushed). */
  create(exchange: HttpExchange, auth: RequestAuth | null): LRequest {
    return this.live.create((id) => new LRequest(id, exchange, auth));
  }

  /** The page ended: the Lua object no longer reaches the exchange. */
  release(r: LRequest): void {
    r.live = false;
    this.live.release(r.id, r);
    if (r.cmdEnvRef) {
      this.ctx.vm.unref(r.cmdEnvRef);
      r.cmdEnvRef = 0;
    }
  }

  push(L: LState, r: LRequest): void {
    this.live.push(L, r.id);
  }

  /** Pushes the page's `_emit` and `print` bound to the request userdata at `reqIdx`. */
  pushEmit(L: LState, reqIdx: number): void {
    this.ctx.vm.pushValue(L, reqIdx);
    this.ctx.vm.pushFunction(L, this.emitFp, 1);
  }

  pushPrint(L: LState, reqIdx: number): void {
    this.ctx.vm.pushValue(L, reqIdx);
    this.ctx.vm.pushFunction(L, this.printFp, 1);
  }

  /**
   * The one back-pressure rule for page output (issue 14): after a write, when the
   * connection's send queue holds more than OUT_HIGH_WATER bytes (the client reads slower
   * than the page writes, or not at all), the page waits until the queue drains or the
   * connection closes. Where Lua cannot wait (inside a C-call boundary) the write is not held
   * back. A client that takes nothing for `idletimeout` is dropped (http-connection.ts).
   */
  private drain(L: LState, r: LRequest, count?: number): number {
    const vm = this.ctx.vm;
    const ex = r.exchange;
    if (r.taken || ex.closed || ex.queued <= OUT_HIGH_WATER) {
      // The usual case, without a closure.
      if (count === undefined) return 0;
      vm.pushInteger(L, count);
      return 1;
    }
    const result = (L: LState): number => {
      if (count === undefined) return 0;
      vm.pushInteger(L, count);
      return 1;
    };
    const sched = this.ctx.sched;
    const task = sched.current;
    if (!task || task.done || !vm.isYieldable(L)) return result(L);
    const w = new Wait('write', task);
    const done = (): void => {
      w.complete(result);
    };
    w.onAbort = () => {
      ex.removeDrainWaiter(done);
    };
    ex.whenDrained(done);
    return sched.suspend(L, w, 'write');
  }

  /** The live request at stack index i, or null (not a request, or its page has ended). */
  toRequest(L: LState, i: number): LRequest | null {
    return this.live.at(L, i);
  }

  /** True when the value at i is a request object, live or not. */
  isRequest(L: LState, i: number): boolean {
    return this.live.is(L, i);
  }

  checkRequest(L: LState, i: number, fname: string): LRequest {
    const r = this.toRequest(L, i);
    if (r) return r;
    if (this.isRequest(L, i)) throw new LuaRaise(`${fname}: the request has ended`);
    this.ctx.args.typeError(L, i, fname, 'request');
  }

  /**
   * A string argument as a byte string (one char per byte), read straight from the Lua string
   * (checkBytes copies it into a Buffer first): setcontenttype and setheader run on most pages.
   */
  private latin1Arg(L: LState, n: number, fname: string): string {
    const v = this.ctx.vm.viewBytes(L, n);
    if (v === null) this.ctx.args.typeError(L, n, fname, 'string');
    return latin1Slice.call(v, 0, v.length);
  }

  private boundRequest(L: LState): LRequest | null {
    const r = this.toRequest(L, UPVALUE_1);
    return r && r.live && !r.taken ? r : null;
  }

  private bytes(L: LState, i: number): string {
    const b = this.ctx.vm.toBytes(L, i);
    return b ? b.toString('latin1') : '';
  }

  /** tostring(v) as bytes (metamethods included). */
  private displayBytes(L: LState, i: number): Buffer {
    const vm = this.ctx.vm;
    const t = vm.type(L, i);
    if (t === T_STRING || t === T_NUMBER) return vm.toBytes(L, i)!;
    vm.pushToString(L, i);
    const b = vm.toBytes(L, -1) ?? Buffer.alloc(0);
    vm.pop(L, 1);
    return b;
  }

  /** The cookie of a cookie object's method call: (request, index, ...) on the stack. */
  private cookieAt(L: LState): ResponseCookie {
    const r = this.toRequest(L, 1);
    // BAS reads freed memory here; remora says why it cannot answer.
    if (!r) throw new LuaRaise('cookie: the request has ended');
    return r.exchange.response.cookies().list[this.ctx.vm.toInteger(L, 2) ?? 0];
  }

  /** Sets (or adds) a response field; `name` null: Content-Type (setcontenttype). */
  private header(r: LRequest, name: string | null, value: string, add = false): boolean {
    try {
      const res = r.exchange.response;
      if (name === null) return res.setContentType(value);
      return add ? res.addHeader(name, value) : res.setHeader(name, value);
    } catch (e) {
      throw new LuaRaise(`invalid header: ${(e as Error).message}`);
    }
  }

  private pushLatin1(L: LState, s: string | undefined | null): void {
    if (s === undefined || s === null) this.ctx.vm.pushNil(L);
    else this.ctx.vm.pushBytes(L, Buffer.from(s, 'latin1'));
  }

  private pushAddr(L: LState, r: LRequest, peer: boolean): number {
    const vm = this.ctx.vm;
    const a = addrOf(r.exchange.socket, peer);
    if (!a) {
      vm.pushNil(L);
      return 1;
    }
    vm.pushString(L, a[0]);
    vm.pushInteger(L, a[1]);
    vm.pushBoolean(L, a[2]);
    return 3;
  }

  /** Methods of the request/response object. */
  private methods(): Record<string, (L: LState) => number> {
    const { vm, args } = this.ctx;
    const out = (L: LState, fname: string): LRequest | null => {
      const r = this.checkRequest(L, 1, fname);
      return r.live && !r.taken ? r : null;
    };
    return {
      header: (L) => {
        const r = this.checkRequest(L, 1, 'header');
        const h = r.exchange.head.headers;
        if (args.isNoneOrNil(L, 2)) {
          // No prototype: a field named "__proto__" is a field like any other.
          const fields: Record<string, string> = Object.create(null);
          for (const [name, value] of h.entries()) fields[name] = h.get(name) ?? value;
          pushRecord(vm, L, fields, { latin1: true });
          return 1;
        }
        this.pushLatin1(L, h.get(args.checkString(L, 2, 'header')));
        return 1;
      },
      data: (L) => {
        const r = this.checkRequest(L, 1, 'data');
        const params = r.params;
        if (args.isNoneOrNil(L, 2)) {
          vm.newTable(L);
          for (const [name, value] of params) {
            vm.pushBytes(L, Buffer.from(name, 'latin1'));
            if (vm.rawGet(L, -2) !== 0) {
              vm.pop(L, 1);
              continue; // first value wins, as data(name)
            }
            vm.pop(L, 1);
            vm.pushBytes(L, Buffer.from(name, 'latin1'));
            vm.pushBytes(L, Buffer.from(value, 'latin1'));
            vm.rawSet(L, -3);
          }
          return 1;
        }
        const name = args.checkBytes(L, 2, 'data').toString('latin1');
        this.pushLatin1(L, params.get(name));
        return 1;
      },
      rawrdr: (L) => {
        const r = this.checkRequest(L, 1, 'rawrdr');
        const size = args.optInteger(L, 2, 'rawrdr', RAWRDR_DEFAULT);
        // Mako stops with a fatal error for a size below 1; here it is a Lua error.
        if (size < 1) args.argError(2, 'rawrdr', 'size must be positive');
        // Mako's two refusals, word for word: form data is for request:data(), and a request
        // without a body has nothing to read.
        const head = r.exchange.head;
        if (/^application\/x-www-form-urlencoded\b/i.test(head.headers.get('content-type') ?? '')) throw new LuaRaise('URL encoded data', 0);
        if (head.body.kind === 'none' && head.headers.get('content-length') === undefined) {
          throw new LuaRaise('Missing content-length and not chunk encoding', 0);
        }
        r.readers.push(0);
        vm.pushValue(L, 1);
        vm.pushInteger(L, size);
        vm.pushInteger(L, r.readers.length - 1);
        vm.pushFunction(L, this.rawrdrFp, 3);
        return 1;
      },
      method: (L) => {
        vm.pushString(L, this.checkRequest(L, 1, 'method').exchange.head.method);
        return 1;
      },
      uri: (L) => {
        this.pushLatin1(L, this.checkRequest(L, 1, 'uri').exchange.head.path);
        return 1;
      },
      url: (L) => {
        this.pushLatin1(L, this.checkRequest(L, 1, 'url').url());
        return 1;
      },
      querystring: (L) => {
        this.pushLatin1(L, this.checkRequest(L, 1, 'querystring').exchange.head.query);
        return 1;
      },
      version: (L) => {
        vm.pushString(L, `1.${this.checkRequest(L, 1, 'version').exchange.head.versionMinor}`);
        return 1;
      },
      issecure: (L) => {
        vm.pushBoolean(L, this.checkRequest(L, 1, 'issecure').exchange.secure);
        return 1;
      },
      peername: (L) => this.pushAddr(L, this.checkRequest(L, 1, 'peername'), true),
      sockname: (L) => this.pushAddr(L, this.checkRequest(L, 1, 'sockname'), false),
      setstatus: (L) => {
        const code = args.checkInteger(L, 2, 'setstatus');
        if (code < 100 || code > 999) args.argError(2, 'setstatus', 'invalid status code');
        const r = out(L, 'setstatus');
        vm.pushBoolean(L, r ? r.exchange.response.setStatus(code) : false);
        return 1;
      },
      setheader: (L) => {
        const name = this.latin1Arg(L, 2, 'setheader');
        const value = this.latin1Arg(L, 3, 'setheader');
        const r = out(L, 'setheader');
        vm.pushBoolean(L, r ? this.header(r, name, value) : false);
        return 1;
      },
      setcontenttype: (L) => {
        const type = this.latin1Arg(L, 2, 'setcontenttype');
        const r = out(L, 'setcontenttype');
        vm.pushBoolean(L, r ? this.header(r, null, type) : false);
        return 1;
      },
      setcontentlength: (L) => {
        const n = args.checkInteger(L, 2, 'setcontentlength');
        if (n < 0) args.argError(2, 'setcontentlength', 'negative length');
        const r = out(L, 'setcontentlength');
        vm.pushBoolean(L, r ? this.header(r, 'Content-Length', String(n)) : false);
        return 1;
      },
      write: (L) => {
        const r = out(L, 'write');
        if (!r) return 0;
        const n = vm.top(L);
        let bytes = 0;
        for (let i = 2; i <= n; i++) {
          const b = this.ctx.dataBytes(L, i) ?? this.displayBytes(L, i);
          r.exchange.response.write(b);
          bytes += b.length;
        }
        // Mako answers the number of bytes written.
        return this.drain(L, r, bytes);
      },
      flush: (L) => {
        const r = out(L, 'flush');
        if (!r) return 0;
        r.exchange.response.flush();
        return this.drain(L, r);
      },
      committed: (L) => {
        const r = this.checkRequest(L, 1, 'committed');
        vm.pushBoolean(L, r.taken || r.exchange.response.headersSent);
        return 1;
      },
      senderror: (L) => {
        const code = args.checkInteger(L, 2, 'senderror');
        if (code < 100 || code > 999) args.argError(2, 'senderror', 'invalid status code');
        const msg = vm.type(L, 3) === T_STRING ? vm.toStr(L, 3)! : undefined;
        const r = out(L, 'senderror');
        vm.pushBoolean(L, r ? r.exchange.response.sendError(code, msg) : false);
        return 1;
      },
      sendredirect: (L) => {
        const url = args.checkBytes(L, 2, 'sendredirect').toString('latin1');
        const r = out(L, 'sendredirect');
        let ok = false;
        try {
          // Mako sends an absolute Location: a relative one is resolved against the request's URL.
          ok = r ? redirect(r.exchange, absoluteUrl(r.exchange, url)) : false;
        } catch (e) {
          throw new LuaRaise(`invalid redirect: ${(e as Error).message}`);
        }
        vm.pushBoolean(L, ok);
        return 1;
      },
      abort: (L) => {
        const r = this.checkRequest(L, 1, 'abort');
        if (!r.onAbort) return 0;
        const stop = r.onAbort;
        r.onAbort = null;
        stop.abort();
        // The page stops here: it waits forever and the runner discards it.
        return this.ctx.sched.suspend(L, { state: 'abort', abort() {} }, 'abort');
      },
    };
  }
}

/** Buffer's latin1 decoder, which reads any Uint8Array (a view into WASM memory included). */
const latin1Slice = (Buffer.prototype as unknown as { latin1Slice(this: Uint8Array, start: number, end: number): string }).latin1Slice;

const TAB = Buffer.from('\t');
const NL = Buffer.from('\n');
