/**
 * The write locks of one WebDAV directory (DAV class 2, exclusive write locks only, as BAS
 * has them). A lock belongs to a path (relative to the directory, no trailing slash) and
 * ends when unlocked or when its timeout passes. A lock on a name that does not exist is a
 * "lock-null" resource: PROPFIND shows it until it is unlocked or a file is put there.
 */
import { randomBytes } from 'node:crypto';

export interface DavLock {
  token: string;
  /** The owner as XML (`<n1:owner xmlns:n1="DAV:">...</n1:owner>`), "" when none was given. */
  owner: string;
  /** Timeout in seconds. */
  timeout: number;
  /** When the lock ends (ms since the epoch). */
  expires: number;
}

/** Result codes of the lock manager (BAS's: 0 ok, -1 locking disabled, -2 already locked, -3 not found). */
export type LockResult = 0 | -1 | -2 | -3 | -4;

export class DavLocks {
  private readonly locks = new Map<string, DavLock>();

  constructor(
    /** False when the directory was made without a lock directory: no locking at all. */
    readonly enabled: boolean,
    /** How many locks may exist at one time. */
    readonly max: number,
  ) {}

  /** The live lock on `path`, or undefined. */
  get(path: string): DavLock | undefined {
    const l = this.locks.get(path);
    if (l && l.expires <= Date.now()) {
      this.locks.delete(path);
      return undefined;
    }
    return l;
  }

  isLocked(path: string): boolean {
    return this.get(path) !== undefined;
  }

  /** Locks `path` for `timeout` seconds: the new lock, or a result code. */
  lock(path: string, owner: string, timeout: number): DavLock | LockResult {
    if (!this.enabled) return -1;
    if (this.get(path)) return -2;
    if (this.count() >= this.max) return -4;
    const hex = randomBytes(8).toString('hex');
    const t = Math.floor(Date.now() / 1000).toString(16).padStart(8, '0').slice(-8);
    const lock: DavLock = {
      token: `opaquelocktoken:${hex.slice(0, 8)}-${t.slice(0, 4)}-${t.slice(4)}-a765-00a0c91e6bf9`,
      owner,
      timeout,
      expires: Date.now() + timeout * 1000,
    };
    this.locks.set(path, lock);
    return lock;
  }

  /** Removes the lock on `path` (BAS does not compare the client's token). */
  unlock(path: string): LockResult {
    if (!this.enabled) return -1;
    return this.get(path) && this.locks.delete(path) ? 0 : -3;
  }

  /** Moves a lock with its resource (MOVE keeps a lock-null's lock out of it: only live ones). */
  drop(path: string): void {
    this.locks.delete(path);
  }

  private count(): number {
    let n = 0;
    for (const p of [...this.locks.keys()]) if (this.get(p)) n++;
    return n;
  }
}
