/**
 * `ba.create.servcon(port [, cfg])` and `ba.create.servcon(oldcon, cfg)`: a listener of this
 * HTTP server, as BAS has it. The object (type name BASERVCON) serves the server's whole
 * directory tree on `port` (plain HTTP, or HTTPS when `cfg.shark` is a server SharkSSL
 * object), bound to `cfg.intf` (an address or a name) or to every interface. The server keeps
 * it open until `close()`, whether the script keeps the object or not. Methods:
 *
 * - `setport(port [, cfg])`: opens the new port (with `cfg.intf`/`cfg.ipv6`) and then closes
 *   the old one: true, or nil, "bind" (the old port stays open);
 * - `close()`: true (a TLS listener also closes the connections it accepted);
 * - `clientcert(on)`, `favorRSA(on)`: a TLS listener asks clients for a certificate / prefers
 *   its RSA certificate; true for a TLS listener, false (no effect) for a plain one.
 *
 * Every method of a closed object raises "Closed". `ba.create.servcon(oldcon, {shark=...})`
 * gives an open TLS listener new certificates: the new object takes over the old one's
 * listening socket (and its clientcert/favorRSA settings); the old one keeps its methods but
 * can no longer be re-created. Wording of every error as in BAS (compat probe "servcon").
 *
 * Addresses: `cfg.ipv6` with no `intf` listens on every IPv6 and IPv4 address; an IPv4 `intf`
 * is bound as IPv4 whatever `ipv6` says (as on the Mako Server for Linux, which Mako's
 * start-up script relies on); an IPv6 `intf` needs `ipv6 = true`; a name is resolved to IPv4.
 *
 * The listening sockets are the server's (src/server/listener.ts); this file is only the Lua face.
 */
import { T_BOOLEAN, T_NIL, T_STRING, T_TABLE, T_USERDATA, type LState } from '../vm/lua-vm.js';
import { HandleTable, HandleTag } from '../vm/handles.js';
import { LuaRaise } from '../vm/lua-error.js';
import { Wait } from '../sched/waiter.js';
import { ipVersion, resolveHost } from '../net/resolve.js';
import type { TlsContextDef } from '../net/tls-context.js';
import type { BaContext } from './context.js';
import type { TlsLib } from './tls.js';
import { pushSubTable } from '../vm/lua-values.js';

/** One listening socket of the HTTP server, as the server side provides it. */
export interface ServconListener {
  /** A TLS listener. */
  readonly secure: boolean;
  /** False once its socket failed, was closed, or was taken over by a re-created listener. */
  readonly valid: boolean;
  /**
   * Opens ip:port and then closes the current socket; `done(false)` (nothing changed) when it
   * cannot. `done` runs during the call when the outcome is known then (a cluster worker
   * learns it later).
   */
  rebind(port: number, ip: string, done: (ok: boolean) => void): void;
  /** Stops listening (a TLS listener also closes the connections it accepted). */
  close(): void;
  setClientCert(on: boolean): void;
  setFavorRSA(on: boolean): void;
}

export interface ServconHost {
  /** A new listener on ip:port, or null when the port cannot be opened (`done` as for rebind). */
  open(port: number, ip: string, tls: TlsContextDef | null, done: (l: ServconListener | null) => void): void;
  /** A TLS listener that takes over `old`'s socket and serves `tls`'s certificates. */
  takeOver(old: ServconListener, tls: TlsContextDef): ServconListener;
}

interface ServconObj {
  l: ServconListener;
  closed: boolean;
  /** Registry ref of the userdata while the server keeps it (open, not re-created); 0 else. */
  selfRef: number;
}

/** The option table's fields, as BAS reads them (ipv6 and intf are ignored unless boolean / string). */
interface Cfg {
  ipv6: boolean;
  intf: string | null;
  shark: TlsContextDef | null;
}

export class ServconLib {
  private readonly table: HandleTable<ServconObj>;

  constructor(
    readonly ctx: BaContext,
    private readonly tls: TlsLib,
    private readonly host: ServconHost,
  ) {
    this.table = new HandleTable<ServconObj>(ctx.vm, HandleTag.servcon);
  }

  install(L: LState): void {
    const { vm } = this.ctx;
    vm.newMetatable(L, 'BASERVCON');
    vm.pushValue(L, -1);
    vm.setField(L, -2, '__index');
    vm.setHost(L, -1, 'setport', (L) => this.setport(L));
    vm.setHost(L, -1, 'close', (L) => {
      const o = this.check(L, 'close');
      this.close(o);
      vm.pushBoolean(L, true);
      return 1;
    });
    vm.setHost(L, -1, 'clientcert', (L) => this.flag(L, 'clientcert', (l, on) => l.setClientCert(on)));
    vm.setHost(L, -1, 'favorRSA', (L) => this.flag(L, 'favorRSA', (l, on) => l.setFavorRSA(on)));
    vm.setHost(L, -1, '__gc', (L) => {
      // Reached only once the object is closed or re-created (an open one is referenced from
      // the registry). The connections of a re-created one are left to end by themselves.
      const id = this.table.idAt(L, 1);
      const o = this.table.at(L, 1);
      if (o) o.closed = true;
      if (id >= 0) this.table.release(id);
      return 0;
    });
    this.table.mtRef = vm.ref(L);
    this.ctx.pushBa(L);
    pushSubTable(vm, L, 'create');
    vm.setHost(L, -1, 'servcon', (L) => this.create(L));
    vm.pop(L, 2);
  }

  /** Pushes a Lua object for a listener the server opened itself (ba.lcon6, ba.slcon6). */
  push(L: LState, l: ServconListener): void {
    this.pushNew(L, l);
  }

  private pushNew(L: LState, l: ServconListener): void {
    const { vm } = this.ctx;
    const o: ServconObj = { l, closed: false, selfRef: 0 };
    this.table.push(L, this.table.add(o));
    vm.pushValue(L, -1);
    o.selfRef = vm.ref(L);
  }

  private unlock(o: ServconObj): void {
    if (o.selfRef) this.ctx.vm.unref(o.selfRef);
    o.selfRef = 0;
  }

  private close(o: ServconObj): void {
    if (o.closed) return;
    o.closed = true;
    this.unlock(o);
    o.l.close();
  }

  private check(L: LState, fname: string): ServconObj {
    const o = this.table.at(L, 1);
    if (!o) return this.ctx.args.typeError(L, 1, fname, 'BASERVCON');
    if (o.closed) throw new LuaRaise('Closed');
    return o;
  }

  private flag(L: LState, fname: string, set: (l: ServconListener, on: boolean) => void): number {
    const o = this.check(L, fname);
    if (o.l.secure) set(o.l, this.ctx.vm.toBoolean(L, 2));
    this.ctx.vm.pushBoolean(L, o.l.secure);
    return 1;
  }

  /** BAS's lGetStdSockOptions: `ipv6` (boolean), `shark` (checked, a SharkSSL object), `intf`. */
  private readCfg(L: LState, idx: number, fname: string, argNo: number): Cfg {
    const { vm, args } = this.ctx;
    if (vm.type(L, idx) !== T_TABLE) return { ipv6: false, intf: null, shark: null };
    const f = args.optField(L, idx, 'ipv6');
    const ipv6 = f.type === T_BOOLEAN && f.bool === true;
    let shark: TlsContextDef | null = null;
    const st = vm.getField(L, idx, 'shark');
    if (st !== T_NIL) {
      shark = this.tls.contextAt(L, -1);
      if (!shark) args.argError(argNo, fname, `BASHARKSSL expected, got ${this.typeNameOf(L, -1)}`);
      // BAS's option reader: a server SharkSSL object must hold a certificate.
      if (shark?.server && shark.certs.length === 0) throw new LuaRaise('Certificate required for server');
    }
    vm.pop(L, 1);
    const intf = args.optField(L, idx, 'intf').str ?? null;
    return { ipv6, intf, shark };
  }

  /**
   * Runs `body`, which calls `finish(push, undo)` once: at once (the results are returned), or
   * later (the calling coroutine waits for it: a name to resolve, a cluster worker's bind;
   * BAS blocks in both). `undo` cleans up when nobody waits any more.
   */
  private settle(L: LState, what: string, body: (finish: (push: (L: LState) => number, undo?: () => void) => void) => void): number {
    let now: ((L: LState) => number) | null = null;
    let w: Wait | null = null;
    let abandoned = false;
    let sync = true;
    body((push, undo) => {
      if (sync) now = push;
      else if (abandoned || !w || !w.live) undo?.();
      else w.complete(push);
    });
    sync = false;
    if (now) return (now as (L: LState) => number)(L);
    try {
      w = Wait.of(this.ctx.sched, what, what);
    } catch (e) {
      abandoned = true;
      throw e;
    }
    return this.ctx.sched.suspend(L, w, what);
  }

  /** The address to bind for `intf`/`ipv6`, or null when it cannot be bound; names resolve to IPv4. */
  private address(cfg: Cfg, done: (ip: string | null) => void): void {
    const { intf, ipv6 } = cfg;
    if (intf === null) return done(ipv6 ? '::' : '0.0.0.0');
    const v = ipVersion(intf);
    if (v === 4) return done(intf);
    if (v === 6) return done(ipv6 ? intf : null);
    const ip = resolveHost(intf, false, (err, ip) => done(err ? null : ip));
    if (ip !== null) done(ip);
  }

  /** The type name lauxlib's bad-argument messages use: the metatable's __name when it is a string. */
  private typeNameOf(L: LState, i: number): string {
    const { vm } = this.ctx;
    const idx = i < 0 ? vm.top(L) + i + 1 : i;
    if (vm.getMetatable(L, idx)) {
      const t = vm.getField(L, -1, '__name');
      const name = t === T_STRING ? vm.toStr(L, -1) : null;
      vm.pop(L, 2);
      if (name !== null) return name;
    }
    return vm.typeName(L, idx);
  }

  private bindErr(L: LState): number {
    this.ctx.vm.pushNil(L);
    this.ctx.vm.pushString(L, 'bind');
    return 2;
  }

  private create(L: LState): number {
    const { vm, args } = this.ctx;
    const cfg = this.readCfg(L, 2, 'servcon', -1);
    if (cfg.shark && vm.type(L, 1) === T_USERDATA) return this.recreate(L, cfg.shark);
    // lauxlib names a userdata by its metatable's __name ("got BASERVCON").
    if (vm.type(L, 1) === T_USERDATA) args.argError(1, 'servcon', `number expected, got ${this.typeNameOf(L, 1)}`);
    const port = args.checkInteger(L, 1, 'servcon') & 0xffff;
    if (port === 0) throw new LuaRaise('Invalid port number');
    if (cfg.shark && !cfg.shark.server) throw new LuaRaise('SharkSSL not a server type');
    return this.settle(L, 'ba.create.servcon', (finish) =>
      this.address(cfg, (ip) => {
        if (ip === null) return finish((L) => this.bindErr(L));
        this.host.open(port, ip, cfg.shark, (l) => {
          if (!l) return finish((L) => this.bindErr(L));
          finish(
            (L) => {
              this.pushNew(L, l);
              return 1;
            },
            () => l.close(),
          );
        });
      }),
    );
  }

  private recreate(L: LState, shark: TlsContextDef): number {
    const old = this.check(L, 'servcon');
    if (!old.l.secure || !old.l.valid) throw new LuaRaise('#1 not a  secure connection');
    if (!shark.server) throw new LuaRaise('SharkSSL not a server type');
    const l = this.host.takeOver(old.l, shark);
    // The old object stays usable (its methods answer) but the server no longer keeps it.
    this.unlock(old);
    this.pushNew(L, l);
    return 1;
  }

  private setport(L: LState): number {
    const { args } = this.ctx;
    const o = this.check(L, 'setport');
    const port = args.checkInteger(L, 2, 'setport') & 0xffff;
    const cfg = this.readCfg(L, 3, 'setport', -1);
    // A TLS listener cannot take port 0 (BAS opens none); a plain one gets a free port.
    if (port === 0 && o.l.secure) return this.bindErr(L);
    return this.settle(L, 'setport', (finish) =>
      this.address(cfg, (ip) => {
        if (ip === null || o.closed) return finish((L) => this.bindErr(L));
        o.l.rebind(port, ip, (ok) =>
          finish((L) => {
            if (!ok) return this.bindErr(L);
            this.ctx.vm.pushBoolean(L, true);
            return 1;
          }),
        );
      }),
    );
  }
}

/** Installs ba.create.servcon for an HTTP server (replacing the "not supported" stub). */
export function installServcon(ctx: BaContext, tls: TlsLib, host: ServconHost): ServconLib {
  const lib = new ServconLib(ctx, tls, host);
  lib.install(ctx.vm.L);
  return lib;
}
