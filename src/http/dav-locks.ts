/**
 * The write locks of one WebDAV directory (DAV class 2, exclusive write locks only), kept as
 * BAS keeps them: the lock table (name, timeout, expiry) lives in memory, and each lock's owner
 * (the XML of the LOCK request's `<D:owner>` element) is a file "L<n>" (n in hex, counted from
 * 0 for each directory object) in the lock directory. PROPFIND and LOCK answers print that file
 * as it is; UNLOCK and expiry remove it. As in BAS, a restart starts with no locks: the files
 * left behind are overwritten when their numbers come round again.
 *
 * A lock belongs to a name (relative to the directory; a trailing "/" does not count) and
 * lasts its timeout plus one minute, counted from the LOCK or from its last refresh. A lock on
 * a name that does not exist is a "lock-null" resource: PROPFIND shows it until it goes.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface DavLock {
  token: string;
  /** Number of the owner file ("L" + hex). */
  file: number;
  /** Timeout in seconds, as granted. */
  timeout: number;
  /** When the lock ends (ms since the epoch). */
  expires: number;
}

/** Result codes of the lock manager (BAS's: 0 ok, -1 locking disabled, -2 already locked, -3 not found, -4 full). */
export type LockResult = 0 | -1 | -2 | -3 | -4;

/** Time a lock outlives its timeout (BAS: one minute). */
const GRACE_MS = 60_000;

/** A lock table key: BAS compares names as given, except that a trailing "/" does not count. */
function key(name: string): string {
  return name.endsWith('/') ? name.slice(0, -1) : name;
}

export class DavLocks {
  private readonly locks = new Map<string, DavLock>();
  private nextFile = 0;

  constructor(
    /** The lock directory on disk; null when the directory object has none: no locking. */
    readonly dir: string | null,
    /** How many locks may exist at one time. */
    readonly max: number,
    /** The clock (ms since the epoch). */
    private readonly now: () => number = Date.now,
  ) {}

  get enabled(): boolean {
    return this.dir !== null;
  }

  /** The owner file of a lock. */
  private fileOf(l: DavLock): string {
    return join(this.dir!, 'L' + l.file.toString(16).toUpperCase());
  }

  /** The live lock on `name`, or undefined (an expired one is removed with its file). */
  get(name: string): DavLock | undefined {
    const k = key(name);
    const l = this.locks.get(k);
    if (l && l.expires <= this.now()) {
      this.remove(k, l);
      return undefined;
    }
    return l;
  }

  isLocked(name: string): boolean {
    return this.enabled && this.get(name) !== undefined;
  }

  /**
   * Locks `name` for `timeout` seconds with `owner` (XML written to the owner file; none when
   * empty): the new lock, or a result code.
   */
  lock(name: string, owner: string, timeout: number): DavLock | LockResult {
    if (!this.enabled) return -1;
    if (this.get(name)) return -2;
    if (this.count() >= this.max) return -4;
    const now = this.now();
    const secs = Math.floor(now / 1000);
    const t = (secs >>> 0).toString(16).padStart(8, '0');
    const lock: DavLock = {
      token: `opaquelocktoken:${randomBytes(4).toString('hex')}-${t.slice(0, 4)}-${t.slice(4)}-a765-00a0c91e6bf9`,
      file: this.nextFile++,
      timeout,
      expires: now + timeout * 1000 + GRACE_MS,
    };
    const file = this.fileOf(lock);
    try {
      rmSync(file, { force: true });
      if (owner) writeFileSync(file, owner);
    } catch {
      this.nextFile--;
      return -4;
    }
    this.locks.set(key(name), lock);
    return lock;
  }

  /** A refresh (LOCK without a body): the lock lasts its timeout again from now. */
  refresh(l: DavLock): void {
    l.expires = this.now() + l.timeout * 1000 + GRACE_MS;
  }

  /** The owner XML of a lock ("" when its file is gone or there was none). */
  owner(l: DavLock): string {
    try {
      return readFileSync(this.fileOf(l), 'utf8');
    } catch {
      return '';
    }
  }

  /** Removes the lock on `name` (BAS does not compare the client's token). */
  unlock(name: string): LockResult {
    if (!this.enabled) return -1;
    const l = this.get(name);
    if (!l) return -3;
    this.remove(key(name), l);
    return 0;
  }

  private remove(k: string, l: DavLock): void {
    this.locks.delete(k);
    try {
      rmSync(this.fileOf(l), { force: true });
    } catch {
      // already gone
    }
  }

  private count(): number {
    let n = 0;
    for (const k of [...this.locks.keys()]) if (this.get(k)) n++;
    return n;
  }
}
