/**
 * WebDAV (RFC 4918 class 1 and the exclusive write locks of class 2) over a directory on
 * disk, answering as BAS's WebDAV directory does (checked on Mako with curl): OPTIONS,
 * PROPFIND (depth 0 and 1; "infinity" is served as 1), PROPPATCH (dead properties),
 * MKCOL, PUT (streamed to the file), DELETE, COPY, MOVE, LOCK, UNLOCK. GET and HEAD are
 * served by the static-file path of the server. No Lua here: src/ba/dav.ts is the Lua face.
 *
 * Names: the request's segments arrive decoded and checked (no "..", no "/", no NUL); the
 * Destination of COPY/MOVE is checked the same way and must lie inside the same directory.
 * A symbolic link that leads out of the root is refused, and ".DAV" (the dead properties)
 * cannot be reached.
 */
import { promises as fsp, type Stats } from 'node:fs';
import { join } from 'node:path';
import type { HttpExchange } from './http-connection.js';
import { httpDate } from './http-date.js';
import { mimeType } from './mime-types.js';
import { sendFile } from './send-file.js';
import { percentDecode } from './percent-decode.js';
import { statusText } from './status-text.js';
import { DavLocks, type DavLock } from './dav-locks.js';
import { DEAD_PROP_DIR, carryDeadProps, readDeadProps, removeDeadProps, writeDeadProps } from './dav-props.js';
import { XmlError, child, parseXml, serializeStandalone, serializeXml, xmlEscape, type XmlElement } from './dav-xml.js';

const DAV = 'DAV:';
const ALL_METHODS = 'OPTIONS, GET, HEAD, PROPFIND, PUT, COPY, DELETE, MOVE, MKCOL, PROPFIND, PROPPATCH, LOCK, UNLOCK';
const NOLOCK_METHODS = 'OPTIONS, GET, HEAD, PROPFIND, PUT, COPY, DELETE, MOVE, MKCOL, PROPFIND, PROPPATCH';
const READONLY_METHODS = 'OPTIONS, GET, HEAD, PROPFIND';
/** Largest XML request body read (PROPFIND, PROPPATCH, LOCK). */
const MAX_XML = 256 * 1024;
/** Lock timeouts: the client's, held to 5 minutes..1 hour (BAS); one hour when it asks none. */
const MIN_TIMEOUT = 300;
const MAX_TIMEOUT = 3600;
const XML_HEAD = '<?xml version="1.0" encoding="utf-8"?>\n';
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** One request for a WebDAV directory. */
export interface DavTarget {
  exchange: HttpExchange;
  /** Decoded, checked path segments below the directory. */
  segs: string[];
  /** The request path ended with "/". */
  slash: boolean;
  /** Absolute URL of the directory ("http://host:port/dav/"). */
  base: string;
  /** URL path of the directory ("/dav/"). */
  basePath: string;
}

export interface DavOptions {
  readOnly: boolean;
  /** The lock directory on disk; null: no locking (BAS: no lock directory given). */
  lockDir: string | null;
  maxLocks: number;
  /** How many PUTs may stream at one time (BAS: `maxuploads`, 5 by default). */
  maxUploads: number;
  /**
   * An IO that is not a plain disk tree (zip, net, Lua-implemented): served read-only through
   * the IO interface (OPTIONS, GET, HEAD, PROPFIND), as BAS serves an IO that cannot remove.
   */
  source?: DavSource;
}

/** The answer of a helper that failed: status and (optional) text body. */
class DavFail extends Error {
  constructor(
    readonly status: number,
    readonly body: string | null = null,
    readonly html = false,
    readonly headers: [string, string][] = [],
  ) {
    super(body ?? String(status));
  }
}

/** What the read-only mode needs of an IO (a subset of the IO interface every IO kind has). */
export interface DavSource {
  stat(name: string): Promise<DavSourceStat | null>;
  open(name: string): Promise<{ read(max: number): Promise<Buffer | null>; close(): Promise<void> }>;
  list(dir: string): Promise<{ name: string; isdir: boolean; /** seconds */ mtime: number; size: number }[]>;
}

interface DavSourceStat {
  size: number;
  mtimeMs: number;
  isdir: boolean;
}

/** A file-system Stats look-alike for what the property code reads (size, times, kind). */
function statOf(st: DavSourceStat): Stats {
  return { size: st.size, mtimeMs: st.mtimeMs, mtime: new Date(st.mtimeMs), isDirectory: () => st.isdir, isFile: () => !st.isdir } as unknown as Stats;
}

/** BAS's ETag: the modification time in seconds, in hex. */
export function davEtag(st: { mtimeMs: number }): string {
  return Math.floor(st.mtimeMs / 1000).toString(16);
}

/** A path for an href: as BAS writes them (reserved ASCII escaped, UTF-8 left as it is). */
function hrefPath(segs: string[]): string {
  return segs.map((s) => s.replace(/[\x00-\x20%#?"<>&'\\^`{|}\x7f]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0'))).join('/');
}

/** Decodes and checks one segment of a Destination path; null when it is not a plain name. */
function decodeSegment(seg: string): string | null {
  const bytes = percentDecode(seg, { strict: true });
  if (!bytes) return null;
  for (const b of bytes) if (b < 0x20 || b === 0x2f || b === 0x5c || b === 0x7f) return null;
  let name: string;
  try {
    name = utf8.decode(bytes);
  } catch {
    return null;
  }
  return name === '.' || name === '..' ? null : name;
}

export class DavService {
  readonly locks: DavLocks;
  private realRoot: string | null = null;
  /** PUTs streaming now. */
  private uploads = 0;

  constructor(
    /** The directory on disk. */
    readonly root: string,
    readonly options: DavOptions,
  ) {
    this.locks = new DavLocks(options.lockDir, options.maxLocks);
  }

  get allow(): string {
    return this.options.readOnly ? READONLY_METHODS : this.locks.enabled ? ALL_METHODS : NOLOCK_METHODS;
  }

  /**
   * Answers the request. False (nothing answered) only for GET and HEAD of a directory, as in
   * BAS: the directory tree then goes on (and answers 404), and `dav:service` returns false.
   */
  async handle(t: DavTarget): Promise<boolean> {
    const res = t.exchange.response;
    const method = t.exchange.head.method;
    try {
      if (t.segs.includes(DEAD_PROP_DIR)) throw new DavFail(404);
      if (this.options.source) return await this.handleSource(t, this.options.source);
      if (method === 'OPTIONS') {
        res.setStatus(200);
        for (const [k, v] of this.davHeaders()) res.setHeader(k, v);
        this.empty(t, 200);
        return true;
      }
      if (this.options.readOnly && method !== 'GET' && method !== 'HEAD' && method !== 'PROPFIND') return this.notAllowed(t);
      const p = await this.path(t.segs);
      // "name/" of a file does not exist (the file system says so too).
      const st = await this.stat(t.slash && t.segs.length ? p + '/' : p);
      if (!st && !['MKCOL', 'PUT', 'LOCK', 'UNLOCK', 'PROPFIND'].includes(method)) throw new DavFail(404);
      switch (method) {
        case 'GET':
        case 'HEAD':
          if (st!.isDirectory()) return false;
          await sendFile(t.exchange, { path: p, stat: st! });
          return true;
        case 'PROPFIND':
          await this.propfind(t, p, st);
          return true;
        case 'PROPPATCH':
          await this.proppatch(t, p);
          return true;
        case 'MKCOL':
          await this.mkcol(t, p, st);
          return true;
        case 'PUT':
          await this.put(t, p, st);
          return true;
        case 'DELETE':
          this.preconditions(t, st);
          await this.delete(t, p);
          return true;
        case 'COPY':
        case 'MOVE':
          this.preconditions(t, st);
          await this.copyMove(t, method === 'MOVE', p, st!);
          return true;
        case 'LOCK':
          await this.lock(t, st);
          return true;
        case 'UNLOCK':
          if (!this.locks.enabled) throw new DavFail(403);
          this.empty(t, this.locks.unlock(t.segs.join('/')) === 0 ? 204 : 404);
          return true;
        default:
          return this.notAllowed(t);
      }
    } catch (e) {
      if (res.headersSent) {
        t.exchange.socket.destroy();
        return true;
      }
      if (e instanceof DavFail) {
        if (e.html) res.sendError(e.status, e.body ?? undefined, e.headers);
        else {
          for (const [k, v] of e.headers) res.setHeader(k, v);
          if (e.body !== null) this.text(t, e.status, e.body);
          else this.empty(t, e.status);
        }
        return true;
      }
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'ENOENT') this.empty(t, 404);
      else if (err.code === 'EACCES' || err.code === 'EPERM') this.empty(t, 403);
      else res.sendError(500, err.message);
      return true;
    }
  }

  /** 405 with the methods this directory has (BAS: also for a method it does not know). */
  private notAllowed(t: DavTarget): true {
    t.exchange.response.sendError(405, this.allow, this.davHeaders());
    return true;
  }

  /**
   * BAS's conditions for PUT, COPY, MOVE and DELETE: If-None-Match "*" or the resource's ETag
   * (eight hex digits), and an If-Match that is neither "*" nor that ETag, fail with 412; so
   * does any If-Match on a name that does not exist.
   */
  private preconditions(t: DavTarget, st: Stats | null): void {
    const h = t.exchange.head.headers;
    const same = (v: string): boolean => v.length === 8 && /^[0-9a-fA-F]{8}$/.test(v) && parseInt(v, 16) === Math.floor(st!.mtimeMs / 1000) >>> 0;
    const inm = h.get('if-none-match');
    const im = h.get('if-match');
    if (st) {
      if (inm !== undefined && (inm === '*' || same(inm))) throw new DavFail(412, null, true);
      if (im !== undefined && im !== '*' && !same(im)) throw new DavFail(412, null, true);
    } else if (im !== undefined) throw new DavFail(412, null, true);
  }

  /** A read-only IO through the IO interface: OPTIONS, GET/HEAD of files, PROPFIND. */
  private async handleSource(t: DavTarget, io: DavSource): Promise<boolean> {
    const method = t.exchange.head.method;
    if (method === 'OPTIONS') {
      for (const [k, v] of this.davHeaders()) t.exchange.response.setHeader(k, v);
      this.empty(t, 200);
      return true;
    }
    if (method !== 'GET' && method !== 'HEAD' && method !== 'PROPFIND') return this.notAllowed(t);
    const name = t.segs.join('/');
    let ist = await io.stat(name).catch(() => null);
    if (ist && t.slash && t.segs.length && !ist.isdir) ist = null;
    if (!ist) throw new DavFail(404);
    const st = statOf(ist);
    if (method === 'PROPFIND') {
      const want = await this.propfindWants(t);
      let body = '<D:multistatus xmlns:D="DAV:">\n' + (await this.response(t, t.segs, '', st, want, t.slash));
      if (ist.isdir && t.exchange.head.headers.get('depth') !== '0') {
        const entries = (await io.list(name)).filter((e) => e.name !== DEAD_PROP_DIR && e.name !== '.' && e.name !== '..');
        entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
        for (const e of entries) {
          const cst = statOf({ isdir: e.isdir, size: e.size, mtimeMs: e.mtime * 1000 });
          body += await this.response(t, [...t.segs, e.name], '', cst, want, e.isdir);
        }
      }
      this.xml(t, 207, body + '</D:multistatus>\n');
      return true;
    }
    if (ist.isdir) return false;
    const res = t.exchange.response;
    res.setStatus(200);
    res.setHeader('Content-Type', mimeType(t.segs[t.segs.length - 1] ?? ''));
    res.setHeader('Etag', davEtag(st));
    res.setHeader('Last-Modified', httpDate(st.mtime));
    res.setHeader('Content-Length', String(ist.size));
    if (method === 'HEAD') {
      res.end();
      return true;
    }
    const f = await io.open(name);
    try {
      for (;;) {
        const b = await f.read(64 * 1024);
        if (b === null || t.exchange.closed) break;
        res.write(b);
        res.flush();
        const so = t.exchange.socket;
        if (so.writableNeedDrain) await new Promise((r) => (so.once('drain', r), so.once('close', r)));
      }
    } finally {
      await f.close();
    }
    res.end();
    return true;
  }

  private davHeaders(): [string, string][] {
    return [
      ['Allow', this.allow],
      ['DAV', this.locks.enabled && !this.options.readOnly ? '1, 2' : '1'],
      ['MS-Author-Via', 'DAV'],
    ];
  }

  private empty(t: DavTarget, status: number): void {
    const res = t.exchange.response;
    res.setStatus(status);
    res.setHeader('Content-Length', '0');
    res.end();
  }

  private text(t: DavTarget, status: number, body: string): void {
    const res = t.exchange.response;
    res.setStatus(status);
    res.end(body);
  }

  private xml(t: DavTarget, status: number, body: string, extra: [string, string][] = []): void {
    const res = t.exchange.response;
    res.setStatus(status);
    res.setHeader('Content-Type', 'text/xml; charset="utf-8"');
    for (const [k, v] of extra) res.setHeader(k, v);
    res.end(XML_HEAD + body);
  }

  // ---- names -------------------------------------------------------------------------------

  /** The path on disk for `segs`; DavFail 403 when a symbolic link leads out of the root. */
  private async path(segs: string[]): Promise<string> {
    const p = join(this.root, ...segs);
    this.realRoot ??= await fsp.realpath(this.root);
    // The deepest existing part decides (a name being created does not exist yet).
    for (let n = segs.length; n >= 0; n--) {
      let real: string;
      try {
        real = await fsp.realpath(join(this.root, ...segs.slice(0, n)));
      } catch {
        continue;
      }
      if (real !== this.realRoot && !real.startsWith(this.realRoot + '/')) throw new DavFail(403);
      return p;
    }
    return p;
  }

  private async stat(p: string): Promise<Stats | null> {
    try {
      return await fsp.stat(p);
    } catch {
      return null;
    }
  }

  /** The Destination of COPY/MOVE as segments below this directory; null when elsewhere. */
  private destination(t: DavTarget): string[] | null {
    const h = t.exchange.head.headers.get('destination');
    if (!h) return null;
    let u: URL;
    let base: URL;
    try {
      base = new URL(t.base);
      u = new URL(h, base);
    } catch {
      return null;
    }
    if (u.host !== base.host || !u.pathname.startsWith(t.basePath)) return null;
    const segs: string[] = [];
    for (const raw of u.pathname.slice(t.basePath.length).split('/')) {
      if (raw === '') continue;
      const s = decodeSegment(raw);
      if (s === null || s === DEAD_PROP_DIR) return null;
      segs.push(s);
    }
    return segs;
  }

  // ---- request bodies ----------------------------------------------------------------------

  /** The next piece of the body; null at its end. Throws when the client went away. */
  private piece(ex: HttpExchange, state: { pos: number }): Promise<Buffer | null> | Buffer | null {
    const stream = ex.bodyStream;
    if (!stream) {
      if (state.pos >= ex.body.length) return null;
      const b = ex.body.subarray(state.pos, state.pos + 65536);
      state.pos += b.length;
      return b;
    }
    return new Promise((resolve, reject) => {
      const take = (): void => {
        const v = ex.closed ? new Error('closed') : stream.read(65536);
        if (v === undefined) stream.onReadable(take);
        else if (v instanceof Error) reject(v);
        else resolve(v);
      };
      take();
    });
  }

  /** The whole (small) body as XML; null when there is none. DavFail 400/413 when bad. */
  private async xmlBody(t: DavTarget): Promise<XmlElement | null> {
    const parts: Buffer[] = [];
    let n = 0;
    const state = { pos: 0 };
    for (;;) {
      const b = await this.piece(t.exchange, state);
      if (b === null) break;
      n += b.length;
      if (n > MAX_XML) throw new DavFail(413, null, true);
      parts.push(b);
    }
    const text = Buffer.concat(parts).toString('utf8');
    if (text.trim() === '') return null;
    try {
      return parseXml(text);
    } catch (e) {
      if (e instanceof XmlError) throw new DavFail(400);
      throw e;
    }
  }

  // ---- PROPFIND / PROPPATCH ----------------------------------------------------------------

  /** BAS's lockdiscovery: the owner file is printed as it is. */
  private lockDiscovery(lock: DavLock): string {
    return (
      '<D:lockdiscovery>\n<D:activelock>\n<D:locktype><D:write/></D:locktype>\n<D:lockscope><D:exclusive/></D:lockscope>\n<D:depth>0</D:depth>\n' +
      this.locks.owner(lock) +
      `<D:timeout>Second-${lock.timeout}</D:timeout>\n<D:locktoken>\n<D:href>${xmlEscape(lock.token)}</D:href>\n</D:locktoken>\n</D:activelock>\n</D:lockdiscovery>`
    );
  }

  /** The properties of one resource: [namespace, name, XML] in BAS's order. */
  private async props(segs: string[], p: string, st: Stats | null, ns: Map<string, string>): Promise<[string, string, string][]> {
    const out: [string, string, string][] = [];
    const lock = this.locks.get(segs.join('/'));
    if (st) {
      out.push([DAV, 'getetag', `<D:getetag>${davEtag(st)}</D:getetag>`]);
      out.push([DAV, 'getlastmodified', `<D:getlastmodified>${httpDate(st.mtime)}</D:getlastmodified>`]);
    }
    if (lock) out.push([DAV, 'lockdiscovery', this.lockDiscovery(lock)]);
    if (!st) {
      out.push([DAV, 'supportedlock', '<D:supportedlock>\n<D:lockentry>\n<D:lockscope><D:exclusive/></D:lockscope>\n<D:locktype><D:write/></D:locktype>\n</D:lockentry>\n</D:supportedlock>']);
      return out;
    }
    if (st.isDirectory()) out.push([DAV, 'resourcetype', '<D:resourcetype><D:collection/></D:resourcetype>']);
    else {
      out.push([DAV, 'resourcetype', '<D:resourcetype/>']);
      out.push([DAV, 'getcontentlength', `<D:getcontentlength>${st.size}</D:getcontentlength>`]);
      out.push([DAV, 'getcontenttype', `<D:getcontenttype>${mimeType(segs[segs.length - 1] ?? '').replace(/;.*/, '')}</D:getcontenttype>`]);
    }
    if (segs.length && !this.options.source) {
      const prefixOf = (u: string): string => {
        if (u === DAV) return 'D';
        let x = ns.get(u);
        if (!x) ns.set(u, (x = `f${ns.size + 1}`));
        return x;
      };
      for (const d of await readDeadProps(p)) out.push([d.ns, d.name, serializeXml(d, prefixOf)]);
    }
    return out;
  }

  /** One resource's <D:response>; `slash`: its href ends with "/" (BAS: a collection listed, or asked for so). */
  private async response(t: DavTarget, segs: string[], p: string, st: Stats | null, want: XmlElement[] | null, slash: boolean): Promise<string> {
    const href = t.base + hrefPath(segs) + (slash && segs.length ? '/' : '');
    const ns = new Map<string, string>();
    const props = await this.props(segs, p, st, ns);
    const decl = (): string => [...ns].map(([u, x]) => ` xmlns:${x}="${xmlEscape(u)}"`).join('');
    let body = `<D:response>\n<D:href>${xmlEscape(href)}</D:href>\n`;
    const propstat = (items: string[], status: number, d: string): string =>
      `<D:propstat>\n<D:prop${d}>\n${items.join('\n')}\n</D:prop>\n<D:status>HTTP/1.1 ${status} ${statusText(status)}</D:status>\n</D:propstat>\n`;
    if (!want) {
      const items = props.map((x) => x[2]);
      body += propstat(items, 200, decl());
    } else {
      const found: string[] = [];
      const missing: string[] = [];
      const missNs = new Map<string, string>();
      for (const w of want) {
        const hit = props.find((x) => x[0] === w.ns && x[1] === w.name);
        if (hit) found.push(hit[2]);
        else if (w.ns === DAV) missing.push(`<D:${w.name}/>`);
        else {
          let x = missNs.get(w.ns);
          if (!x) missNs.set(w.ns, (x = `f${missNs.size + 1}`));
          missing.push(`<${x}:${w.name}/>`);
        }
      }
      if (found.length) body += propstat(found, 200, decl());
      if (missing.length) body += propstat(missing, 404, [...missNs].map(([u, x]) => ` xmlns:${x}="${xmlEscape(u)}"`).join(''));
    }
    return body + '</D:response>\n';
  }

  /** The properties a PROPFIND body asks for: null for all (no body, or `allprop`); 400 for anything else (propname is not in BAS). */
  private async propfindWants(t: DavTarget): Promise<XmlElement[] | null> {
    const doc = await this.xmlBody(t);
    if (!doc) return null;
    if (doc.ns !== DAV || doc.name !== 'propfind') throw new DavFail(400);
    const prop = child(doc, DAV, 'prop');
    if (prop) return prop.children;
    if (!child(doc, DAV, 'allprop')) throw new DavFail(400);
    return null;
  }

  private async propfind(t: DavTarget, p: string, st: Stats | null): Promise<void> {
    // A name that does not exist answers only while it is locked (a lock-null resource).
    if (!st && (!this.locks.enabled || !this.locks.isLocked(t.segs.join('/')))) throw new DavFail(404);
    const want = await this.propfindWants(t);
    let body = '<D:multistatus xmlns:D="DAV:">\n' + (await this.response(t, t.segs, p, st, want, t.slash));
    if (st?.isDirectory() && t.exchange.head.headers.get('depth') !== '0') {
      const names = (await fsp.readdir(p)).filter((n) => n !== DEAD_PROP_DIR).sort();
      for (const n of names) {
        const cp = join(p, n);
        const cst = await this.stat(cp);
        if (!cst) continue;
        body += await this.response(t, [...t.segs, n], cp, cst, want, cst.isDirectory());
      }
    }
    this.xml(t, 207, body + '</D:multistatus>\n');
  }

  private async proppatch(t: DavTarget, p: string): Promise<void> {
    if (t.segs.length === 0) throw new DavFail(404);
    const doc = await this.xmlBody(t);
    if (!doc || doc.ns !== DAV || doc.name !== 'propertyupdate') throw new DavFail(400);
    const props = await readDeadProps(p);
    const done: XmlElement[] = [];
    const refused: XmlElement[] = [];
    for (const op of doc.children) {
      if (op.ns !== DAV || (op.name !== 'set' && op.name !== 'remove')) continue;
      for (const prop of op.children.filter((c) => c.ns === DAV && c.name === 'prop')) {
        for (const el of prop.children) {
          if (el.ns === DAV) {
            refused.push(el); // live properties cannot be set
            continue;
          }
          const i = props.findIndex((x) => x.ns === el.ns && x.name === el.name);
          if (i >= 0) props.splice(i, 1);
          if (op.name === 'set') props.push(el);
          done.push(el);
        }
      }
    }
    await writeDeadProps(p, props);
    const ns = new Map<string, string>([[DAV, 'D']]);
    const prefixOf = (u: string): string => {
      let x = ns.get(u);
      if (!x) ns.set(u, (x = `n${ns.size}`));
      return x;
    };
    const names = (els: XmlElement[]): string => els.map((e) => `<${prefixOf(e.ns)}:${e.name}/>`).join('');
    let stats = '';
    if (done.length) stats += `<D:propstat>\n<D:prop>${names(done)}</D:prop>\n<D:status>HTTP/1.1 200 OK</D:status>\n</D:propstat>\n`;
    if (refused.length) stats += `<D:propstat>\n<D:prop>${names(refused)}</D:prop>\n<D:status>HTTP/1.1 403 Forbidden</D:status>\n</D:propstat>\n`;
    const decl = [...ns].filter(([u]) => u !== DAV).map(([u, x]) => ` xmlns:${x}="${xmlEscape(u)}"`).join('');
    const href = t.base + hrefPath(t.segs) + (t.slash ? '/' : '');
    this.xml(t, 207, `<D:multistatus xmlns:D="DAV:"${decl}>\n<D:response>\n<D:href>${xmlEscape(href)}</D:href>\n${stats}</D:response>\n</D:multistatus>\n`);
  }

  // ---- MKCOL / PUT / DELETE ----------------------------------------------------------------

  private async mkcol(t: DavTarget, p: string, st: Stats | null): Promise<void> {
    if (st) throw new DavFail(405);
    const ex = t.exchange;
    if (ex.body.length || ex.bodyStream) throw new DavFail(415, null, true);
    try {
      await fsp.mkdir(p);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') throw new DavFail(409, 'No such file or directory', true);
      if (code === 'EEXIST') throw new DavFail(405, 'File exists', true); // "file/" of a file
      throw e;
    }
    this.empty(t, 201);
  }

  private async put(t: DavTarget, p: string, st: Stats | null): Promise<void> {
    if (st?.isDirectory()) throw new DavFail(403, null, true);
    this.preconditions(t, st);
    const close: [string, string][] = [['Connection', 'close']];
    if (this.uploads >= this.options.maxUploads) throw new DavFail(503, 'The maximum number of concurrent uploads reached', false, [['Content-Type', 'text/plain'], ...close]);
    // BAS opens the file and answers what the file system said, closing the connection.
    if (t.slash) throw new DavFail(403, 'Is a directory', false, close);
    const parent = await this.stat(join(p, '..'));
    if (!parent?.isDirectory()) throw new DavFail(409, 'No such file or directory', false, close);
    this.uploads++;
    try {
      const fh = await fsp.open(p, 'w');
      let ok = false;
      try {
        const state = { pos: 0 };
        for (;;) {
          const b = await this.piece(t.exchange, state);
          if (b === null) break;
          let off = 0;
          while (off < b.length) off += (await fh.write(b, off)).bytesWritten;
        }
        ok = true;
      } finally {
        await fh.close().catch(() => undefined);
        if (!ok) await fsp.rm(p, { force: true }).catch(() => undefined);
      }
    } finally {
      this.uploads--;
    }
    const nst = await fsp.stat(p);
    t.exchange.response.setHeader('Etag', davEtag(nst));
    this.empty(t, 201);
  }

  /** The first locked name at or below `rel` (a directory's files count: BAS stops at them). */
  private async lockedBelow(rel: string, p: string, st: Stats): Promise<string | null> {
    if (this.locks.isLocked(rel)) return rel;
    if (!st.isDirectory()) return null;
    for (const n of (await fsp.readdir(p)).sort()) {
      if (n === DEAD_PROP_DIR) continue;
      const cp = join(p, n);
      const cst = await fsp.lstat(cp).catch(() => null);
      if (!cst) continue;
      const hit = await this.lockedBelow(rel ? `${rel}/${n}` : n, cp, cst);
      if (hit) return hit;
    }
    return null;
  }

  private async delete(t: DavTarget, p: string): Promise<void> {
    // BAS deletes the whole tree when asked to delete the directory itself; remora refuses.
    if (t.segs.length === 0) throw new DavFail(403, null, true);
    const rel = t.segs.join('/');
    const st = await fsp.lstat(p);
    const locked = this.locks.enabled ? await this.lockedBelow(rel, p, st) : null;
    if (locked !== null) throw new DavFail(423, `Cannot remove  ${locked}. Locked`);
    await fsp.rm(p, { recursive: true, force: true });
    await removeDeadProps(p).catch(() => undefined);
    this.empty(t, 204);
  }

  private async copyMove(t: DavTarget, move: boolean, src: string, st: Stats): Promise<void> {
    const to = this.destination(t);
    // The directory itself can only be copied with Depth: 0 (an empty directory, as in BAS).
    const rootOnly = t.segs.length === 0 && !move && t.exchange.head.headers.get('depth') === '0';
    if (!to || (t.segs.length === 0 && !rootOnly) || to.length === 0) throw new DavFail(502, null, true);
    const from = t.segs.join('/');
    const toRel = to.join('/');
    if (!rootOnly && (from === toRel || toRel.startsWith(from + '/'))) throw new DavFail(403, null, true);
    const dst = await this.path(to);
    if (this.locks.enabled) {
      const existing = await fsp.lstat(dst).catch(() => null);
      // BAS renames a directory to a new name without looking inside; a locked file is not moved.
      const lsrc = move && (!st.isDirectory() || existing) ? await this.lockedBelow(from, src, st) : null;
      const ldst = lsrc ?? (existing ? await this.lockedBelow(toRel, dst, existing) : this.locks.isLocked(toRel) ? toRel : null);
      if (ldst !== null) throw new DavFail(423, null, true);
    }
    const existing = await this.stat(dst);
    const overwrite = (t.exchange.head.headers.get('overwrite') ?? 'T').trim().toUpperCase() !== 'F';
    if (existing && !overwrite) throw new DavFail(412, `File exist ${toRel}`);
    const parent = await this.stat(join(dst, '..'));
    if (!parent?.isDirectory()) throw new DavFail(409, `Cannot open ${toRel}. No such file or directory`);
    if (existing) await fsp.rm(dst, { recursive: true, force: true });
    if (move) await fsp.rename(src, dst);
    else if (st.isDirectory()) {
      if (t.exchange.head.headers.get('depth') === '0') await fsp.mkdir(dst);
      else await fsp.cp(src, dst, { recursive: true });
    } else await fsp.copyFile(src, dst);
    await carryDeadProps(src, dst, move).catch(() => undefined);
    this.empty(t, existing ? 204 : 201);
  }

  // ---- LOCK --------------------------------------------------------------------------------

  /**
   * LOCK as BAS has it: with a body a new exclusive lock (the scope asked for is not looked
   * at), its timeout the client's "Second-n" held to 300..3600 (3600 when none); without one
   * a refresh of the lock there is.
   */
  private async lock(t: DavTarget, st: Stats | null): Promise<void> {
    if (!this.locks.enabled) throw new DavFail(403);
    const rel = t.segs.join('/');
    const doc = await this.xmlBody(t);
    const cur = this.locks.get(rel);
    if (!doc) {
      if (!cur) throw new DavFail(404);
      this.locks.refresh(cur);
      return this.xml(t, 200, `<D:prop xmlns:D="DAV:">\n${this.lockDiscovery(cur)}\n</D:prop>`, [['Lock-Token', `<${cur.token}>`]]);
    }
    if (cur) throw new DavFail(423, null, true);
    if (doc.ns !== DAV || doc.name !== 'lockinfo') throw new DavFail(400);
    const ownerEl = child(doc, DAV, 'owner');
    const owner = ownerEl ? serializeStandalone(ownerEl) + '\n' : '';
    const m = /Second-(\d+)/.exec(t.exchange.head.headers.get('timeout') ?? '');
    const asked = m ? Number(m[1]) : Infinity;
    const timeout = asked > MAX_TIMEOUT ? MAX_TIMEOUT : asked < MIN_TIMEOUT ? MIN_TIMEOUT : asked;
    const l = this.locks.lock(rel, owner, timeout);
    if (l === -2) throw new DavFail(423, null, true);
    if (typeof l === 'number') throw new DavFail(503, null, false, [['Retry-After', '60']]);
    this.xml(t, st ? 200 : 201, `<D:prop xmlns:D="DAV:">\n${this.lockDiscovery(l)}\n</D:prop>`, [['Lock-Token', `<${l.token}>`]]);
  }
}
