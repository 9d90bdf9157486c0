/**
 * The IO methods Mako has beyond files: `io:type(x)`, `io:close()` (also `__close`),
 * `io:hide(name [, n])`, `io:encrypted(name)`, `io:setpasswd(pwd [, bin [, required]])` and
 * `io:netconf(t)`. Written once for every IO kind (disk, zip, net, vm and `ba.create.luaio`):
 * what a kind does is its `IoSource` property (src/fs/io-source.ts); a kind without one answers
 * as Mako's IOs that lack it. Argument errors name the function '?' as Mako's do (the call site
 * names a method).
 */
import { LuaRaise } from '../vm/lua-error.js';
import { T_BOOLEAN, T_NONE, T_NUMBER, T_STRING, T_USERDATA, type LState } from '../vm/lua-vm.js';
import { ioErrorOf } from '../fs/fs-op.js';
import type { IoSource, NetConf } from '../fs/io-source.js';
import type { BaContext } from './context.js';
import type { IoCore } from './file.js';

export interface IoPropsHost {
  readonly ctx: BaContext;
  readonly core: IoCore;
  /** Any IO object at stack index i, or null. */
  toSource(L: LState, i: number): IoSource | null;
  /** "file" / "closed file" for a `ba.create.luaio` file object at index i, else null. */
  luaFileType: ((L: LState, i: number) => string | null) | null;
  /** The TLS context (ba.create.sharkssl) at index i and whether it is a server's, or null. */
  sharkAt: ((L: LState, i: number) => { server: boolean } | null) | null;
}

/** The methods, by name; `close` is also the IO objects' `__close`. */
export function ioPropertyMethods(host: IoPropsHost): Record<string, (L: LState) => number> {
  const { vm, args } = host.ctx;
  const check = (L: LState): IoSource => {
    const src = host.toSource(L, 1);
    if (!src) return args.typeError(L, 1, '?', 'IO');
    return src;
  };
  /** luaL_optboolean as BAS has it: absent or nil is `def`, a boolean its value, else an error. */
  const optBoolean = (L: LState, n: number, def: boolean): boolean => {
    if (args.isNoneOrNil(L, n)) return def;
    if (vm.type(L, n) !== T_BOOLEAN) args.typeError(L, n, '?', 'boolean');
    return vm.toBoolean(L, n);
  };
  return {
    // As Lua's io.type, for BAS file objects: the IO itself (self) is no file, so `io:type()`
    // is nil; `io.type(f)` is "file" or "closed file".
    type: (L) => {
      if (vm.type(L, 1) === T_NONE) args.argError(1, '?', 'value expected');
      const e = host.core.toFile(L, 1);
      const t = e ? (e.f.closed ? 'closed file' : 'file') : vm.type(L, 1) === T_USERDATA ? (host.luaFileType?.(L, 1) ?? null) : null;
      if (t === null) vm.pushNil(L);
      else vm.pushString(L, t);
      return 1;
    },
    close: (L) => {
      const r = check(L).closeIo?.() ?? 'unsupported';
      if (r === 'static') throw new LuaRaise('Cannot close static IO');
      if (r === 'unsupported') throw new LuaRaise('Not supported or closed');
      return 0;
    },
    // Mako sets the "hidden" attribute on Windows disks only; no IO here has one.
    hide: (L) => {
      check(L);
      args.checkString(L, 2, '?');
      args.optInteger(L, 3, '?', 1);
      vm.pushBoolean(L, false);
      return 1;
    },
    encrypted: (L) => {
      const src = check(L);
      const name = args.checkString(L, 2, '?');
      let r: boolean;
      try {
        if (!src.encrypted) throw Object.assign(new Error(), { code: 'noimplementation' });
        r = src.encrypted(name);
      } catch (e) {
        const code = (e as { code?: unknown }).code === 'noimplementation' ? 'noimplementation' : ioErrorOf(e).code;
        vm.pushNil(L);
        vm.pushString(L, code);
        return 2;
      }
      vm.pushBoolean(L, r);
      return 1;
    },
    // Mako: the password is set first; the flags are read (and may raise) only where it was.
    setpasswd: (L) => {
      const src = check(L);
      args.checkString(L, 2, '?');
      const pwd = Buffer.from(vm.toBytes(L, 2)!);
      const ok = src.setPassword?.(pwd, false, false) ?? false;
      if (ok) src.setPassword!(pwd, optBoolean(L, 3, false), optBoolean(L, 4, false));
      vm.pushBoolean(L, ok);
      return 1;
    },
    netconf: (L) => netconf(host, L, check(L)),
  };
}

/**
 * io:netconf(t) in Mako's order: the string fields are read first (a wrong type raises), then
 * shark (a client TLS context; the net IO keeps it, other IOs ignore it), socks and ipv6
 * (booleans), proxyport (default 1080 with socks, else 8080), user, proxy, proxyuser and intf. An IO that is not the net IO refuses the first of them that is set:
 * a zip IO answers nil, "failed", the others raise "Not a NetIo object". A table with none of
 * them (pass, proxypass, shark alone) is accepted by every IO.
 */
function netconf(host: IoPropsHost, L: LState, src: IoSource): number {
  const { vm, args } = host.ctx;
  args.checkTable(L, 2, '?');
  const str = (name: string): string | undefined =>
    args.field(L, 2, name, (L) => {
      if (args.isNoneOrNil(L, -1)) return undefined;
      const t = vm.type(L, -1);
      if (t !== T_STRING && t !== T_NUMBER) args.typeError(L, -1, '?', 'string');
      return vm.toStr(L, -1)!;
    });
  const bool = (name: string): boolean | undefined => args.field(L, 2, name, (L) => (vm.type(L, -1) === T_BOOLEAN ? vm.toBoolean(L, -1) : undefined));
  const user = str('user');
  const pass = str('pass');
  const proxy = str('proxy');
  const proxyuser = str('proxyuser');
  const proxypass = str('proxypass');
  const intf = str('intf');
  // `shark`: a userdata must be a client TLS context (Mako raises otherwise); another value is
  // ignored. An IO that is not the net IO ignores it.
  const shark = args.field(L, 2, 'shark', (L) => {
    if (vm.type(L, -1) !== T_USERDATA) return undefined;
    const c = host.sharkAt?.(L, -1) ?? null;
    if (!c) return args.typeError(L, -1, '?', 'BASHARKSSL');
    if (c.server) throw new LuaRaise('SharkSSL not a client type');
    return c;
  });
  if (shark) src.netconf?.({ shark });
  const socks = bool('socks');
  const ipv6 = bool('ipv6');
  const apply = (cfg: NetConf): number => {
    const r = src.netconf?.(cfg) ?? 'notnet';
    if (r === 'set') return 0;
    if (r === 'failed') {
      vm.pushNil(L);
      vm.pushString(L, 'failed');
      return 2;
    }
    throw new LuaRaise('Not a NetIo object');
  };
  const first: NetConf = {};
  if (socks !== undefined) first.socks = socks;
  if (ipv6 !== undefined) first.ipv6 = ipv6;
  if ((socks !== undefined || ipv6 !== undefined) && apply(first)) return 2;
  const proxyport = args.field(L, 2, 'proxyport', (L) => (args.isNoneOrNil(L, -1) ? (socks ? 1080 : 8080) : args.checkNumber(L, -1, '?')));
  const rest: NetConf = {};
  if (user !== undefined) Object.assign(rest, { user, pass: pass ?? '' });
  if (proxy !== undefined) Object.assign(rest, { proxy, proxyport });
  if (proxyuser !== undefined) Object.assign(rest, { proxyuser, proxypass: proxypass ?? '' });
  if (intf !== undefined) rest.intf = intf;
  if (Object.keys(rest).length && apply(rest)) return 2;
  vm.pushBoolean(L, true);
  return 1;
}
