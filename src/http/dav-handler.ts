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
/** Lock timeout when the client asks for none or for "Infinite" (BAS: one hour). */
const DEFAULT_TIMEOUT = 3600;
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
  /** Locks are on (BAS: a lock directory was given). */
  locking: boolean;
  maxLocks: number;
}

/** The answer of a helper that failed: status and (optional) text body. */
class DavFail extends Error {
  constructor(
    readonly status: number,
    readonly body: string | null = null,
    readonly html = false,
  ) {
    super(body ?? String(status));
  }
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

  constructor(
    /** The directory on disk. */
    readonly root: string,
    readonly options: DavOptions,
  ) {
    this.locks = new DavLocks(options.locking, options.maxLocks);
  }

  get allow(): string {
    return this.options.readOnly ? READONLY_METHODS : this.options.locking ? ALL_METHODS : NOLOCK_METHODS;
  }

  /** Answers the request (always: a DAV directory owns every name below it). */
  async handle(t: DavTarget): Promise<void> {
    const res = t.exchange.response;
    const method = t.exchange.head.method;
    try {
      if (t.segs.includes(DEAD_PROP_DIR)) throw new DavFail(404);
      if (!this.allow.split(', ').includes(method)) {
        res.sendError(405, this.allow, this.davHeaders());
        return;
      }
      switch (method) {
        case 'OPTIONS':
          res.setStatus(200);
          for (const [k, v] of this.davHeaders()) res.setHeader(k, v);
          return this.empty(t, 200);
        case 'PROPFIND':
          return await this.propfind(t);
        case 'PROPPATCH':
          return await this.proppatch(t);
        case 'MKCOL':
          return await this.mkcol(t);
        case 'PUT':
          return await this.put(t);
        case 'DELETE':
          return await this.delete(t);
        case 'COPY':
        case 'MOVE':
          return await this.copyMove(t, method === 'MOVE');
        case 'LOCK':
          return await this.lock(t);
        case 'UNLOCK':
          this.locks.unlock(t.segs.join('/'));
          return this.empty(t, 204);
        default: {
          // GET and HEAD reach here only for names the file path did not serve: BAS answers a
          // directory with its 404 page, anything else with an empty 404.
          const st = await this.stat(await this.path(t.segs));
          if (st?.isDirectory()) throw new DavFail(404, null, true);
          return this.empty(t, 404);
        }
      }
    } catch (e) {
      if (res.headersSent) {
        t.exchange.socket.destroy();
        return;
      }
      if (e instanceof DavFail) {
        if (e.html) res.sendError(e.status, e.body ?? undefined);
        else if (e.body !== null) this.text(t, e.status, e.body);
        else this.empty(t, e.status);
        return;
      }
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'ENOENT') this.empty(t, 404);
      else if (err.code === 'EACCES' || err.code === 'EPERM') this.empty(t, 403);
      else res.sendError(500, err.message);
    }
  }

  private davHeaders(): [string, string][] {
    return [
      ['Allow', this.allow],
      ['DAV', this.options.locking && !this.options.readOnly ? '1, 2' : '1'],
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

  private lockDiscovery(lock: DavLock): string {
    return (
      '<D:lockdiscovery>\n<D:activelock>\n<D:locktype><D:write/></D:locktype>\n<D:lockscope><D:exclusive/></D:lockscope>\n<D:depth>0</D:depth>\n' +
      (lock.owner ? lock.owner + '\n' : '') +
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
    if (segs.length) {
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

  private async response(t: DavTarget, segs: string[], p: string, st: Stats | null, want: XmlElement[] | null): Promise<string> {
    const href = t.base + hrefPath(segs) + (st?.isDirectory() && segs.length ? '/' : '');
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

  private async propfind(t: DavTarget): Promise<void> {
    const doc = await this.xmlBody(t);
    let want: XmlElement[] | null = null;
    if (doc) {
      if (doc.ns !== DAV || doc.name !== 'propfind') throw new DavFail(400);
      const prop = child(doc, DAV, 'prop');
      if (prop) want = prop.children;
      else if (!child(doc, DAV, 'allprop')) throw new DavFail(400); // propname: not in BAS
    }
    const p = await this.path(t.segs);
    const st = await this.stat(p);
    if (!st && !this.locks.isLocked(t.segs.join('/'))) throw new DavFail(404);
    let body = '<D:multistatus xmlns:D="DAV:">\n' + (await this.response(t, t.segs, p, st, want));
    if (st?.isDirectory() && t.exchange.head.headers.get('depth') !== '0') {
      const names = (await fsp.readdir(p)).filter((n) => n !== DEAD_PROP_DIR).sort();
      for (const n of names) {
        const cp = join(p, n);
        const cst = await this.stat(cp);
        if (!cst) continue;
        body += await this.response(t, [...t.segs, n], cp, cst, want);
      }
    }
    this.xml(t, 207, body + '</D:multistatus>\n');
  }

  private async proppatch(t: DavTarget): Promise<void> {
    const p = await this.path(t.segs);
    if (!(await this.stat(p)) || t.segs.length === 0) throw new DavFail(404);
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
    const href = t.base + hrefPath(t.segs);
    this.xml(t, 207, `<D:multistatus xmlns:D="DAV:"${decl}>\n<D:response>\n<D:href>${xmlEscape(href)}</D:href>\n${stats}</D:response>\n</D:multistatus>\n`);
  }

  // ---- MKCOL / PUT / DELETE ----------------------------------------------------------------

  private async mkcol(t: DavTarget): Promise<void> {
    const ex = t.exchange;
    if (ex.body.length || ex.bodyStream) throw new DavFail(415, null, true);
    const p = await this.path(t.segs);
    const st = await this.stat(p);
    if (st) {
      if (st.isDirectory()) throw new DavFail(405);
      throw new DavFail(405, 'File exists', true);
    }
    try {
      await fsp.mkdir(p);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') throw new DavFail(409, 'No such file or directory', true);
      throw e;
    }
    this.empty(t, 201);
  }

  private async put(t: DavTarget): Promise<void> {
    if (t.segs.length === 0 || t.slash) throw new DavFail(405, null, true);
    const p = await this.path(t.segs);
    const st = await this.stat(p);
    if (st?.isDirectory()) throw new DavFail(405, null, true);
    const parent = await this.stat(join(p, '..'));
    if (!parent?.isDirectory()) {
      t.exchange.response.setHeader('Connection', 'close');
      throw new DavFail(409, 'No such file or directory');
    }
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
    const nst = await fsp.stat(p);
    t.exchange.response.setHeader('Etag', davEtag(nst));
    this.empty(t, 201);
  }

  private async delete(t: DavTarget): Promise<void> {
    // BAS deletes the whole tree when asked to delete the directory itself; remora refuses.
    if (t.segs.length === 0) throw new DavFail(403, null, true);
    const rel = t.segs.join('/');
    const p = await this.path(t.segs);
    const st = await this.stat(p);
    if (!st) throw new DavFail(404);
    if (this.locks.isLocked(rel)) throw new DavFail(423, `Cannot remove  ${rel}. Locked`);
    await fsp.rm(p, { recursive: true, force: true });
    await removeDeadProps(p).catch(() => undefined);
    this.empty(t, 204);
  }

  private async copyMove(t: DavTarget, move: boolean): Promise<void> {
    const to = this.destination(t);
    if (!to || t.segs.length === 0 || to.length === 0) throw new DavFail(502, null, true);
    const from = t.segs.join('/');
    const toRel = to.join('/');
    if (from === toRel || toRel.startsWith(from + '/')) throw new DavFail(403, null, true);
    const src = await this.path(t.segs);
    const dst = await this.path(to);
    const st = await this.stat(src);
    if (!st) throw new DavFail(404);
    if ((move && this.locks.isLocked(from)) || this.locks.isLocked(toRel)) throw new DavFail(423, null, true);
    const existing = await this.stat(dst);
    const overwrite = (t.exchange.head.headers.get('overwrite') ?? 'T').trim().toUpperCase() !== 'F';
    if (existing && !overwrite) throw new DavFail(412, `File exist ${toRel}`);
    const parent = await this.stat(join(dst, '..'));
    if (!parent?.isDirectory()) throw new DavFail(409, null, true);
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

  private async lock(t: DavTarget): Promise<void> {
    const rel = t.segs.join('/');
    const doc = await this.xmlBody(t);
    const p = await this.path(t.segs);
    const st = await this.stat(p);
    if (!doc) {
      // A refresh (no body): the lock as it is.
      const cur = this.locks.get(rel);
      if (!cur) throw new DavFail(412, null, true);
      return this.xml(t, 200, `<D:prop xmlns:D="DAV:">\n${this.lockDiscovery(cur)}\n</D:prop>`);
    }
    if (doc.ns !== DAV || doc.name !== 'lockinfo') throw new DavFail(400);
    const scope = child(doc, DAV, 'lockscope');
    if (scope && !child(scope, DAV, 'exclusive')) throw new DavFail(412, null, true);
    const ownerEl = child(doc, DAV, 'owner');
    const owner = ownerEl ? serializeStandalone(ownerEl) : '';
    const m = /Second-(\d+)/i.exec(t.exchange.head.headers.get('timeout') ?? '');
    const timeout = m ? Math.min(Number(m[1]), 0xffffffff) || DEFAULT_TIMEOUT : DEFAULT_TIMEOUT;
    const l = this.locks.lock(rel, owner, timeout);
    if (l === -2) throw new DavFail(423, null, true);
    if (typeof l === 'number') throw new DavFail(503, null, true);
    this.xml(t, st ? 200 : 201, `<D:prop xmlns:D="DAV:">\n${this.lockDiscovery(l)}\n</D:prop>`, [['Lock-Token', `<${l.token}>`]]);
  }
}
