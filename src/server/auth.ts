/**
 * Authentication (issue 5 item 5): HTTP Basic and form login with a session cookie, users from
 * the configuration file, rules per URL prefix or app. Configuration (docs in README, "HTTP
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
import type { RequestAuth } from '../ba/request.js';
import { cookieValue } from '../ba/request.js';
import { SESSION_COOKIE, type Session, type SessionStore } from './sessions.js';
import type { RequestContext, Stage } from './stages.js';

export type AuthType = 'basic' | 'form';

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

/** User names and password digests; plain-text passwords never stay in here. */
export class UserDb {
  private readonly digests = new Map<string, Buffer>();

  /** `value` is a plain password or "sha256:<64 hex digits>". */
  add(name: string, value: string): void {
    const m = /^sha256:([0-9a-fA-F]{64})$/.exec(value);
    this.digests.set(name, m ? Buffer.from(m[1]!, 'hex') : sha256(Buffer.from(value, 'latin1')));
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
  const users = new UserDb();
  const u = raw.users;
  if (u !== undefined) {
    if (typeof u !== 'object' || u === null) throw new AuthConfigError("'users' must be a table of name = password");
    for (const [name, value] of Object.entries(u as Record<string, unknown>)) {
      if (typeof value !== 'string') throw new AuthConfigError(`'users.${name}' must be a string`);
      users.add(name, value);
    }
    raw.users = Object.fromEntries(Object.keys(u as object).map((k) => [k, '<hidden>']));
  }
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
      if (type !== 'basic' && type !== 'form') throw new AuthConfigError(`auth rule ${i}: type must be "basic" or "form"`);
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

/** Login and session state of one request (RequestAuth for the page's request object). */
export class ExchangeAuth implements RequestAuth {
  sess: Session | null;
  private basicUser: { name: string; type: string } | null = null;

  constructor(
    private readonly rc: RequestContext,
    private readonly sessions: SessionStore,
  ) {
    this.sess = sessions.get(cookieValue(rc.exchange.head.headers.get('cookie'), SESSION_COOKIE));
  }

  setBasicUser(name: string): void {
    this.basicUser = { name, type: 'basic' };
  }

  user(): { name: string; type: string } | null {
    return this.sess?.user ?? this.basicUser;
  }

  session_(create: boolean): Session | null {
    if (this.sess || !create) return this.sess;
    const s = this.sessions.create();
    this.sess = s;
    const secure = this.rc.exchange.secure ? '; Secure' : '';
    this.rc.exchange.response.addHeader('Set-Cookie', `${SESSION_COOKIE}=${s.id}; Path=/; HttpOnly; SameSite=Lax${secure}`);
    return s;
  }

  session(create: boolean): string | null {
    return this.session_(create)?.id ?? null;
  }

  logout(): void {
    if (this.sess) {
      this.sessions.terminate(this.sess.id);
      this.sess = null;
    }
    this.basicUser = null;
  }
}

/** Credentials of an Authorization: Basic field, or null. */
function basicCredentials(header: string | undefined): { name: string; password: string } | null {
  if (!header) return null;
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!m) return null;
  const text = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon < 0) return null;
  return { name: text.slice(0, colon), password: text.slice(colon + 1) };
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

/**
 * The auth stage: attaches login/session state to every request and, where a rule applies,
 * lets only authenticated (and allowed) users through. Basic rules answer 401 with a
 * challenge; form rules answer a login form that posts `ba_username`/`ba_password` (BAS's
 * field names) to the same URL, and redirect there after a successful login.
 */
export function authStage(cfg: AuthConfig, sessions: SessionStore): Stage {
  return (rc, next) => {
    const auth = new ExchangeAuth(rc, sessions);
    rc.auth = auth;
    const { head, response } = rc.exchange;
    const creds = basicCredentials(head.headers.get('authorization'));
    if (creds && cfg.users.verify(creds.name, creds.password)) auth.setBasicUser(creds.name);
    if (cfg.rules.length === 0) return next();
    // A malformed path is refused by routing; an unmatched one is public.
    const rule = rc.decodedPath === null ? null : matchRule(cfg.rules, rc.decodedPath);
    if (!rule) return next();
    const user = auth.user();
    if (user && (!rule.users || rule.users.has(user.name))) return next();

    const self = head.path + (head.query !== null ? `?${head.query}` : '');
    if (rule.type === 'form' && !user) {
      if (head.method === 'POST' && /^application\/x-www-form-urlencoded\b/i.test(head.headers.get('content-type') ?? '')) {
        const form = decodeForm(rc.exchange.body);
        const name = form.get('ba_username');
        const password = form.get('ba_password');
        if (name !== undefined && password !== undefined) {
          if (cfg.users.verify(name, password) && (!rule.users || rule.users.has(name))) {
            const s = auth.session_(true)!;
            s.user = { name, type: 'form' };
            // Post/Redirect/Get: the browser comes back with the cookie. (Not sendRedirect:
            // it clears the header fields, Set-Cookie included.)
            response.setStatus(303);
            response.setHeader('Location', self);
            response.setHeader('Cache-Control', 'no-store');
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
    response.sendError(401, undefined, [['WWW-Authenticate', `Basic realm="${rule.realm.replace(/["\\]/g, '')}", charset="UTF-8"`]]);
  };
}

function sendLogin(rc: RequestContext, action: string, rule: AuthRule, failed: boolean): void {
  const response = rc.exchange.response;
  if (response.headersSent) return;
  response.discard();
  response.setStatus(401);
  response.setContentType('text/html; charset=utf-8');
  response.setHeader('Cache-Control', 'no-store');
  response.end(loginForm(action, rule.realm, failed));
}
