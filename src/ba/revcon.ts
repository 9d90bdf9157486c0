/**
 * ba.revcon{url=, [trusted=], [shark=], [intf=], [ipv6=]}: a reverse connection, as BAS has
 * it. The object's `token(headers)` sets the header fields of the broker GET and starts the
 * connection loop (src/http/reverse-connection.ts); `status()` returns the last HTTP status (or
 * negative error code) and how many connections the broker accepted; `close()` ends it. The
 * connections the broker passes requests over are served like any inbound connection.
 */
import { T_NIL, T_NONE, T_TABLE, T_USERDATA, type LState } from '../vm/lua-vm.js';
import { HandleTable, HandleTag } from '../vm/handles.js';
import { LuaRaise } from '../vm/lua-error.js';
import { ReverseConnector, type ReverseTarget } from '../http/reverse-connection.js';
import { dialTcp, type NetSocket } from '../net/tcp-dial.js';
import { startTls } from './httpc-conn.js';
import type { BaContext } from './context.js';
import type { SocketLib } from './socket.js';

/** BAS's error codes (BaErrorCodes.h) for the names status() reports as numbers. */
const ERROR_CODES: Record<string, number> = {
  socketclosed: -997,
  timeout: -994,
  cannotresolve: -983,
  cannotconnect: -982,
  invalidurl: -981,
  invalidresponse: -980,
  sslhandshake: -397,
  sslnottrusted: -396,
  sysshutdown: -600,
};

interface RevconObj {
  connector: ReverseConnector;
  closed: boolean;
  sharkRef: number;
}

export interface RevconHost {
  /** Serves HTTP on a connection whose first request is arriving. */
  serve(socket: NetSocket, pending: Buffer): void;
}

export function installRevcon(ctx: BaContext, sockets: SocketLib, host: RevconHost): void {
  const { vm, args, log } = ctx;
  const L0 = vm.L;
  const table = new HandleTable<RevconObj>(vm, HandleTag.revcon);
  const live = new Set<RevconObj>();
  const close = (o: RevconObj): void => {
    if (o.closed) return;
    o.closed = true;
    o.connector.close();
    live.delete(o);
    if (o.sharkRef) vm.unref(o.sharkRef);
    o.sharkRef = 0;
  };
  ctx.shutdownHooks.push(() => {
    for (const o of [...live]) close(o);
  });
  const check = (L: LState): RevconObj => {
    const o = table.at(L, 1);
    if (!o) return args.typeError(L, 1, '?', 'RevCon');
    if (o.closed) throw new LuaRaise('Closed');
    return o;
  };

  vm.newMetatable(L0, 'RevCon');
  vm.setHost(L0, -1, 'token', (L) => {
    const o = check(L);
    if (vm.type(L, 2) !== T_TABLE) args.typeError(L, 2, 'token', 'table');
    const h: [string, string][] = [];
    vm.pushNil(L);
    while (vm.next(L, 2)) {
      const k = vm.toStr(L, -2);
      const v = vm.toStr(L, -1);
      vm.pop(L, 1);
      if (k === null || v === null || /[\r\n]/.test(k + v)) continue;
      h.push([k, v]);
    }
    o.connector.setHeaders(h);
    return 0;
  });
  vm.setHost(L0, -1, 'status', (L) => {
    const o = check(L);
    vm.pushInteger(L, o.connector.status);
    vm.pushInteger(L, o.connector.accepted);
    return 2;
  });
  vm.setHost(L0, -1, 'close', (L) => {
    close(check(L));
    vm.pushBoolean(L, true);
    return 1;
  });
  vm.setHost(L0, -1, '__gc', (L) => {
    const id = table.idAt(L, 1);
    const o = table.at(L, 1);
    if (o) close(o);
    if (id >= 0) table.release(id);
    return 0;
  });
  vm.pushValue(L0, -1);
  vm.setField(L0, -2, '__index');
  table.mtRef = vm.ref(L0);

  ctx.pushBa(L0);
  vm.setHost(L0, -1, 'revcon', (L) => {
    const t = vm.type(L, 1);
    if (t !== T_TABLE) args.argError(1, 'ba.revcon', `table expected, got ${t === T_NONE || t === T_NIL ? 'nil' : vm.typeName(L, 1)}`);
    const url = args.optField(L, 1, 'url').str;
    if (url === undefined) throw new LuaRaise('Tab arg #1: url required!');
    if (args.optField(L, 1, 'proxy').str !== undefined) throw new LuaRaise('ba.revcon: proxy is not supported by this runtime');
    const trustedF = args.optField(L, 1, 'trusted');
    const trusted = trustedF.type === T_NIL || trustedF.type === T_NONE ? true : trustedF.bool === true;
    const intf = args.optField(L, 1, 'intf').str;
    const ipv6 = args.optField(L, 1, 'ipv6').bool === true;
    let sharkRef = 0;
    vm.getField(L, 1, 'shark');
    if (vm.type(L, -1) === T_USERDATA) sharkRef = vm.ref(L);
    else vm.pop(L, 1);
    let target: ReverseTarget;
    try {
      const u = new URL(url);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
      const secure = u.protocol === 'https:';
      target = { host: u.hostname.replace(/^\[|\]$/g, ''), port: u.port ? Number(u.port) : secure ? 443 : 80, secure, path: (u.pathname || '/') + u.search };
    } catch {
      target = { host: '', port: 0, secure: false, path: '/' };
    }
    const dial = (tg: ReverseTarget): Promise<NetSocket> =>
      new Promise((resolve, reject) => {
        if (!tg.host) return reject(new Error('invalidurl'));
        const start = (ip: string): void => {
          const so = dialTcp(ip, tg.port, intf);
          so.setNoDelay(true);
          so.once('error', () => reject(new Error('cannotconnect')));
          so.once('connect', () => {
            so.removeAllListeners('error');
            if (!tg.secure) return resolve(so);
            so.once('error', () => undefined);
            let ref = 0;
            if (o.sharkRef) {
              vm.pushRef(vm.L, o.sharkRef);
              ref = vm.ref(vm.L);
            }
            startTls(ctx, sockets, so, tg.host, ref, (err, ts) => {
              if (ref) vm.unref(ref);
              if (err || !ts) {
                so.destroy();
                return reject(new Error('sslhandshake'));
              }
              if (trusted && !ts.authorized) {
                ts.destroy();
                return reject(new Error('sslnottrusted'));
              }
              ts.removeAllListeners('error');
              resolve(ts);
            });
          });
        };
        const ip = sockets.resolve(tg.host, ipv6, (err, ip) => (err ? reject(new Error(err)) : start(ip)));
        if (ip !== null) start(ip);
      });
    // BAS reports a refused or failed attempt once a day.
    let nextTrace = 0;
    const o: RevconObj = {
      sharkRef,
      closed: false,
      connector: new ReverseConnector(target, {
        dial,
        serve: (so, pending) => host.serve(so, pending),
        errorCode: (name) => ERROR_CODES[name] ?? -1,
        failed: (status, text) => {
          if (Date.now() < nextTrace) return;
          nextTrace = Date.now() + 24 * 3600 * 1000;
          log.write(status < 0 ? `RevCon sock error: ${text}\n` : `RevCon: HTTP Status: ${status} ${text}\n`);
        },
      }),
    };
    live.add(o);
    table.push(L, table.add(o));
    return 1;
  });
  vm.pop(L0, 1);
}
