/**
 * URL dispatch: every request walks the server's directory tree (src/ba/dir.ts), the one
 * mechanism for apps and for the directories Lua creates. An app is a resource reader named
 * as the app ("x" is reached through "/x/", the unnamed app through "/"), inserted into the
 * root directory with its priority; `ba.create.dir` objects are inserted into the same tree.
 *
 * The walk, as on Mako: a directory runs its prolog directories, its authenticator check, then
 * its own service (directory function, or file lookup of a resource reader, or the named
 * child for the next path segment), then its unnamed children with the same relative path.
 * When nothing handled the request, a path whose last segment has no "." and no trailing "/"
 * is redirected to the same path with "/" (absolute Location, 302), anything else is 404.
 */
import { proxyRequest } from './reverse-proxy.js';
import type { RequestHead } from '../http/request-parser.js';
import { LookupCache } from '../http/lookup-cache.js';
import { percentDecode } from '../http/percent-decode.js';
import { isPlainSegment, PathMemo } from '../http/safe-path.js';
import { lookupStatic, type StaticLookup } from '../http/static-files.js';
import { lookupIo } from './io-files.js';
import type { App } from '../app/app-loader.js';
import { Dir } from '../ba/dir.js';
import { originOf } from '../ba/request.js';
import type { DirAuthCheck } from './dir-auth.js';
import type { Next, RequestContext, Stage } from './stages.js';
import type { IoSource } from '../fs/io-source.js';

export class Mounts {
  private apps: App[] = [];
  /** Where URL paths led (src/http/lookup-cache.ts); closed with the server. */
  readonly lookups = new LookupCache();

  constructor(readonly root: Dir = new Dir('dir', null, 0)) {}

  /** Mounts an app: its directory goes into the root directory. */
  add(app: App): void {
    if (!this.apps.includes(app)) this.apps.push(app);
    this.root.insert(app.dir);
  }

  /** Unmounts an app; false when it was not mounted. */
  remove(app: App): boolean {
    const n = this.apps.length;
    this.apps = this.apps.filter((a) => a !== app);
    if (app.dir.parent === this.root) app.dir.unlink();
    return this.apps.length !== n;
  }

  /** Loaded apps, in load order. */
  get list(): App[] {
    return [...this.apps];
  }

  find(name: string): App | undefined {
    return this.apps.find((a) => a.name === name);
  }
}

/** Runs a directory function for a request; resolves true unless it returned false. */
export type DirFunctionRunner = (rc: RequestContext, dir: Dir, rel: string) => boolean | Promise<boolean>;

type Result = boolean | Promise<boolean>;

/** A request path split into segments: raw (percent-encoded) and decoded. */
interface SplitPath {
  raw: string[];
  dec: string[];
  slash: boolean;
  /**
   * The path within a resource reader from segment i on, and its lookup key there (see
   * Walk.file), remembered with the split: every request for the path needs them.
   */
  files: Array<FileKey | undefined>;
}

interface FileKey {
  root: string;
  appPath: string;
  key: string;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

const splits = new PathMemo<Readonly<SplitPath> | number>();

/**
 * Splits and decodes a path; a status when it is malformed (400) or climbs ("..": 404). The
 * result is shared by every request for that path: read only.
 */
export function splitPath(path: string): Readonly<SplitPath> | number {
  return splits.get(path, splitUncached);
}

function splitUncached(path: string): SplitPath | number {
  if (!path.startsWith('/') || path.includes('\\')) return 400;
  const raw: string[] = [];
  const dec: string[] = [];
  for (const seg of path.split('/')) {
    if (seg === '') continue;
    if (isPlainSegment(seg)) {
      if (seg === '.' || seg === '..') return 404;
      raw.push(seg);
      dec.push(seg);
      continue;
    }
    const bytes = percentDecode(seg, { strict: true });
    if (bytes === null) return 400;
    for (const b of bytes) if (b === 0 || b === 0x2f || b === 0x5c || b < 0x20 || b === 0x7f) return 400;
    let name: string;
    try {
      name = utf8.decode(bytes);
    } catch {
      return 400;
    }
    if (name === '.' || name === '..') return 404;
    raw.push(seg);
    dec.push(name);
  }
  return { raw, dec, slash: path.length > 1 && path.endsWith('/'), files: [] };
}

/** One request's walk through the tree. */
class Walk {
  constructor(
    readonly rc: RequestContext,
    readonly next: Next,
    readonly p: Readonly<SplitPath>,
    /** null: a forward (hidden names may be reached, nothing is cached). */
    readonly cache: LookupCache | null,
    readonly runFunc: DirFunctionRunner,
    readonly authCheck: DirAuthCheck,
    readonly path: string,
  ) {}

  /** The decoded path from segment `from` on ("a/b", "a/b/"). */
  rel(from: number): string {
    const s = this.p.dec.slice(from).join('/');
    return s && this.p.slash ? s + '/' : s;
  }

  service(d: Dir, from: number): Result {
    return this.prologs(d, from, 0);
  }

  /**
   * Prolog directories run before the authenticator (insertprolog), from the i-th on; then
   * the directory's own service, then its siblings. A named prolog is entered, as a child is,
   * only for its own name (BAS keeps prologs in a directory of their own): its authenticator
   * protects that branch, not the whole parent. Each step runs only when the ones before did
   * not handle the request; no closure unless one has to be waited for.
   */
  private prologs(d: Dir, from: number, i: number): Result {
    for (; i < d.prologs.length; i++) {
      const pro = d.prologs[i]!;
      const r = pro.name ? this.prologNamed(pro, from) : this.service(pro, from);
      if (r === true) return true;
      if (r !== false) {
        const k = i + 1;
        return r.then((v) => (v ? true : this.prologs(d, from, k)));
      }
    }
    const r = this.guarded(d, from);
    if (r === false) return this.each(d.siblings, from, 0);
    if (r === true) return true;
    return r.then((v) => (v ? true : this.each(d.siblings, from, 0)));
  }

  /** service() of each of `dirs` from the i-th on, until one handles the request. */
  private each(dirs: readonly Dir[], from: number, i: number): Result {
    for (; i < dirs.length; i++) {
      const r = this.service(dirs[i]!, from);
      if (r === true) return true;
      if (r !== false) {
        const k = i + 1;
        return r.then((v) => (v ? true : this.each(dirs, from, k)));
      }
    }
    return false;
  }

  /** The directory's own service behind its authenticator: a refused request is answered. */
  private guarded(d: Dir, from: number): Result {
    if (!d.authRef) return this.own(d, from);
    const a = this.authCheck(this.rc, d, this.rel(from));
    if (a === true) return this.own(d, from);
    if (a === false) return true;
    return a.then((allowed) => (allowed ? this.own(d, from) : true));
  }

  private own(d: Dir, from: number): Result {
    if (d.funcRef) return this.runFunc(this.rc, d, this.rel(from));
    if (d.dav) return this.dav(d, from);
    if (d.proxy) return proxyRequest(this.rc.exchange, d.proxy, this.p.raw.slice(from).join('/') + (this.p.slash && from < this.p.raw.length ? '/' : '')).then(() => true);
    if (d.kind !== 'dir' && d.kind !== 'redirector') {
      const r = this.file(d, from);
      if (r === false) return this.named(d, from);
      if (r === true) return true;
      return r.then((v) => (v ? true : this.named(d, from)));
    }
    return this.named(d, from);
  }

  /** A WebDAV directory: GET and HEAD are its files; every other method is WebDAV's. */
  private dav(d: Dir, from: number): Result {
    const { exchange } = this.rc;
    const m = exchange.head.method;
    const basePath = d.baseuri();
    const { dec, slash } = this.p;
    const handle = (): Promise<boolean> => d.dav!.handle({ exchange, segs: dec.slice(from), slash, base: originOf(exchange) + basePath, basePath });
    // GET and HEAD of a file are the static-file path's; what it does not find, WebDAV answers.
    if (m === 'GET' || m === 'HEAD') {
      const r = this.file(d, from);
      if (r === false) return handle();
      if (r === true) return true;
      return r.then((v) => (v ? true : handle()));
    }
    return handle();
  }

  private prologNamed(pro: Dir, from: number): Result {
    const { dec, slash } = this.p;
    if (from >= dec.length || dec[from] !== pro.name || (from === dec.length - 1 && !slash)) return false;
    return this.service(pro, from + 1);
  }

  /** The children named as the next segment, when a "/" follows it. */
  private named(d: Dir, from: number): Result {
    const { dec, slash } = this.p;
    if (from >= dec.length || (from === dec.length - 1 && !slash)) return false;
    const name = dec[from]!;
    // Most directories have no child of that name: found without a list.
    if (!d.children.some((c) => c.name === name)) return false;
    return this.each(d.named(name), from + 1, 0);
  }

  /** A resource reader's file for the path from `from` on. */
  private file(d: Dir, from: number): Result {
    const root = d.root;
    if (!root && !d.io) return false;
    if (d.kind === 'domainresrdr') {
      // Only the requests for its host name (the Host field without its port, any case).
      const host = (this.rc.exchange.head.headers.get('host') ?? '').replace(/:\d+$/, '').toLowerCase();
      if (host !== d.domain) return false;
    }
    const p = this.p;
    const { head } = this.rc.exchange;
    if (!root) {
      // Not a disk tree: a zip, net or Lua-implemented IO (src/server/io-files.ts).
      const io = d.io!;
      const opts = { requestPath: this.path, query: head.query, hidden: this.cache === null };
      return lookupIo(io, p.dec.slice(from), p.slash && from < p.raw.length, opts).then((f) => this.decide(d, f, io));
    }
    let fk = p.files[from];
    if (fk === undefined || fk.root !== root) {
      const appPath = '/' + p.raw.slice(from).join('/') + (p.slash && from < p.raw.length ? '/' : '');
      fk = { root, appPath, key: LookupCache.key(root, appPath) };
      // Shared by every request for this path (splitPath's memo): one resource reader per position is kept.
      (p as SplitPath).files[from] = fk;
    }
    const found = this.cache
      ? this.cache.lookupKey(fk.key, root, fk.appPath, this.path, head.query)
      : lookupStatic(root, fk.appPath, { requestPath: this.path, query: head.query, hidden: true });
    if (found instanceof Promise) return found.then((f) => this.decide(d, f));
    return this.decide(d, found);
  }

  private decide(d: Dir, r: StaticLookup, io?: IoSource): Result {
    const { exchange } = this.rc;
    const { response } = exchange;
    if (r.kind === 'redirect') {
      slashRedirect(exchange, originOf(exchange) + r.location);
      return true;
    }
    if (r.kind === 'error') {
      if (r.status === 404) return false;
      response.sendError(r.status);
      return true;
    }
    // As BAS's resource reader: a .shtml file is for response:include and forward only.
    if (this.cache !== null && r.pathname.endsWith('.shtml')) return false;
    const owner = d.owner as App | null;
    const isLsp = r.isLsp && d.lsp;
    this.rc.file = {
      app: owner ?? { path: d.root ?? '', envRef: d.lspEnvRef },
      path: r.path,
      stat: r.stat,
      isLsp,
      pathname: r.pathname,
      dir: owner ? undefined : d,
      io,
      ioBase: io ? d.baseuri() : undefined,
    };
    // Checked once per change of the directory's fields, not per response.
    for (const f of d.headerFields) {
      if (f.valid) response.setHeaderTrusted(f.name, f.value, f.key);
      else response.setHeader(f.name, f.value);
    }
    if (d.maxage !== null && !isLsp) response.setHeader('Cache-Control', `max-age=${d.maxage}`);
    const n = this.next();
    return n instanceof Promise ? n.then(() => true) : true;
  }
}

function hasBody(head: RequestHead): boolean {
  return head.body.kind === 'chunked' || (head.body.kind === 'length' && head.body.length > 0);
}

/** Routing stage: walks the directory tree; answers 404 (or the slash redirect) when nothing did. */
export function routeStage(mounts: Mounts, runFunc: DirFunctionRunner, authCheck: DirAuthCheck = () => true, cache: LookupCache = mounts.lookups): Stage {
  return (rc: RequestContext, next) => {
    const { head, response } = rc.exchange;
    if (head.targetForm === 'asterisk' || head.targetForm === 'authority') {
      response.sendError(head.method === 'OPTIONS' ? 204 : 400);
      return;
    }
    // As BAS: a POST with a body but no Content-Type is refused before anything runs.
    if (head.method === 'POST' && hasBody(head) && !head.headers.hasKey('content-type')) {
      response.sendError(400, 'No Content-type', [['Connection', 'close']]);
      return;
    }
    return dispatch(mounts, rc, next, head.path, runFunc, authCheck, cache, false);
  };
}

/**
 * Walks the tree for `path` (the request's, or a page's forward target: then hidden names
 * may be reached and nothing is cached).
 */
export function dispatch(
  mounts: Mounts,
  rc: RequestContext,
  next: Next,
  path: string,
  runFunc: DirFunctionRunner,
  authCheck: DirAuthCheck,
  cache: LookupCache,
  hidden: boolean,
): void | Promise<void> {
  const p = splitPath(path);
  if (typeof p === 'number') {
    rc.exchange.response.sendError(p);
    return;
  }
  const r = new Walk(rc, next, p, hidden ? null : cache, runFunc, authCheck, path).service(mounts.root, 0);
  if (r === true) return;
  if (r === false) return notFound(rc, p, path);
  return r.then((handled) => {
    if (!handled) notFound(rc, p, path);
  });
}

function notFound(rc: RequestContext, p: Readonly<SplitPath>, path: string): void {
  const { exchange } = rc;
  const { head, response } = exchange;
  if (response.headersSent || exchange.closed) return;
  const last = p.dec[p.dec.length - 1];
  if (!p.slash && last !== undefined && !last.includes('.')) {
    slashRedirect(exchange, `${originOf(exchange)}${path}/${head.query != null ? `?${head.query}` : ''}`);
    return;
  }
  response.sendError(404);
}

/** Mako's directory-slash redirect: 302, absolute Location, empty body. */
function slashRedirect(exchange: RequestContext['exchange'], location: string): void {
  const res = exchange.response;
  if (res.headersSent) return;
  res.discard();
  res.headers.clear();
  res.streamOnEnd = false;
  res.setStatus(302);
  res.setHeader('Location', location);
  res.setHeader('Content-Length', '0');
  res.end();
}
