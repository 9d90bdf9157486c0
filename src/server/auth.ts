/**
 * Authentication rules of the configuration file: HTTP Basic, Digest and form login with a
 * session cookie, users from the configuration file, rules per URL prefix or app. The flows and
 * checks are the ones of the Lua API's authenticators (src/ba/auth-core.ts). Configuration (docs in README, "HTTP
 * server"):
 *
 *   users = { admin = "secret", ops = "sha256:<hex of SHA-256(password)>" }
 *   auth  = { { path = "/private/", type = "basic", realm = "Private" },
 *             { app = "chat", type = "form", users = { "admin" } } }
 *
 * Passwords are turned into SHA-256 digests while the configuration is read and the plain
 * text is dropped from the parsed configuration; a login hashes the candidate and compares
 * digests with crypto.timingSafeEqual (an unknown user is compared against a dummy digest, so
 * timing does not tell which names exist). Passwords and Authorization values are never
 * logged.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { escapeHtml } from '../http/error-page.js';
import { decodeForm } from '../http/form-decoder.js';
import {
  DigestNonces,
  RequestSession,
  basicCredentials,
  challenge,
  digestCredentials,
  digestExpected,
  digestHA1,
  safeEqual,
  type SessionStore,
} from '../ba/auth-core.js';
import type { RequestContext, Stage } from './stages.js';
import type { Runtime } from '../app/runtime.js';
import { authLibOf } from '../ba/auth.js';

export type AuthType = 'basic' | 'digest' | 'form';

export interface AuthRule {
  /** Decoded URL prefix the rule protects ("/private/"); "/" protects everything. */
  prefix: string;
  type: AuthType;
  realm: string;
  /** Users allowed; null = every configured user. */
  users: Set<string> | null;
}

export class AuthConfigError extends Error {}

const sha256 = (s: string | Buffer): Buffer => createHash('sha256').update(s).digest();
const DUMMY = sha256('remora: no such user');

/**
 * User names and password digests; plain-text passwords never stay in here. For Digest rules
 * the HA1 of each realm is kept (computed from a plain password while the configuration is
 * read; a "sha256:" user cannot log in with Digest).
 */
export class UserDb {
  private readonly digests = new Map<string, Buffer>();
  private readonly ha1s = new Map<string, string>();

  /** `value` is a plain password or "sha256:<64 hex digits>"; `realms`: of the Digest rules. */
  add(name: string, value: string, realms: readonly string[] = []): void {
    const m = /^sha256:([0-9a-fA-F]{64})$/.exec(value);
    this.digests.set(name, m ? Buffer.from(m[1]!, 'hex') : sha256(Buffer.from(value, 'latin1')));
    if (!m) for (const realm of realms) this.ha1s.set(`${realm}\0${name}`, digestHA1(name, realm, value));
  }

  /** The user's Digest HA1 for `realm`, if known. */
  ha1(name: string, realm: string): string | undefined {
    return this.ha1s.get(`${realm}\0${name}`);
  }

  get size(): number {
    return this.digests.size;
  }

  /** Constant-time check of a login (the digest comparison; hashing does not depend on the stored value). */
  verify(name: string, password: string): boolean {
    const want = this.digests.get(name);
    const got = sha256(Buffer.from(password, 'latin1'));
    const ok = timingSafeEqual(want ?? DUMMY, got);
    return ok && want !== undefined;
  }
}

export interface AuthConfig {
  users: UserDb;
  rules: AuthRule[];
}

function normPrefix(p: string): string {
  if (!p.startsWith('/')) p = '/' + p;
  return p;
}

/**
 * Reads `users` and `auth` from the raw configuration table, and removes the passwords from
 * it (the raw table is kept for `mako` and apps).
 */
export function parseAuthConfig(raw: Record<string, unknown>): AuthConfig {
  const rules: AuthRule[] = [];
  const a = raw.auth;
  if (a !== undefined) {
    if (typeof a !== 'object' || a === null) throw new AuthConfigError("'auth' must be a list of rules");
    for (const [i, r] of Object.entries(a as Record<string, unknown>)) {
      if (typeof r !== 'object' || r === null) throw new AuthConfigError(`auth rule ${i} must be a table`);
      const rule = r as Record<string, unknown>;
      let prefix: string;
      if (typeof rule.path === 'string') prefix = normPrefix(rule.path);
      else if (typeof rule.app === 'string') prefix = rule.app === '' ? '/' : `/${rule.app}/`;
      else throw new AuthConfigError(`auth rule ${i} needs 'path' or 'app'`);
      const type = rule.type ?? 'basic';
      if (type !== 'basic' && type !== 'digest' && type !== 'form') throw new AuthConfigError(`auth rule ${i}: type must be "basic", "digest" or "form"`);
      let allowed: Set<string> | null = null;
      if (rule.users !== undefined) {
        if (typeof rule.users !== 'object' || rule.users === null) throw new AuthConfigError(`auth rule ${i}: 'users' must be a list of names`);
        allowed = new Set(Object.values(rule.users as Record<string, unknown>).filter((x): x is string => typeof x === 'string'));
      }
      rules.push({ prefix, type, realm: typeof rule.realm === 'string' ? rule.realm : 'remora', users: allowed });
    }
  }
  // Most specific prefix first.
  rules.sort((x, y) => y.prefix.length - x.prefix.length);
  const realms = [...new Set(rules.filter((r) => r.type === 'digest').map((r) => r.realm))];
  const users = new UserDb();
  const u = raw.users;
  if (u !== undefined) {
    if (typeof u !== 'object' || u === null) throw new AuthConfigError("'users' must be a table of name = password");
    for (const [name, value] of Object.entries(u as Record<string, unknown>)) {
      if (typeof value !== 'string') throw new AuthConfigError(`'users.${name}' must be a string`);
      users.add(name, value, realms);
    }
    raw.users = Object.fromEntries(Object.keys(u as object).map((k) => [k, '<hidden>']));
  }
  return { users, rules };
}

/** The rule protecting a decoded path, or null. */
export function matchRule(rules: readonly AuthRule[], path: string): AuthRule | null {
  for (const r of rules) {
    const p = r.prefix;
    if (path === p || path.startsWith(p.endsWith('/') ? p : p + '/')) return r;
    if (p.endsWith('/') && path === p.slice(0, -1)) return r;
  }
  return null;
}

/**
 * The auth stage: attaches login/session state to every request and, where a rule applies,
 * lets only authenticated (and allowed) users through, with the flows of BAS's authenticators
 * (src/ba/auth-core.ts, shared with the Lua API): Basic and Digest answer 401 with a challenge;
 * form rules answer a login form that posts `ba_username`/`ba_password` (BAS's field names) to
 * the same URL and redirect there (302, absolute Location) after a successful login. Every
 * login puts the user into a session, so the session cookie authenticates later requests
 * (WebSocket upgrades included).
 */
export function authStage(cfg: AuthConfig, sessions: SessionStore, nonces: DigestNonces = new DigestNonces()): Stage {
  return (rc, next) => {
    const auth = new RequestSession(rc.exchange, sessions);
    rc.auth = auth;
    if (cfg.rules.length === 0) return next();
    // A malformed path is refused by routing; an unmatched one is public.
    const rule = rc.decodedPath === null ? null : matchRule(cfg.rules, rc.decodedPath);
    if (!rule) return next();
    const { head, response } = rc.exchange;
    let user = auth.user();
    if (!user && rule.type === 'basic') {
      const c = basicCredentials(head.headers.get('authorization'));
      if (c && cfg.users.verify(c.name, c.password) && auth.login(c.name, '', 'basic', LOGINS, true, 0)) user = auth.user();
    } else if (!user && rule.type === 'digest') {
      const f = digestCredentials(head.headers.get('authorization'));
      const ha1 = f ? cfg.users.ha1(f.username, rule.realm) : undefined;
      const target = head.path + (head.query !== null ? `?${head.query}` : '');
      if (f && f.realm === rule.realm && (f.uri === target || f.uri === head.path)) {
        const match = safeEqual(digestExpected(head.method, f, ha1 ?? '-'), f.response.toLowerCase()) && ha1 !== undefined;
        const n = match ? nonces.check(f.nonce, f.qop ? f.nc : undefined) : 'bad';
        if (n === 'ok' && auth.login(f.username, '', 'digest', LOGINS, true, 0)) user = auth.user();
        else if (n === 'stale') {
          response.sendError(401, undefined, [['WWW-Authenticate', challenge('digest', rule.realm, nonces.make(), true)]]);
          return;
        }
      }
    }
    if (user && (!rule.users || rule.users.has(user.name))) return next();

    const self = head.path + (head.query !== null ? `?${head.query}` : '');
    if (rule.type === 'form' && !user) {
      if (head.method === 'POST' && /^application\/x-www-form-urlencoded\b/i.test(head.headers.get('content-type') ?? '')) {
        const form = decodeForm(rc.exchange.body);
        const name = form.get('ba_username');
        const password = form.get('ba_password');
        if (name !== undefined && password !== undefined) {
          if (cfg.users.verify(name, password) && (!rule.users || rule.users.has(name)) && auth.login(name, '', 'form', LOGINS, true, 0)) {
            // The browser comes back with the cookie (not sendRedirect: it clears the header
            // fields, Set-Cookie included).
            const host = head.headers.get('host') ?? '';
            response.setStatus(302);
            response.setHeader('Location', host ? `${rc.exchange.secure ? 'https' : 'http'}://${host}${self}` : self);
            response.setHeader('Cache-Control', 'no-store, no-cache, must-revalidate, max-age=0');
            response.end();
            return;
          }
          sendLogin(rc, self, rule, true);
          return;
        }
      }
      sendLogin(rc, self, rule, false);
      return;
    }
    if (user) {
      response.sendError(403);
      return;
    }
    const kind = rule.type === 'digest' ? 'digest' : 'basic';
    response.sendError(401, undefined, [['WWW-Authenticate', challenge(kind, rule.realm, kind === 'digest' ? nonces.make() : '') + (kind === 'basic' ? ', charset="UTF-8"' : '')]]);
  };
}

function loginForm(action: string, realm: string, failed: boolean): string {
  const msg = failed ? '<p class="error">Wrong user name or password.</p>' : '';
  return `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>${escapeHtml(realm)}: login</title></head>
<body><h1>${escapeHtml(realm)}</h1>${msg}
<form method="post" action="${escapeHtml(action)}">
<label>User <input name="ba_username" autocomplete="username"></label>
<label>Password <input name="ba_password" type="password" autocomplete="current-password"></label>
<button type="submit">Log in</button>
</form></body></html>
`;
}

/** Sessions one configured user may hold at once (the oldest is ended beyond that). */
const LOGINS = 16;

function sendLogin(rc: RequestContext, action: string, rule: AuthRule, failed: boolean): void {
  const response = rc.exchange.response;
  if (response.headersSent) return;
  response.discard();
  response.setStatus(401);
  response.setContentType('text/html; charset=utf-8');
  response.setHeader('Cache-Control', 'no-store');
  response.end(loginForm(action, rule.realm, failed));
}

/** What runs a directory function for a request (the page runner's runDirFunction). */
export type DirFunctionRun = (rc: RequestContext, funcRef: number, rel: string) => boolean | Promise<boolean>;

/**
 * Runs an authenticator (and optional authorizer), given as registry refs, for a request that
 * enters a protected directory: the Lua check of src/ba/auth.ts runs as a directory function
 * (a page task with the request objects, so the login response's response:forward walks the
 * directory tree as in a page). Resolves true when the request may go on; otherwise the
 * authenticator (its login response, challenge or redirect) or a 403 has answered.
 */
export function runAuthCheck(
  rt: Runtime,
  run: DirFunctionRun,
  rc: RequestContext,
  authRef: number,
  authorizerRef: number,
  relpath: string,
  /** dir:p403's page, forwarded to when the authorizer refuses. */
  p403: string | null = null,
): boolean | Promise<boolean> {
  const lib = authLibOf(rt.ctx);
  if (!lib || !authRef) return true;
  const { vm } = rt;
  const L = vm.L;
  if (!rc.auth) rc.auth = new RequestSession(rc.exchange, lib.store);
  lib.pushCheckMaker(L);
  vm.pushRef(L, authRef);
  if (authorizerRef) vm.pushRef(L, authorizerRef);
  else vm.pushNil(L);
  if (p403 !== null) vm.pushString(L, p403);
  else vm.pushNil(L);
  const err = vm.pcall(L, 3, 1);
  if (err) {
    rt.log.write(`remora: auth check: ${err.message}\n`);
    rc.exchange.response.sendError(500);
    return false;
  }
  const fnRef = vm.ref(L);
  // The directory function reports "handled" when the check answered the request.
  const r = run(rc, fnRef, relpath);
  if (r instanceof Promise) {
    return r.then(
      (handled) => {
        vm.unref(fnRef);
        return !handled;
      },
      () => {
        vm.unref(fnRef);
        return false;
      },
    );
  }
  vm.unref(fnRef);
  return !r;
}
