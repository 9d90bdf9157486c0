/**
 * HTTP sessions: an id in a cookie, server-side state (the logged-in user of form
 * authentication, and the Lua table a page gets from `request:session()`). Ids are 32 random
 * bytes (base64url); a session idle for longer than its max inactive interval is dropped.
 */
import { randomBytes } from 'node:crypto';
import type { SessionOps } from '../ba/request.js';

/** BAS's session cookie name, so browsers and scripts see the same cookie. */
export const SESSION_COOKIE = 'z9ZAqJtI';
const DEFAULT_MAX_INACTIVE_S = 20 * 60;

export interface Session {
  readonly id: string;
  readonly created: number;
  lastAccess: number;
  maxInactiveS: number;
  /** Set by form login. */
  user: { name: string; type: string } | null;
  /** Registry ref of the Lua session table, 0 when none was made. */
  ref: number;
}

export class SessionStore implements SessionOps {
  private readonly sessions = new Map<string, Session>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    /** Frees a Lua registry reference (the VM's unref). */
    private readonly unref: (ref: number) => void,
    private readonly now: () => number = Date.now,
  ) {
    this.sweeper = setInterval(() => this.sweep(), 30_000);
    this.sweeper.unref();
  }

  /** The live session with this id (touching it), or null. */
  get(id: string | undefined): Session | null {
    if (!id) return null;
    const s = this.sessions.get(id);
    if (!s) return null;
    const t = this.now();
    if (t - s.lastAccess > s.maxInactiveS * 1000) {
      this.terminate(id);
      return null;
    }
    s.lastAccess = t;
    return s;
  }

  create(): Session {
    const t = this.now();
    const s: Session = { id: randomBytes(32).toString('base64url'), created: t, lastAccess: t, maxInactiveS: DEFAULT_MAX_INACTIVE_S, user: null, ref: 0 };
    this.sessions.set(s.id, s);
    return s;
  }

  terminate(id: string): boolean {
    const s = this.sessions.get(id);
    if (!s) return false;
    this.sessions.delete(id);
    if (s.ref) this.unref(s.ref);
    s.ref = 0;
    s.user = null;
    return true;
  }

  get size(): number {
    return this.sessions.size;
  }

  // ---- SessionOps (Lua session objects) ------------------------------------------------------

  tableRef(id: string): number {
    return this.sessions.get(id)?.ref ?? 0;
  }

  setTableRef(id: string, ref: number): void {
    const s = this.sessions.get(id);
    if (s) s.ref = ref;
    else this.unref(ref);
  }

  op(id: string, op: string, arg: number | null): string | number | boolean | null {
    if (op === 'terminate') return this.terminate(id);
    const s = this.sessions.get(id);
    if (!s) return null;
    switch (op) {
      case 'maxinactive':
        if (arg !== null && arg > 0) s.maxInactiveS = Math.floor(arg);
        return s.maxInactiveS;
      case 'lastaccessed':
        return Math.floor(s.lastAccess / 1000);
      case 'created':
        return Math.floor(s.created / 1000);
      case 'user':
        return s.user?.name ?? null;
      default:
        return null;
    }
  }

  private sweep(): void {
    const t = this.now();
    for (const s of [...this.sessions.values()]) if (t - s.lastAccess > s.maxInactiveS * 1000) this.terminate(s.id);
  }

  close(): void {
    clearInterval(this.sweeper);
  }
}
