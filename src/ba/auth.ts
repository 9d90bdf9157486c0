/**
 * The BAS authentication API in Lua: `ba.create.authuser`, `jsonuser`, `authorizer`,
 * `authenticator` (types basic, digest, form, sform, auth, dav), the session object of
 * `request:session()` and `ba.session`, `ba.sessions`, `ba.users`, `ba.tracker`, and
 * `request:login`/`logout`/`user`/`session`. The flows are in src/ba/auth-lua.ts; the host
 * primitives here apply src/ba/auth-core.ts (the same code remora's configuration-file rules
 * use, src/server/auth.ts).
 *
 * For protected directories: `pushAuthCheck(L)` pushes the Lua function
 * `check(authenticator, request, relpath [, authorizer]) -> boolean` (true: go on; false: the
 * authenticator, or a 403 for a refused authorization, has answered).
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { T_NUMBER, T_STRING, type LState } from '../vm/lua-vm.js';
import { HandleTag, newTaggedBlock } from '../vm/handles.js';
import { pushRecord } from '../vm/lua-values.js';
import type { BaContext } from './context.js';
import { LuaRaise } from '../vm/lua-error.js';
import type { LRequest, RequestLib } from './request.js';
import { AUTH_LUA } from './auth-lua.js';
import {
  FORM_LOGIN_COOKIE,
  SESSION_COOKIE,
  DigestNonces,
  LoginTracker,
  RequestSession,
  SessionStore,
  basicCredentials,
  challenge,
  digestCredentials,
  digestExpected,
  digestHA1,
  peerAddress,
  safeEqual,
  type AuthType,
  type Session,
} from './auth-core.js';

export interface TrackerConfig {
  nodes?: number;
  maxlogin?: number;
  bantime?: number;
}

const INCORRECT = "<html><body style='background:red'><h1>Incorrect credentials</h1></body></html>";
const SEED_KEY = randomBytes(32);

const libs = new WeakMap<BaContext, AuthLib>();

/** The auth library installed on this context, if any (for protected directories). */
export function authLibOf(ctx: BaContext): AuthLib | undefined {
  return libs.get(ctx);
}

export class AuthLib {
  readonly nonces = new DigestNonces();
  readonly tracker: LoginTracker;
  private readonly mtRefs = new Map<string, number>();
  private checkRef = 0;
  private endedRef = 0;
  private checkerRef = 0;

  constructor(
    readonly ctx: BaContext,
    readonly requests: RequestLib,
    readonly store: SessionStore,
    tracker: TrackerConfig = {},
  ) {
    this.tracker = new LoginTracker(tracker.nodes ?? 100, tracker.maxlogin ?? 4, tracker.bantime ?? 600);
    libs.set(ctx, this);
  }

  /** Pushes check(authenticator, request, relpath [, authorizer]) -> boolean. */
  pushAuthCheck(L: LState): void {
    this.ctx.vm.pushRef(L, this.checkRef);
  }

  /** Pushes checker(authenticator, authorizer|nil) -> the directory function of a protected directory. */
  pushCheckMaker(L: LState): void {
    this.ctx.vm.pushRef(L, this.checkerRef);
  }

  /** The request's login state (made on first use when the pipeline gave it none). */
  reqSession(r: LRequest): RequestSession {
    if (!r.auth) r.auth = new RequestSession(r.exchange, this.store);
    return r.auth;
  }

  install(L: LState): void {
    const { vm } = this.ctx;
    // ba.create must exist before the chunk fills it.
    this.ctx.pushBa(L);
    if (vm.getField(L, -1, 'create') !== 5 /* LUA_TTABLE */) {
      vm.pop(L, 1);
      vm.newTable(L);
      vm.pushValue(L, -1);
      vm.setField(L, -3, 'create');
    }
    vm.pop(L, 2);
    const err = vm.load(L, AUTH_LUA, '=auth');
    if (err) throw err;
    vm.newTable(L);
    for (const [name, fn] of Object.entries(this.primitives())) vm.setHost(L, -1, name, fn);
    this.requests.pushMethods(L);
    vm.pushHost(L, 'trace', (L) => {
      this.ctx.log.write(`${vm.toStr(L, 1) ?? ''}\n`);
      return 0;
    });
    const perr = vm.pcall(L, 3, 3);
    if (perr) throw perr;
    this.checkerRef = vm.ref(L);
    this.endedRef = vm.ref(L);
    this.checkRef = vm.ref(L);
    this.store.onTerminate = (s) => this.ended(s);
  }

  /** A session ended: its Lua attributes go and its onterminate runs, in a task of its own. */
  private ended(s: Session): void {
    const { vm, sched } = this.ctx;
    sched.post(() => {
      const task = sched.create('job', {
        onError: (_t, e) => this.ctx.log.write(`Session.onterminate failed: ${e.message}\n`),
      });
      vm.pushRef(task.co, this.endedRef);
      vm.pushInteger(task.co, s.id);
      sched.resume(task, 1);
    });
  }

  private req(L: LState, i: number): LRequest {
    return this.requests.checkRequest(L, i, 'authenticate');
  }

  private str(L: LState, i: number): string {
    const b = this.ctx.vm.toBytes(L, i);
    return b ? b.toString('latin1') : '';
  }

  private pushStr(L: LState, s: string): void {
    this.ctx.vm.pushBytes(L, Buffer.from(s, 'latin1'));
  }

  /** name, password, type of the logged-in user ("?" for request:login), or nil. */
  private pushUser(L: LState, u: { name: string; password: string; type: AuthType } | null): number {
    const vm = this.ctx.vm;
    if (!u) {
      vm.pushNil(L);
      return 1;
    }
    this.pushStr(L, u.name);
    this.pushStr(L, u.password);
    vm.pushString(L, u.type === 'lua' ? '?' : u.type);
    return 3;
  }

  private pushList(L: LState, items: ReadonlyArray<string | number>): number {
    const vm = this.ctx.vm;
    vm.newTable(L, items.length, 0);
    items.forEach((v, i) => {
      if (typeof v === 'number') vm.pushInteger(L, v);
      else this.pushStr(L, v);
      vm.rawSetI(L, -2, i + 1);
    });
    return 1;
  }

  /** A sequence of records whose numbers are integers and strings Latin-1 (the tracker's lists). */
  private pushRecords(L: LState, rows: ReadonlyArray<Record<string, string | number>>): number {
    pushRecord(this.ctx.vm, L, rows, { latin1: true });
    return 1;
  }

  private seedKey(seed: number): number {
    return createHmac('sha256', SEED_KEY).update(String(seed)).digest().readUInt32BE(0) >>> 1;
  }

  private absoluteUrl(r: LRequest, path: string): string {
    const u = r.url();
    const at = u.indexOf('/', u.indexOf('//') + 2);
    return (at < 0 ? u : u.slice(0, at)) + path;
  }

  private primitives(): Record<string, (L: LState) => number> {
    const { vm } = this.ctx;
    const store = this.store;
    const bool = (L: LState, b: boolean): number => {
      vm.pushBoolean(L, b);
      return 1;
    };
    return {
      setmt: (L) => {
        vm.pushValue(L, 2);
        this.mtRefs.set(this.str(L, 1), vm.ref(L));
        return 0;
      },
      newud: (L) => {
        newTaggedBlock(vm, L, HandleTag.authObject, 4, this.mtRefs.get(this.str(L, 1)) ?? 0);
        return 1;
      },
      isrequest: (L) => bool(L, this.requests.toRequest(L, 1) !== null),
      printfn: (L) => {
        this.req(L, 1);
        this.requests.pushPrint(L, 1);
        return 1;
      },
      user: (L) => this.pushUser(L, this.reqSession(this.req(L, 1)).user()),
      session: (L) => {
        const r = this.req(L, 1);
        const s = this.reqSession(r).session(vm.toBoolean(L, 2) && r.live && !r.taken);
        if (s) vm.pushInteger(L, s.id);
        else vm.pushNil(L);
        return 1;
      },
      login: (L) => {
        const r = this.req(L, 1);
        const ok = this.reqSession(r).login(this.str(L, 2), this.str(L, 3), this.str(L, 4) as AuthType, vm.toInteger(L, 5) ?? 3, vm.toBoolean(L, 6), vm.toInteger(L, 7) ?? 0);
        return bool(L, ok);
      },
      logout: (L) => bool(L, this.reqSession(this.req(L, 1)).logout(vm.toBoolean(L, 2))),
      basic: (L) => {
        const c = basicCredentials(this.req(L, 1).exchange.head.headers.get('authorization'));
        if (!c) return 0;
        this.pushStr(L, c.name);
        this.pushStr(L, c.password);
        return 2;
      },
      digest: (L) => {
        const f = digestCredentials(this.req(L, 1).exchange.head.headers.get('authorization'));
        if (!f) return 0;
        pushRecord(vm, L, { username: f.username }, { latin1: true });
        return 1;
      },
      pwdok: (L) => {
        const [realm, name, upwd, pwd, ct] = [1, 2, 3, 4, 5].map((i) => this.str(L, i));
        if (vm.type(L, 3) !== T_STRING) return bool(L, false);
        if (ct === 'valid') return bool(L, true);
        if (ct === 'ha1') return bool(L, safeEqual(digestHA1(name!, realm!, upwd!), pwd!.toLowerCase()));
        return bool(L, pwd !== '' && safeEqual(upwd!, pwd!));
      },
      digestok: (L) => {
        const r = this.req(L, 1);
        const realm = this.str(L, 2);
        const pwd = this.str(L, 3);
        const ct = this.str(L, 4);
        const head = r.exchange.head;
        const f = digestCredentials(head.headers.get('authorization'));
        const target = head.path + (head.query !== null ? `?${head.query}` : '');
        if (!f || f.realm !== realm || (f.uri !== target && f.uri !== head.path)) {
          vm.pushString(L, 'bad');
          return 1;
        }
        const ha1 = ct === 'ha1' ? pwd.toLowerCase() : digestHA1(f.username, realm, pwd);
        if (!safeEqual(digestExpected(head.method, f, ha1), f.response.toLowerCase())) {
          vm.pushString(L, 'bad');
          return 1;
        }
        const n = this.nonces.check(f.nonce, f.qop ? f.nc : undefined);
        vm.pushString(L, n === 'ok' ? 'ok' : n === 'stale' ? 'stale' : 'bad');
        return 1;
      },
      challenge: (L) => {
        const r = this.req(L, 1);
        const kind = this.str(L, 2) === 'basic' ? 'basic' : 'digest';
        const res = r.exchange.response;
        res.setHeader('WWW-Authenticate', challenge(kind, this.str(L, 3), kind === 'digest' ? this.nonces.make() : '', vm.toBoolean(L, 4)));
        res.setStatus(401);
        return 0;
      },
      daverror: (L) => {
        const r = this.req(L, 1);
        const realm = this.str(L, 2);
        r.exchange.response.sendError(401, undefined, [
          ['WWW-Authenticate', challenge('basic', realm, '')],
          ['WWW-Authenticate', challenge('digest', realm, this.nonces.make())],
        ]);
        return 0;
      },
      hasauth: (L) => bool(L, this.req(L, 1).exchange.head.headers.get('authorization') !== undefined),
      setstatus: (L) => {
        this.req(L, 1).exchange.response.setStatus(vm.toInteger(L, 2) ?? 500);
        return 0;
      },
      committed: (L) => {
        const r = this.req(L, 1);
        return bool(L, r.taken || r.exchange.response.headersSent);
      },
      forbidden: (L) => {
        this.req(L, 1).exchange.response.sendError(403);
        return 0;
      },
      defaultpage: (L) => {
        const r = this.req(L, 1);
        if (!r.live || r.taken) return 0;
        const res = r.exchange.response;
        res.setContentType('text/html; charset=utf-8');
        res.setHeader('Cache-Control', 'no-store, no-cache, must-revalidate, max-age=0');
        res.write(Buffer.from(INCORRECT));
        return 0;
      },
      seed: (L) => {
        let seed = 0;
        while (seed === 0) seed = randomBytes(4).readUInt32BE(0) >>> 1;
        vm.pushString(L, String(seed));
        vm.pushString(L, String(this.seedKey(seed)));
        return 2;
      },
      formcreds: (L) => {
        const p = this.req(L, 1).params;
        for (const k of ['ba_username', 'ba_password', 'ba_seed', 'ba_seedkey']) {
          const v = p.get(k);
          if (v === undefined) vm.pushNil(L);
          else this.pushStr(L, v);
        }
        return 4;
      },
      seedok: (L) => {
        const [upwd, seed, seedkey, pwd] = [1, 2, 3, 4].map((i) => this.str(L, i));
        const n = Number.parseInt(seed!, 10);
        if (!/^[0-9a-fA-F]{40}$/.test(upwd!) || !Number.isFinite(n) || String(this.seedKey(n)) !== seedkey || pwd === '') return bool(L, false);
        const want = createHash('sha1').update(Buffer.from(pwd! + String(n), 'latin1')).digest('hex');
        return bool(L, safeEqual(want, upwd!.toLowerCase()));
      },
      formredirect: (L) => {
        const r = this.req(L, 1);
        const res = r.exchange.response;
        if (res.headersSent) return 0;
        const jar = res.cookies();
        const first = r.exchange.head.headers.getAll('cookie')[0];
        // As BAS: a session cookie made on HTTPS is marked secure.
        if (r.exchange.secure) {
          const sc = jar.received(first, SESSION_COOKIE);
          if (sc >= 0) jar.list[sc].secure = true;
        }
        // As BAS: back to the URL kept in the form-login cookie, which is then deleted.
        const i = jar.received(first, FORM_LOGIN_COOKIE);
        const back = i >= 0 ? jar.list[i] : null;
        let location = this.absoluteUrl(r, r.exchange.head.path);
        if (back?.value) {
          location = back.value;
          back.path = '/';
          back.deleted = true;
          back.active = true;
        }
        res.discard();
        res.setStatus(302);
        res.setHeader('Location', location);
        res.setHeader('Cache-Control', 'no-store, no-cache, must-revalidate, max-age=0');
        res.setHeader('Content-Length', '0');
        res.end();
        return 0;
      },
      rememberurl: (L) => {
        const r = this.req(L, 1);
        const h = r.exchange.head;
        if (r.params.size === 0 || h.headers.get('x-requested-with') !== undefined) return 0;
        // The cookie's value is percent-encoded as BAS's are (`?` as %3f).
        const url = this.absoluteUrl(r, h.path) + (h.query !== null ? `?${h.query}` : '');
        const jar = r.exchange.response.cookies();
        const c = jar.list[jar.create(FORM_LOGIN_COOKIE)];
        c.value = url;
        c.path = '/';
        c.active = true;
        return 0;
      },
      formfirst: (L) => {
        const rs = this.reqSession(this.req(L, 1));
        const u = rs.user();
        if (!u || !u.firstTime) return 0;
        u.firstTime = false;
        const jar = rs.exchange.response.cookies();
        const i = jar.received(rs.exchange.head.headers.getAll('cookie')[0], FORM_LOGIN_COOKIE);
        if (i >= 0) {
          const c = jar.list[i];
          c.path = '/';
          c.value = '';
          c.active = true;
        }
        return 0;
      },
      choose: (L) => {
        const h = this.req(L, 1).exchange.head.headers;
        const relpath = this.str(L, 2);
        const kind = this.str(L, 3);
        let how = h.get('authorization') ?? h.get('prefauth');
        if (!how && kind === 'dav') how = 'digest';
        if (!how) {
          if ((h.get('x-requested-with') ?? '').toLowerCase() === 'xmlhttprequest') how = 'digest';
          else if (!(relpath === '' || relpath.endsWith('/') || /(html|htm|lsp|csp)$/.test(relpath))) how = 'digest';
        }
        vm.pushString(L, how === undefined ? 'form' : how.slice(0, 5).toLowerCase() === 'basic' ? 'basic' : 'digest');
        return 1;
      },
      tvalidate: (L) => {
        const v = this.tracker.validate(peerAddress(this.req(L, 1).exchange));
        vm.pushBoolean(L, v.ok);
        vm.pushInteger(L, v.attempts);
        return 2;
      },
      tfailed: (L) => {
        const addr = peerAddress(this.req(L, 1).exchange);
        this.tracker.failed(addr, this.str(L, 2));
        vm.pushString(L, addr);
        return 1;
      },
      tlogin: (L) => {
        const addr = peerAddress(this.req(L, 1).exchange);
        this.tracker.login(addr, this.str(L, 2));
        vm.pushString(L, addr);
        return 1;
      },
      tattempted: (L) => this.pushRecords(L, this.tracker.attempted().map((n) => ({ counter: n.counter, aux: n.aux, addr: n.addr, name: n.name || '?', time: n.time }))),
      tsuccessful: (L) => this.pushRecords(L, this.tracker.successful),
      tclear: () => {
        this.tracker.clear();
        return 0;
      },
      sess: (L) => this.sessOp(L),
      sessbycookie: (L) => {
        const s = store.byCookieValue(this.str(L, 1));
        if (s) vm.pushInteger(L, s.id);
        else vm.pushNil(L);
        return 1;
      },
      sessions: (L) => this.pushList(L, vm.type(L, 1) === T_STRING ? store.ids(this.str(L, 1)) : store.ids()),
      users: (L) => this.pushList(L, store.userNames()),
    };
  }

  private sessOp(L: LState): number {
    const { vm } = this.ctx;
    const op = this.str(L, 1);
    const s = vm.type(L, 2) === T_NUMBER ? this.store.byNumber(vm.toInteger(L, 2) ?? -1) : null;
    const int = (n: number): number => {
      vm.pushInteger(L, n);
      return 1;
    };
    switch (op) {
      case 'alive':
        vm.pushBoolean(L, s !== null);
        return 1;
      case 'terminate':
        vm.pushBoolean(L, s !== null && this.store.terminate(s));
        return 1;
      case 'lastaccess':
        if (!s) return int(-1);
        if (vm.toBoolean(L, 3)) s.lastAccess = Date.now();
        return int(Math.floor(s.lastAccess / 1000));
    }
    if (!s) throw new LuaRaise('session expired');
    switch (op) {
      case 'cookie':
        vm.pushString(L, s.cookie);
        return 1;
      case 'created':
        return int(Math.floor(s.created / 1000));
      case 'maxinactive':
        if (vm.type(L, 3) === T_NUMBER) s.maxInactiveS = Math.max(0, vm.toInteger(L, 3) ?? 0);
        return int(s.maxInactiveS);
      case 'peer':
        vm.pushString(L, s.peer);
        return 1;
      case 'usecounter':
        return int(s.useCounter);
      case 'user':
        return this.pushUser(L, s.user);
      case 'lock':
        s.locks++;
        return 0;
      case 'unlock':
        if (s.locks > 0) s.locks--;
        return 0;
    }
    return 0;
  }
}

/** Installs the authentication API (the HTTP server does, after the request object). */
export function installAuth(ctx: BaContext, requests: RequestLib, store: SessionStore, tracker?: TrackerConfig): AuthLib {
  const lib = new AuthLib(ctx, requests, store, tracker);
  lib.install(ctx.vm.L);
  return lib;
}

