/**
 * What Lua sees of TLS (SharkSSL in BAS): `ba.create.sharkcert`, `ba.create.sharkssl`,
 * `ba.create.certstore`, `ba.sharkclient()`, TLS for `ba.socket.connect` and
 * `ba.socket.bind` through SocketLib's hooks, and the socket methods `upgrade`, `trusted`,
 * `certificate`, `cipher`, `isresumed`, `relsession`. The network side lives
 * in src/net/tls-*.ts and src/net/cert-info.ts; docs/api/ba.tls.md is the reference.
 */
import { layerError } from './errors.js';
import { readFileSync } from 'node:fs';
import { LuaRaise } from '../vm/lua-error.js';
import { T_STRING, T_TABLE, type LState, type LuaVM } from '../vm/lua-vm.js';
import { CertKey, TlsContextDef, loadCertKey, parseCertificates, systemCaBundle } from '../net/tls-context.js';
import { certTable } from '../net/cert-info.js';
import { acceptTls, connectTls, releaseSession, tlsEndReason, tlsInfo, trusted, upgradeServerTls, type TlsInfo } from '../net/tls-socket.js';
import { SockWait, type LSock, type SocketLib } from './socket.js';
import { ioErrorOf } from '../fs/fs-op.js';
import { readWhole, type IoSource } from '../fs/io-source.js';
import { HandleTable, HandleTag } from '../vm/handles.js';
import { pushRecord, pushSubTable } from '../vm/lua-values.js';
import type { NetSocket, TLSSocket } from '../net/tcp-dial.js';
import type { BaContext } from './context.js';


/**
 * Pushes the peer's certificate as BAS's table (sock:certificate, request:certificate):
 * subject and issuer with its six DN fields ("" when absent), san (DNS names and IP
 * addresses), tzfrom and tzto. False (nothing pushed) when the peer sent none.
 */
export function pushPeerCertificate(vm: LuaVM, L: LState, info: TlsInfo): boolean {
  const leaf = info.chain[0];
  if (!leaf) return false;
  const t = certTable(leaf);
  const dn = (x: Partial<Record<string, string>>): Record<string, string> => Object.fromEntries(DN_FIELDS.map((f) => [f, x[f] ?? '']));
  pushRecord(vm, L, { subject: dn(t.subject), issuer: dn(t.issuer), tzfrom: t.tzfrom, tzto: t.tzto, san: t.subjectaltnames });
  return true;
}

/** A CA store (ba.create.certstore): PEM certificates collected with addcert. */
class CertStore {
  readonly pems: string[] = [];
}

type TlsObject = { kind: 'cert'; cert: CertKey } | { kind: 'ctx'; ctx: TlsContextDef } | { kind: 'store'; store: CertStore };

/** What sharkcert and addcert need of IO objects (IoLib): any IO, and waiting for one. */
export interface IoResolver {
  toSource(L: LState, i: number): IoSource | null;
  awaitPromise<T>(L: LState, what: string, make: () => Promise<T>, ok: (L: LState, v: T) => number, fail: (L: LState, e: unknown) => number): number;
}

type FileText = string | { code: string; message: string };

/** A failed read as the code and message sharkcert reports. */
function readFailure(e: unknown): { code: string; message: string } {
  const { code, message } = ioErrorOf(e);
  return { code, message };
}

/** Metatable names, one per kind of TLS object (open to scripts, as in BAS). */
const MT = { cert: 'SharkCert', ctx: 'SharkSsl', store: 'SharkCertStore' } as const;
/** The distinguished-name fields of sock:certificate()'s subject and issuer tables (BAS's). */
const DN_FIELDS = ['commonname', 'countryname', 'locality', 'organization', 'province', 'unit'] as const;
/** What tostring() calls each object, as BAS does. */
const TOSTRING = { cert: 'SHARKCERT', ctx: 'BASHARKSSL', store: 'BACERTSTORE' } as const;

export class TlsLib {
  private readonly objs: HandleTable<TlsObject>;
  private readonly mtRefs: Record<TlsObject['kind'], number> = { cert: 0, ctx: 0, store: 0 };
  /** Registry ref of the ba.sharkclient() object, created on first use. */
  private clientRef = 0;

  constructor(
    readonly ctx: BaContext,
    readonly sockets: SocketLib,
    readonly ios: IoResolver,
  ) {
    this.objs = new HandleTable(ctx.vm, HandleTag.tls);
  }

  private get vm(): LuaVM {
    return this.ctx.vm;
  }

  // ---- TLS object userdata -----------------------------------------------------------------

  private push(L: LState, o: TlsObject): void {
    this.objs.push(L, this.objs.add(o), this.mtRefs[o.kind]);
  }

  private toObj(L: LState, i: number): TlsObject | null {
    return this.objs.at(L, i);
  }

  /** The SharkSSL object (ba.create.sharkssl) at stack index i, or null. */
  contextAt(L: LState, i: number): TlsContextDef | null {
    const o = this.toObj(L, i);
    return o && o.kind === 'ctx' ? o.ctx : null;
  }

  private checkCtx(L: LState, i: number, fname: string): TlsContextDef {
    const o = this.toObj(L, i);
    if (!o || o.kind !== 'ctx') this.ctx.args.typeError(L, i, fname, 'SharkSSL object');
    return o.ctx;
  }

  /** The SharkSSL object in field `shark` of the option table at `idx`, or null. */
  private optCtx(L: LState, idx: number): TlsContextDef | null {
    return this.ctx.args.field(L, idx, 'shark', (L) => {
      const o = this.toObj(L, -1);
      return o && o.kind === 'ctx' ? o.ctx : null;
    });
  }

  // ---- install ------------------------------------------------------------------------------

  install(L: LState): void {
    const vm = this.vm;
    const methods: Record<TlsObject['kind'], Record<string, (L: LState) => number>> = {
      cert: {},
      ctx: { addcert: (L) => this.ctxAddcert(L) },
      store: { addcert: (L) => this.storeAddcert(L) },
    };
    for (const kind of ['cert', 'ctx', 'store'] as const) {
      vm.newMetatable(L, MT[kind]);
      vm.newTable(L);
      for (const [name, fn] of Object.entries(methods[kind])) vm.setHost(L, -1, name, fn);
      vm.setField(L, -2, '__index');
      vm.setHost(L, -1, '__gc', (L) => {
        this.objs.release(this.objs.idAt(L, 1));
        return 0;
      });
      vm.setHost(L, -1, '__tostring', (L) => {
        // BAS's type names and the object's address (never anything of the key).
        vm.pushString(L, `${TOSTRING[kind]}: 0x${vm.toUserdata(L, 1).toString(16)}`);
        return 1;
      });
      vm.pushValue(L, -1);
      this.mtRefs[kind] = vm.ref(L);
      vm.pop(L, 1);
    }

    // ba.create (other modules may add to it) and ba.sharkclient.
    this.ctx.pushBa(L);
    pushSubTable(vm, L, 'create');
    vm.setHost(L, -1, 'sharkcert', (L) => this.sharkcert(L));
    vm.setHost(L, -1, 'sharkssl', (L) => this.sharkssl(L));
    vm.setHost(L, -1, 'certstore', (L) => {
      this.push(L, { kind: 'store', store: new CertStore() });
      return 1;
    });
    vm.pop(L, 1);
    vm.setHost(L, -1, 'sharkclient', (L) => this.sharkclient(L));
    vm.pop(L, 1);

    // The TLS methods of every socket object (a plain socket answers nil, "sslnotenabled").
    const s = this.sockets;
    s.addMethod(L, 'upgrade', (L) => this.upgrade(L));
    s.addMethod(L, 'trusted', (L) => this.trusted(L));
    s.addMethod(L, 'certificate', (L) => this.certificate(L));
    s.addMethod(L, 'cipher', (L) => this.cipher(L));
    s.addMethod(L, 'isresumed', (L) => this.isresumed(L));
    s.addMethod(L, 'relsession', (L) => this.relsession(L));

    // Hooks of ba.socket.connect / bind / read.
    s.tlsConnect = (L, optIdx, plain, host, cb) => {
      const c = this.optCtx(L, optIdx);
      if (!c) return cb('sslhandshake');
      const alpn = this.ctx.args.optField(L, optIdx, 'alpn').str;
      connectTls(plain, c, { host, port: plain.remotePort ?? 0, alpn: alpnList(alpn) }, cb);
    };
    s.tlsListen = (L, optIdx) => {
      const c = this.optCtx(L, optIdx);
      if (!c) throw new LuaRaise("bad argument #2 to 'bind' (shark: SharkSSL object expected)");
      // BAS raises this for a listener given a client context.
      if (!c.server) throw new LuaRaise('SharkSSL not a server type');
      if (c.certs.length === 0) throw new LuaRaise('Certificate required for server');
      return (so: NetSocket): NetSocket => acceptTls(so, c, this.ctx.config.handshakeTimeoutMs);
    };
    s.tlsEndReason = (conn) => {
      const r = tlsEndReason(conn.sock, conn.ended ?? 'eof', conn.endError);
      return r === null ? null : layerError(r);
    };
  }

  // ---- ba.create.sharkcert ------------------------------------------------------------------

  /**
   * `ba.create.sharkcert([io,] cert, key [, password])`: with an IO, `cert` and `key` are file
   * names in it; without, each is PEM text or a file path. Files are read synchronously (a
   * certificate is a few KB, loaded at start-up). Returns the certificate or nil, err.
   */
  private sharkcert(L: LState): number {
    const { args } = this.ctx;
    const io = this.ios.toSource(L, 1);
    const base = io ? 2 : 1;
    const certArg = args.checkString(L, base, 'sharkcert');
    const keyArg = args.checkString(L, base + 1, 'sharkcert');
    const password = args.isNoneOrNil(L, base + 2) ? undefined : args.checkString(L, base + 2, 'sharkcert');
    const finish = (L: LState, certText: FileText, keyText: FileText): number => {
      // A missing file is nil, "notfound" as in BAS.
      if (typeof certText !== 'string') return this.fileErr(L, certText);
      if (typeof keyText !== 'string') return this.fileErr(L, keyText);
      const r = loadCertKey(certText, keyText, password);
      if (typeof r === 'string') return this.sockets.nilErr(L, r);
      this.push(L, { kind: 'cert', cert: r });
      return 1;
    };
    const certText = this.pemOrFile(io, certArg);
    const keyText = this.pemOrFile(io, keyArg);
    if (certText === null || keyText === null) {
      // An IO that answers only later (net, Lua-implemented): the caller waits for both files.
      const read = (name: string): Promise<FileText> => readWhole(io!, name).then((b) => b.toString('latin1'), readFailure);
      return this.ios.awaitPromise(L, 'sharkcert', () => Promise.all([read(certArg), read(keyArg)]), (L, [c, k]) => finish(L, c, k), (L, e) => this.fileErr(L, readFailure(e)));
    }
    return finish(L, certText, keyText);
  }

  private fileErr(L: LState, e: { code: string; message: string }): number {
    return e.code === 'enoent' || e.code === 'notfound' ? this.sockets.nilErr(L, 'notfound') : this.sockets.nilSysErr(L, e.code, e.message);
  }

  /**
   * PEM text as given, or the content of the file it names (in `io`, or on disk); null when
   * `io` cannot read it at once (then it is read with readWhole, waiting).
   */
  private pemOrFile(io: IoSource | null, arg: string): FileText | null {
    if (!io && arg.includes('-----BEGIN ')) return arg;
    try {
      const b = io ? (io.readNow?.(arg) ?? null) : readFileSync(arg);
      return b && b.toString('latin1');
    } catch (e) {
      return readFailure(e);
    }
  }

  // ---- ba.create.sharkssl / certstore / sharkclient ------------------------------------------

  /**
   * `ba.create.sharkssl([caList | certstore] [, opt])`: `caList` is PEM text (one or more CA
   * certificates); `opt.server` makes a listener context; `opt.cachesize` sizes the client
   * session cache (default 0: none); `insize`/`outsize` are accepted and ignored.
   */
  private sharkssl(L: LState): number {
    const { vm, args } = this.ctx;
    let caIdx = 1;
    let optIdx = 2;
    if (vm.type(L, 1) === T_TABLE && args.isNoneOrNil(L, 2)) {
      caIdx = 0;
      optIdx = 1;
    }
    let ca: string[] | null = null;
    if (caIdx && !args.isNoneOrNil(L, caIdx)) {
      const o = this.toObj(L, caIdx);
      if (o && o.kind === 'store') ca = [...o.store.pems];
      else if (vm.type(L, caIdx) === T_STRING) {
        const text = this.pemOrFile(null, vm.toStr(L, caIdx)!)!;
        if (typeof text !== 'string') return this.sockets.nilSysErr(L, text.code, text.message);
        ca = parseCertificates(text).map((c) => c.toString());
        if (ca.length === 0) return this.sockets.nilErr(L, 'pem_cert_unrecognized_format');
      } else args.typeError(L, caIdx, 'sharkssl', 'certstore or string');
    }
    let server = false;
    let cacheSize = 0;
    if (vm.type(L, optIdx) === T_TABLE) {
      server = args.optField(L, optIdx, 'server').bool === true;
      const cs = args.optField(L, optIdx, 'cachesize').num;
      if (cs !== undefined) cacheSize = Math.max(0, Math.floor(cs));
    }
    this.push(L, { kind: 'ctx', ctx: new TlsContextDef({ server, ca, cacheSize }) });
    return 1;
  }

  private ctxAddcert(L: LState): number {
    const c = this.checkCtx(L, 1, 'addcert');
    const o = this.toObj(L, 2);
    if (!o || o.kind !== 'cert') this.ctx.args.typeError(L, 2, 'addcert', 'SharkSSL certificate');
    c.addCert(o.cert);
    this.vm.pushBoolean(L, true);
    return 1;
  }

  /** `store:addcert(io, name)` or `store:addcert(pemTextOrPath)`: adds every certificate found; returns how many. */
  private storeAddcert(L: LState): number {
    const { args } = this.ctx;
    const o = this.toObj(L, 1);
    if (!o || o.kind !== 'store') this.ctx.args.typeError(L, 1, 'addcert', 'certstore');
    const io = this.ios.toSource(L, 2);
    const name = args.checkString(L, io ? 3 : 2, 'addcert');
    // Mako: the number of certificates added (0 for a file without any); a file that cannot
    // be read gives nil and the code alone.
    const add = (L: LState, text: FileText): number => {
      if (typeof text !== 'string') {
        this.vm.pushNil(L);
        this.vm.pushString(L, text.code);
        return 2;
      }
      const certs = parseCertificates(text);
      for (const c of certs) o.store.pems.push(c.toString());
      this.vm.pushInteger(L, certs.length);
      return 1;
    };
    const text = this.pemOrFile(io, name);
    if (text === null) return this.ios.awaitPromise(L, 'addcert', () => readWhole(io!, name).then((b) => b.toString('latin1'), readFailure), add, (L, e) => add(L, readFailure(e)));
    return add(L, text);
  }

  /**
   * `ba.sharkclient()`: one shared client context (cache size 40), trusting the system CA
   * bundle (SSL_CERT_FILE, /etc/ssl/certs/ca-certificates.crt, ...) or, without one, node's
   * built-in Mozilla list.
   */
  private sharkclient(L: LState): number {
    const vm = this.vm;
    if (!this.clientRef) {
      this.push(L, { kind: 'ctx', ctx: new TlsContextDef({ server: false, ca: systemCaBundle().pems, cacheSize: 40 }) });
      this.clientRef = vm.ref(L);
    }
    vm.pushRef(L, this.clientRef);
    return 1;
  }

  // ---- socket methods -------------------------------------------------------

  /** The TLS state of a socket's connection, or null (plain, closed before it had one, UDP). */
  private info(s: LSock): ReturnType<typeof tlsInfo> {
    const so = s.conn?.sock;
    return so ? tlsInfo(so) : null;
  }

  private trusted(L: LState): number {
    const s = this.sockets.checkSock(L, 1, 'trusted');
    const info = this.info(s);
    if (!info) return this.sockets.nilErr(L, 'sslnotenabled');
    const name = this.ctx.args.optString(L, 2, 'trusted', s.host);
    const r = trusted(info, name);
    if (r === true) {
      this.vm.pushBoolean(L, true);
      return 1;
    }
    return this.sockets.nilErr(L, r);
  }

  private certificate(L: LState): number {
    const vm = this.vm;
    const s = this.sockets.checkSock(L, 1, 'certificate');
    const info = this.info(s);
    if (!info) return this.sockets.nilErr(L, 'sslnotenabled');
    if (!pushPeerCertificate(vm, L, info)) vm.pushNil(L);
    return 1;
  }

  private cipher(L: LState): number {
    const vm = this.vm;
    const s = this.sockets.checkSock(L, 1, 'cipher');
    const info = this.info(s);
    if (!info) return this.sockets.nilErr(L, 'sslnotenabled');
    // An accepted socket whose handshake has not completed yet.
    const [name, proto] = info.cipher ?? ['UNKNOWN', 'TLS_1_2'];
    vm.pushString(L, name);
    vm.pushString(L, proto);
    return 2;
  }

  private isresumed(L: LState): number {
    const s = this.sockets.checkSock(L, 1, 'isresumed');
    const info = this.info(s);
    if (!info) return this.sockets.nilErr(L, 'sslnotenabled');
    this.vm.pushBoolean(L, info.resumed);
    return 1;
  }

  private relsession(L: LState): number {
    const s = this.sockets.checkSock(L, 1, 'relsession');
    const info = this.info(s);
    // A plain socket has no session to release: false, as in BAS.
    if (!info) {
      this.vm.pushBoolean(L, false);
      return 1;
    }
    this.vm.pushBoolean(L, releaseSession(info));
    return 1;
  }

  /**
   * `sock:upgrade(ctx [, alpn])`: client-side STARTTLS on an established plain connection.
   * Own coroutine of a cosocket, or a blocking socket from any context; only the caller waits.
   * `true`; `false` when the socket is closed, already TLS or not a TCP connection;
   * `nil, err` when the handshake fails (the connection is then closed).
   */
  private upgrade(L: LState): number {
    const { vm, args, sched } = this.ctx;
    const sockets = this.sockets;
    const s = sockets.checkSock(L, 1, 'upgrade');
    const c = this.checkCtx(L, 2, 'upgrade');
    const alpn = args.isNoneOrNil(L, 3) ? undefined : args.checkString(L, 3, 'upgrade');
    const conn = s.conn;
    // A UDP socket: BAS tries the handshake and fails writing it.
    if (s.kind === 'udp' && !s.closed) return sockets.nilErr(L, 'socketwritefailed');
    if (s.closed || !conn || s.kind !== 'tcp' || this.info(s)) {
      vm.pushBoolean(L, false);
      return 1;
    }
    const cur = sched.current;
    if (s.owner && !s.owner.done && s.owner !== cur) throw new LuaRaise('Invalid op:  when socket is in cosocket mode');
    if (s.reader) throw new LuaRaise('Invalid op: another coroutine is already reading this socket');
    if (!cur) throw new LuaRaise('upgrade must run in a coroutine of the runtime');
    if (conn.ended) {
      // The peer is gone: nothing to shake hands with.
      sockets.closeSock(s);
      return sockets.nilErr(L, 'sslhandshake');
    }
    const raw = conn.sock;
    // Bytes that arrived after the plain exchange belong to the handshake: hand them back.
    const rest = conn.detach();
    if (rest.length) {
      // Paused, so the bytes stay buffered until node:tls reads them when it takes over.
      raw.pause();
      raw.unshift(rest);
    }
    const w = new SockWait('upgrade', cur, s);
    s.reader = w;
    let t: TLSSocket | null = null;
    // closeSock() while waiting: the detached conn no longer owns the socket, this hook does.
    const prevHook = s.closeHook;
    const restore = (): void => {
      s.closeHook = prevHook;
    };
    s.closeHook = (x: LSock) => {
      t?.destroy();
      raw.destroy();
      prevHook?.(x);
    };
    w.onAbort = () => {
      if (s.reader === w) s.reader = null;
      restore();
      t?.destroy();
      raw.destroy();
    };
    const done = (err: string | null, ts?: TLSSocket): void => {
      restore();
      if (w.done) {
        // The wait ended first (closed meanwhile, shutdown).
        ts?.destroy();
        raw.destroy();
        return;
      }
      w.complete((L) => {
        if (err || !ts) {
          sockets.closeSock(s);
          return sockets.nilErr(L, err ? layerError(err) : 'sslhandshake');
        }
        sockets.attachConn(s, ts);
        vm.pushBoolean(L, true);
        return 1;
      });
    };
    // A server context makes this side the TLS server (STARTTLS on an accepted connection).
    t = c.server ? upgradeServerTls(raw, c, done) : connectTls(raw, c, { host: s.host, port: raw.remotePort ?? 0, alpn: alpnList(alpn) }, done);
    return sched.suspend(L, w, 'upgrade');
  }
}

/** "h2,http/1.1" -> ["h2", "http/1.1"]. */
function alpnList(alpn: string | undefined): string[] | undefined {
  if (!alpn) return undefined;
  const l = alpn.split(',').map((x) => x.trim()).filter((x) => x !== '');
  return l.length ? l : undefined;
}

export function installTls(ctx: BaContext, sockets: SocketLib, ios: IoResolver): TlsLib {
  const lib = new TlsLib(ctx, sockets, ios);
  lib.install(ctx.vm.L);
  return lib;
}
