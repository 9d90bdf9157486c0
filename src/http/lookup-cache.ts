/**
 * Remembers where URL paths led (lookupStatic's file results) so that a request for a known
 * file costs one lstat instead of two realpath calls and a stat on the thread pool: those
 * three round trips were a third of the CPU time of a "hello" page (bench:lsp).
 *
 * A remembered result is checked on every use with one `lstat` of its real path:
 *  - same device and inode, still a regular file: the file at that URL is unchanged in
 *    place; its fresh stat (mtime, size) goes to the caller, so a page edited in place is
 *    recompiled and a static file's validators change at once, as without the cache;
 *  - anything else (gone, replaced — editors save by rename —, turned into a symlink or a
 *    directory, or a directory above it swapped for a symlink that leads elsewhere, which
 *    shows as another inode): forgotten and looked up in full, with every containment check.
 * Only what that check cannot see waits for the full lookup after `ttlMs` (default 1 s): a
 * directory URL gaining an index file of higher rank (index.lsp next to a served index.html),
 * or an app root that is a symlink pointed elsewhere. Redirects and errors are never
 * remembered, so a file created at a URL that was 404 is served at once.
 *
 * The lstat is synchronous: the path was just resolved (its directory entries are in the
 * kernel's cache) and the call takes about 2 µs, where an asynchronous one costs a thread-pool
 * round trip and a promise on every request.
 */
import { lstatSync, type Stats } from 'node:fs';
import { lookupStatic, type LookupOptions, type StaticLookup } from './static-files.js';

type FileLookup = Extract<StaticLookup, { kind: 'file' }>;

interface Entry {
  result: FileLookup;
  /** performance.now() of the full lookup. */
  resolvedAt: number;
}

export interface LookupCacheOptions {
  /** Milliseconds a full lookup is trusted for what the per-use lstat cannot see. */
  ttlMs?: number;
  /** Entries kept; the oldest are dropped beyond it. */
  maxEntries?: number;
  /** Clock (tests). */
  now?: () => number;
}

export class LookupCache {
  private readonly entries = new Map<string, Entry>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(opts: LookupCacheOptions = {}) {
    this.ttlMs = opts.ttlMs ?? 1000;
    this.maxEntries = opts.maxEntries ?? 2048;
    this.now = opts.now ?? (() => performance.now());
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
  }

  /** lookupStatic(root, appPath, options), answered from memory when the file is unchanged. */
  lookup(root: string, appPath: string, options: LookupOptions = {}): StaticLookup | Promise<StaticLookup> {
    const key = root + '\0' + appPath;
    const e = this.entries.get(key);
    if (e) {
      const fresh = this.now() - e.resolvedAt < this.ttlMs ? revalidate(e.result) : null;
      if (fresh) return fresh;
      this.entries.delete(key);
    }
    return this.resolve(key, root, appPath, options);
  }

  private async resolve(key: string, root: string, appPath: string, options: LookupOptions): Promise<StaticLookup> {
    const resolvedAt = this.now();
    const r = await lookupStatic(root, appPath, options);
    if (r.kind === 'file') {
      if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
      this.entries.set(key, { result: r, resolvedAt });
    }
    return r;
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
