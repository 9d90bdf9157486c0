/**
 * The one implementation of authentication that both the BAS Lua API (ba.create.authenticator,
 * request:login, ...) and remora's configuration-file rules use: HTTP sessions with BAS's
 * cookie, the logged-in user of a session, credential checks (Basic, Digest, form), Digest
 * nonces, and the login tracker. No Lua here (src/ba/auth.ts is the binding).
 *
 * As in BAS, a successful login of any kind (Basic and Digest too) puts the user into a
 * session; later requests that carry the session cookie are authenticated by it. That is what
 * lets a browser that logged in with a form open a WebSocket on a protected page.
 *
 * Security properties: passwords and digests are compared in constant time (both sides are
 * MACed with a per-process key, then compared with timingSafeEqual); a Digest nonce carries its
 * creation time and a MAC with a per-process secret, is refused after NONCE_TTL_S ("stale"),
 * and each nonce count is accepted once (a replayed Authorization header is refused).
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { HttpExchange } from '../http/http-connection.js';
import { cookieValue } from '../http/cookies.js';
import { addrOf } from '../net/sock-addr.js';

/** BAS's session cookie name, so browsers and scripts see the same cookie. */
export const SESSION_COOKIE = 'z9ZAqJtI';
/** BAS's cookie holding the URL a form login returns to. */
export const FORM_LOGIN_COOKIE = '_zFL';
const DEFAULT_MAX_INACTIVE_S = 20 * 60;

export type AuthType = 'basic' | 'digest' | 'form' | 'lua';

export interface AuthUser {
  readonly name: string;
  /** What the user database returned (BAS hands it back from request:user()). */
  readonly password: string;
  readonly type: AuthType;
  /** Form login: the first request after the login redirect has not been seen yet. */
  firstTime: boolean;
}

export interface Session {
  readonly id: number;
  /** Cookie value: 24 hex digits. */
  readonly cookie: string;
  readonly created: number;
  lastAccess: number;
  maxInactiveS: number;
  useCounter: number;
  readonly peer: string;
  user: AuthUser | null;
  /** Held by session:lock(); a locked session does not time out. */
  locks: number;
  dead: boolean;
}

const MAC_KEY = randomBytes(32);
const mac = (s: string | Buffer): Buffer => createHmac('sha256', MAC_KEY).update(s).digest();

/** Constant-time string equality (the time does not depend on where the strings differ). */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(mac(Buffer.from(a, 'latin1')), mac(Buffer.from(b, 'latin1')));
}

export const md5hex = (s: string): string => createHash('md5').update(Buffer.from(s, 'latin1')).digest('hex');

/** Digest HA1 = MD5(user:realm:password). */
export const digestHA1 = (user: string, realm: string, password: string): string => md5hex(`${user}:${realm}:${password}`);

export class SessionStore {
  private readonly byCookie = new Map<string, Session>();
  private readonly byId = new Map<number, Session>();
  /** Sessions of each logged-in user name, oldest login first. */
  private readonly byUser = new Map<string, Session[]>();
  private nextId = (randomBytes(4).readUInt32BE(0) & 0x3fffffff) + 1;
  private readonly sweeper: NodeJS.Timeout;
  /** Called when a session ends (the Lua binding drops its attributes, runs onterminate). */
  onTerminate: ((s: Session) => void) | null = null;

  constructor(private readonly now: () => number = Date.now) {
    this.sweeper = setInterval(() => this.sweep(), 30_000);
    this.sweeper.unref();
  }

  /** The live session with this cookie value, or null (an expired one is ended here). */
  byCookieValue(cookie: string | undefined): Session | null {
    if (!cookie) return null;
    const s = this.byCookie.get(cookie);
    return s && this.alive(s) ? s : null;
  }

  byNumber(id: number): Session | null {
    const s = this.byId.get(id);
    return s && this.alive(s) ? s : null;
  }

  private alive(s: Session): boolean {
    if (s.dead) return false;
    if (s.locks === 0 && this.now() - s.lastAccess > s.maxInactiveS * 1000) {
      this.terminate(s);
      return false;
    }
    return true;
  }

  create(peer: string): Session {
    const t = this.now();
    let id = this.nextId++;
    if (this.nextId > 0x7fffffff) this.nextId = 1;
    while (this.byId.has(id)) id = this.nextId++;
    const s: Session = {
      id,
      cookie: randomBytes(12).toString('hex'),
      created: t,
      lastAccess: t,
      maxInactiveS: DEFAULT_MAX_INACTIVE_S,
      useCounter: 0,
      peer,
      user: null,
      locks: 0,
      dead: false,
    };
    this.byCookie.set(s.cookie, s);
    this.byId.set(id, s);
    return s;
  }

  touch(s: Session): void {
    s.lastAccess = this.now();
    s.useCounter++;
  }

  terminate(s: Session): boolean {
    if (s.dead) return false;
    s.dead = true;
    this.byCookie.delete(s.cookie);
    this.byId.delete(s.id);
    this.unlinkUser(s);
    this.onTerminate?.(s);
    return true;
  }

  private unlinkUser(s: Session): void {
    const u = s.user;
    if (!u) return;
    const list = this.byUser.get(u.name);
    if (list) {
      const i = list.indexOf(s);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) this.byUser.delete(u.name);
    }
  }

  /**
   * Puts `user` into session `s` (BAS's rules): at most `maxUsers` sessions per user name; when
   * that many exist, one of them is ended if it may be (see below), else the login is refused.
   */
  attach(s: Session, user: AuthUser, maxUsers: number, recycle: boolean, maxInactiveS: number): boolean {
    if (maxUsers < 1 || s.dead) return false;
    const list = this.byUser.get(user.name) ?? [];
    if (list.length >= maxUsers) {
      // As BAS: one session of the user is ended, the oldest that is not locked and either was
      // never used after its login or may be recycled.
      const victim = list.find((o) => o !== s && o.locks === 0 && (o.useCounter < 1 || recycle));
      if (!victim) return false;
      this.terminate(victim);
    }
    this.unlinkUser(s);
    s.user = user;
    const now = this.byUser.get(user.name) ?? [];
    now.push(s);
    this.byUser.set(user.name, now);
    if (maxInactiveS > 0) s.maxInactiveS = maxInactiveS;
    return true;
  }

  /** Logs the user of `s` out: with `all`, every session of that user name ends. */
  logout(s: Session, all: boolean): void {
    const u = s.user;
    if (u && all) for (const other of [...(this.byUser.get(u.name) ?? [])]) this.terminate(other);
    this.terminate(s);
  }

  /** Ids of every live session, or of the sessions of one user name. */
  ids(user?: string): number[] {
    if (user !== undefined) return (this.byUser.get(user) ?? []).filter((s) => this.alive(s)).map((s) => s.id);
    return [...this.byId.values()].filter((s) => this.alive(s)).map((s) => s.id);
  }

  userNames(): string[] {
    return [...this.byUser.keys()].sort();
  }

  get size(): number {
    return this.byId.size;
  }

  private sweep(): void {
    for (const s of [...this.byId.values()]) this.alive(s);
  }

  close(): void {
    clearInterval(this.sweeper);
  }
}

/** The session and login state of one request. */
export class RequestSession {
  private sess: Session | null | undefined;

  constructor(
    readonly exchange: HttpExchange,
    readonly store: SessionStore,
  ) {}

  /** The request's session (from its cookie), creating one (and its cookie) when `create`. */
  session(create: boolean): Session | null {
    if (this.sess === undefined || (this.sess && this.sess.dead)) {
      this.sess = this.store.byCookieValue(cookieValue(this.exchange.head.headers.get('cookie'), SESSION_COOKIE));
      if (this.sess) this.store.touch(this.sess);
    }
    if (this.sess || !create) return this.sess;
    const s = this.store.create(peerAddress(this.exchange));
    this.sess = s;
    // As BAS: a cookie of the response's list (sent with the head, after any made before it).
    const jar = this.exchange.response.cookies();
    const c = jar.list[jar.create(SESSION_COOKIE)];
    c.value = s.cookie;
    c.path = '/';
    c.httpOnly = true;
    c.active = true;
    return s;
  }

  user(): AuthUser | null {
    return this.session(false)?.user ?? null;
  }

  /** Logs `user` in (a session is made when there is none); false when BAS's user limit refuses it. */
  login(name: string, password: string, type: AuthType, maxUsers: number, recycle: boolean, maxInactiveS: number): boolean {
    if (maxUsers < 1) return false;
    const s = this.session(true);
    if (!s) return false;
    return this.store.attach(s, { name, password, type, firstTime: type === 'form' }, maxUsers, recycle, maxInactiveS);
  }

  /** request:logout: true when a user was logged in; without one, the session ends anyway. */
  logout(all: boolean): boolean {
    const s = this.session(false);
    if (!s) return false;
    const had = s.user !== null;
    this.store.logout(s, all && had);
    this.sess = null;
    return had;
  }
}

/** The peer's address as BAS prints it ("127.0.0.1"). */
export function peerAddress(exchange: HttpExchange): string {
  return addrOf(exchange.socket, true)?.[0] ?? '?';
}

// ---- credentials ------------------------------------------------------------------------------

/** User and password of an "Authorization: Basic" field, or null. */
export function basicCredentials(header: string | undefined): { name: string; password: string } | null {
  if (!header) return null;
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!m) return null;
  const text = Buffer.from(m[1]!, 'base64').toString('latin1');
  const colon = text.indexOf(':');
  if (colon < 0) return null;
  return { name: text.slice(0, colon), password: text.slice(colon + 1) };
}

export interface DigestFields {
  username: string;
  realm: string;
  nonce: string;
  uri: string;
  response: string;
  qop?: string;
  nc?: string;
  cnonce?: string;
  algorithm?: string;
  opaque?: string;
}

/** The fields of an "Authorization: Digest" field, or null when it is not a usable one. */
export function digestCredentials(header: string | undefined): DigestFields | null {
  if (!header) return null;
  const m = /^Digest\s+(.*)$/is.exec(header);
  if (!m) return null;
  const f: Record<string, string> = {};
  const re = /\s*([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*(?:,|$)/gy;
  const s = m[1]!;
  re.lastIndex = 0;
  while (re.lastIndex < s.length) {
    const p = re.exec(s);
    if (!p) return null;
    f[p[1]!.toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : p[3]!;
  }
  if (!f.username || f.realm === undefined || !f.nonce || !f.uri || !f.response) return null;
  if (f.algorithm && f.algorithm.toUpperCase() !== 'MD5') return null;
  if (f.qop && (f.qop !== 'auth' || !f.nc || !f.cnonce)) return null;
  return f as unknown as DigestFields;
}

const NONCE_TTL_S = 300;
const MAX_TRACKED_NONCES = 10_000;

/**
 * Digest nonces: 32 hex digits = creation time (4 bytes), random (4), MAC (8) with a
 * per-process secret. A nonce is good for NONCE_TTL_S; each (nonce, nc) is accepted once,
 * and without qop a nonce is good for one request.
 */
export class DigestNonces {
  private readonly secret = randomBytes(32);
  /** Highest nonce count accepted per nonce (0: used without qop). */
  private readonly used = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  make(): string {
    const b = Buffer.alloc(16);
    b.writeUInt32BE(Math.floor(this.now() / 1000) >>> 0, 0);
    randomBytes(4).copy(b, 4);
    createHmac('sha256', this.secret).update(b.subarray(0, 8)).digest().copy(b, 8, 0, 8);
    return b.toString('hex');
  }

  /** 'ok' (and the count is used up), 'stale' (a real nonce, too old), 'replay', or 'bad'. */
  check(nonce: string, nc: string | undefined): 'ok' | 'stale' | 'replay' | 'bad' {
    if (!/^[0-9a-f]{32}$/.test(nonce)) return 'bad';
    const b = Buffer.from(nonce, 'hex');
    const want = createHmac('sha256', this.secret).update(b.subarray(0, 8)).digest().subarray(0, 8);
    if (!timingSafeEqual(want, b.subarray(8))) return 'bad';
    const age = Math.floor(this.now() / 1000) - b.readUInt32BE(0);
    if (age < -5 || age > NONCE_TTL_S) return 'stale';
    const count = nc === undefined ? 0 : Number.parseInt(nc, 16);
    if (nc !== undefined && (!/^[0-9a-fA-F]{1,8}$/.test(nc) || count < 1)) return 'bad';
    const last = this.used.get(nonce);
    if (last !== undefined && (nc === undefined || count <= last)) return 'replay';
    this.used.delete(nonce);
    this.used.set(nonce, count);
    if (this.used.size > MAX_TRACKED_NONCES) this.used.delete(this.used.keys().next().value as string);
    return 'ok';
  }
}

/** The expected Digest `response` for a request, from HA1 (RFC 7616 with MD5, qop auth or none). */
export function digestExpected(method: string, f: DigestFields, ha1: string): string {
  const ha2 = md5hex(`${method}:${f.uri}`);
  return f.qop ? md5hex(`${ha1}:${f.nonce}:${f.nc}:${f.cnonce}:${f.qop}:${ha2}`) : md5hex(`${ha1}:${f.nonce}:${ha2}`);
}

/** The value of a WWW-Authenticate challenge as BAS sends it. */
export function challenge(kind: 'basic' | 'digest', realm: string, nonce: string, stale = false): string {
  const r = realm.replace(/["\\]/g, '');
  if (kind === 'basic') return `Basic realm="${r}"`;
  return `Digest realm="${r}", domain="/", qop="auth", nonce="${nonce}"${stale ? ', stale=true' : ''}`;
}

// ---- login tracker ----------------------------------------------------------------------------

export interface TrackerNode {
  counter: number;
  aux: number;
  addr: string;
  name: string;
  /** Seconds since the epoch of the last failed attempt. */
  time: number;
}

/**
 * BAS's login tracker: failed logins are counted per peer address (at most `nodes`
 * addresses, the least recently failing is forgotten first); an address with `maxLogin`
 * failures is banned for `banTime` seconds, after which it gets `maxLogin` more attempts.
 * The last 50 successful logins are kept.
 */
export class LoginTracker {
  private readonly nodes = new Map<string, TrackerNode>();
  readonly successful: Array<{ addr: string; name: string; time: number }> = [];

  constructor(
    readonly maxNodes = 100,
    readonly maxLogin = 4,
    readonly banTime = 600,
    private readonly now: () => number = () => Math.floor(Date.now() / 1000),
  ) {}

  /** May this address try to log in? When not, the attempt is counted and `attempts` is how many. */
  validate(addr: string): { ok: boolean; attempts: number } {
    const n = this.nodes.get(addr);
    if (!n || n.counter < this.maxLogin + n.aux) return { ok: true, attempts: 0 };
    if (this.now() > n.time + this.banTime) {
      n.aux += this.maxLogin;
      return { ok: true, attempts: 0 };
    }
    n.counter++;
    n.time = this.now();
    return { ok: false, attempts: n.counter - n.aux };
  }

  failed(addr: string, name: string): void {
    let n = this.nodes.get(addr);
    if (n) this.nodes.delete(addr);
    else {
      if (this.nodes.size >= this.maxNodes) this.nodes.delete(this.nodes.keys().next().value as string);
      n = { counter: 0, aux: 0, addr, name, time: 0 };
    }
    n.counter++;
    n.time = this.now();
    if (name) n.name = name;
    this.nodes.set(addr, n);
  }

  login(addr: string, name: string): void {
    this.nodes.delete(addr);
    this.successful.push({ addr, name, time: this.now() });
    if (this.successful.length > 50) this.successful.shift();
  }

  attempted(): TrackerNode[] {
    return [...this.nodes.values()];
  }

  clear(): void {
    this.nodes.clear();
  }
}
