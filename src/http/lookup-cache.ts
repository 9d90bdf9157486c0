/**
 * Remembers where URL paths led (lookupStatic's file results) so that a request for a known,
 * unchanged file costs no file-system call at all, instead of two realpath calls and a stat
 * on the thread pool — those were a third of the CPU time of a "hello" page (bench:lsp).
 *
 * How a change is noticed:
 *  - The directory holding a remembered file is watched (fs.watch: inotify on Linux, one
 *    watch per directory). Any event in it — the file written, its times or mode changed, it
 *    or a neighbour renamed, deleted, created — forgets every file of that directory, and the
 *    next request looks it up in full, with every containment check. The kernel reports a
 *    change before the event loop reads any request sent after it, so a page edited in place
 *    is recompiled on the very next request, as without the cache.
 *  - Where no watch can be set up (no inotify watches left, a file system without change
 *    events), the file is checked with one `lstat` on every use: same device and inode, still
 *    a regular file — else it is looked up in full. The fresh stat goes to the caller.
 *  - After `ttlMs` (default 1 s) every remembered result is looked up in full again. That
 *    bounds what neither check sees: a directory above the file swapped for a symlink (the
 *    lstat check sees it as another inode), a directory URL gaining an index file of higher
 *    rank (index.lsp next to a served index.html), a change made through a hard link in
 *    another directory or by another host on a network file system.
 * Redirects and errors are never remembered, so a file created at a URL that was 404 is
 * served at once.
 */
import { lstatSync, watch, type FSWatcher, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import { lookupStatic, type LookupOptions, type StaticLookup } from './static-files.js';

type FileLookup = Extract<StaticLookup, { kind: 'file' }>;

interface Entry {
  key: string;
  result: FileLookup;
  /** performance.now() of the full lookup. */
  resolvedAt: number;
  /** The watch of the file's directory; null: check with lstat on every use. */
  dir: DirWatch | null;
}

interface DirWatch {
  watcher: FSWatcher;
  /** Keys of the entries whose file lies in this directory. */
  keys: Set<string>;
}

export interface LookupCacheOptions {
  /** Milliseconds a full lookup is trusted for what the checks cannot see. */
  ttlMs?: number;
  /** Entries kept; the oldest are dropped beyond it. */
  maxEntries?: number;
  /** Watch directories for changes; false: an lstat on every use instead (tests). */
  watch?: boolean;
  /** Clock (tests). */
  now?: () => number;
}

export class LookupCache {
  private readonly entries = new Map<string, Entry>();
  private readonly dirs = new Map<string, DirWatch>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly watching: boolean;
  private readonly now: () => number;
  private closed = false;

  constructor(opts: LookupCacheOptions = {}) {
    this.ttlMs = opts.ttlMs ?? 1000;
    this.maxEntries = opts.maxEntries ?? 2048;
    this.watching = opts.watch ?? true;
    this.now = opts.now ?? (() => performance.now());
  }

  get size(): number {
    return this.entries.size;
  }

  /** Directories watched now. */
  get watchedDirs(): number {
    return this.dirs.size;
  }

  /** Forgets everything and stops watching (server close). */
  close(): void {
    this.closed = true;
    this.clear();
  }

  clear(): void {
    this.entries.clear();
    for (const d of this.dirs.values()) d.watcher.close();
    this.dirs.clear();
  }

  /** lookupStatic(root, appPath, options), answered from memory when the file is unchanged. */
  lookup(root: string, appPath: string, options: LookupOptions = {}): StaticLookup | Promise<StaticLookup> {
    return this.lookupKey(LookupCache.key(root, appPath), root, appPath, options.requestPath, options.query);
  }

  /** The key of a lookup: a caller that asks for the same path often keeps it (its hash is computed once). */
  static key(root: string, appPath: string): string {
    return root + '\0' + appPath;
  }

  /** lookup() with its key at hand and the options as arguments (no object per request). */
  lookupKey(key: string, root: string, appPath: string, requestPath?: string, query?: string | null): StaticLookup | Promise<StaticLookup> {
    const e = this.entries.get(key);
    if (e) {
      if (this.now() - e.resolvedAt < this.ttlMs) {
        // Watched: no event since the lookup, so nothing changed. Else check the inode.
        if (e.dir) return e.result;
        const fresh = revalidate(e.result);
        if (fresh) return fresh;
      }
      this.forget(e);
    }
    return this.resolve(key, root, appPath, { requestPath, query });
  }

  private async resolve(key: string, root: string, appPath: string, options: LookupOptions): Promise<StaticLookup> {
    const resolvedAt = this.now();
    const r = await lookupStatic(root, appPath, options);
    if (r.kind !== 'file' || this.closed || this.entries.has(key)) return r;
    const dir = this.watching ? this.watchDir(dirname(r.path)) : null;
    // Changes between the lookup's stat and the watch would go unreported: only a file still
    // exactly as the lookup saw it is remembered.
    const now = revalidate(r);
    if (!now || now.stat.ctimeMs !== r.stat.ctimeMs || now.stat.mtimeMs !== r.stat.mtimeMs || now.stat.size !== r.stat.size) {
      if (dir && dir.keys.size === 0) this.unwatch(dirname(r.path), dir);
      return r;
    }
    if (this.entries.size >= this.maxEntries) this.forget(this.entries.values().next().value as Entry);
    const e: Entry = { key, result: r, resolvedAt, dir };
    this.entries.set(key, e);
    dir?.keys.add(key);
    return r;
  }

  /** The watch of `path` (a directory), set up on first use; null when it cannot be watched. */
  private watchDir(path: string): DirWatch | null {
    const have = this.dirs.get(path);
    if (have) return have;
    let watcher: FSWatcher;
    try {
      // persistent: false — a watch never keeps the process alive.
      watcher = watch(path, { persistent: false });
    } catch {
      return null; // ENOSPC (no inotify watches left), unsupported file system, gone: lstat
    }
    const d: DirWatch = { watcher, keys: new Set() };
    // Any event: forget the directory's files and stop watching until one is remembered again
    // (so watches never outnumber the directories of remembered files).
    const drop = (): void => {
      for (const key of d.keys) this.entries.delete(key);
      d.keys.clear();
      this.unwatch(path, d);
    };
    watcher.on('change', drop);
    watcher.on('error', drop);
    this.dirs.set(path, d);
    return d;
  }

  private unwatch(path: string, d: DirWatch): void {
    d.watcher.close();
    if (this.dirs.get(path) === d) this.dirs.delete(path);
  }

  private forget(e: Entry): void {
    this.entries.delete(e.key);
    if (!e.dir) return;
    e.dir.keys.delete(e.key);
    // The watch stays while the directory has other remembered files.
    if (e.dir.keys.size === 0) this.unwatch(dirname(e.result.path), e.dir);
  }
}

/** The remembered file with its current stat, or null when it is not the same file any more. */
function revalidate(r: FileLookup): FileLookup | null {
  let st: Stats | undefined;
  try {
    st = lstatSync(r.path, { throwIfNoEntry: false });
  } catch {
    return null;
  }
  if (!st || !st.isFile() || st.ino !== r.stat.ino || st.dev !== r.stat.dev) return null;
  // A new object: callers keep what they got, and the remembered one is not shared out.
  return { kind: 'file', path: r.path, stat: st, isLsp: r.isLsp, pathname: r.pathname };
}
