/**
 * The request side of an httpc `h:request`: the `header` and `query` tables read from Lua, and
 * the request's header fields in BAS's order. Used by src/ba/httpc.ts.
 */
import { LuaRaise } from '../vm/lua-error.js';
import { T_NUMBER, T_STRING, T_TABLE, type LState, type LuaVM } from '../vm/lua-vm.js';
import type { ClientUrl } from '../http/client-request.js';
import type { Exchange } from '../http/client-exchange.js';
import type { HttpcObj } from './httpc-conn.js';

/**
 * Reads a table field of name/value pairs ({name = value} or {name = {v1, v2}}). As BAS, a
 * value that is neither a string nor a number raises `Table <tab>: Invalid value for key ...`
 * and such a name `Table <tab>: Invalid key #n ...`.
 */
export function readPairs(vm: LuaVM, L: LState, idx: number, field: string, tab: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  vm.getField(L, idx, field);
  if (vm.type(L, -1) !== T_TABLE) {
    vm.pop(L, 1);
    return out;
  }
  const t = vm.top(L);
  const str = (i: number): string | null => {
    const ty = vm.type(L, i);
    if (ty !== T_STRING && ty !== T_NUMBER) return null;
    // lua_tolstring would turn a number key into a string in place and confuse lua_next.
    vm.pushValue(L, i);
    const b = vm.toBytes(L, -1)!.toString('latin1');
    vm.pop(L, 1);
    return b;
  };
  const fail = (msg: string): never => {
    vm.settop(L, t - 1);
    throw new LuaRaise(`Table ${tab}: ${msg}`, 0);
  };
  vm.pushNil(L);
  while (vm.next(L, t)) {
    const k = str(-2);
    const one = (): void => {
      const v = str(-1);
      if (k === null) fail(`Invalid key #${out.length}, (string expected, got ${vm.typeName(L, -2)}), val=${v ?? '?'}`);
      if (v === null) fail(`Invalid value for key ${k}, (string expected, got ${vm.typeName(L, -1)})`);
      out.push([k!, v!]);
    };
    if (vm.type(L, -1) === T_TABLE) {
      const n = vm.rawLen(L, -1);
      for (let i = 1; i <= n; i++) {
        vm.rawGetI(L, -1, i);
        one();
        vm.pop(L, 1);
      }
    } else one();
    vm.pop(L, 1);
  }
  vm.pop(L, 1);
  return out;
}

/**
 * The header fields of a request in BAS's order: `Host` (with the port unless it is the
 * scheme's default), the body's framing for POST, PUT, DELETE and PATCH (`Content-Length` for a
 * `size` above 0, else `Transfer-Encoding: chunked`; other methods send no body), the `header`
 * table's fields, `Authorization`. A `Host` in `header` is dropped (BAS sends it twice), an
 * `Authorization` or `Content-Length` in it replaces the one made here (docs/compat.md).
 */
export function requestFields(
  h: HttpcObj,
  url: ClientUrl,
  method: string,
  size: number | null,
  headers: Array<[string, string]>,
  user: string | undefined,
  password: string | undefined,
): { fields: Array<[string, string]>; reqBody: Exchange['reqBody'] } {
  const fields: Array<[string, string]> = [];
  const given = (name: string) => headers.some(([n]) => n.toLowerCase() === name);
  if (h.opts.sendHost) fields.push(['Host', url.hostHeader]);
  let reqBody: Exchange['reqBody'] = 'none';
  if (given('content-length')) reqBody = 'length';
  else if (method === 'POST' || method === 'PUT' || method === 'DELETE' || method === 'PATCH') {
    const n = size === null || !(size > 0) ? 0 : Math.trunc(size);
    if (n > 0) {
      fields.push(['Content-Length', String(n)]);
      reqBody = 'length';
    } else {
      if (!given('transfer-encoding')) fields.push(['Transfer-Encoding', 'chunked']);
      reqBody = 'chunked';
    }
  }
  for (const [n, v] of headers) {
    if (h.opts.sendHost && n.toLowerCase() === 'host') continue;
    fields.push([n, v]);
  }
  // As BAS: `user` without `password` is sent as it is when it holds a ':', else as "user:".
  const auth = user !== undefined ? (password !== undefined || !user.includes(':') ? `${user}:${password ?? ''}` : user) : url.userinfo;
  if (auth !== null && !given('authorization')) fields.push(['Authorization', 'Basic ' + Buffer.from(auth, 'latin1').toString('base64')]);
  return { fields, reqBody };
}
