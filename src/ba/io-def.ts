/**
 * IoDef: the IOs written in TypeScript -- a directory on disk, a zip file's tree
 * (`ba.mkio(io, "x.zip")`) and the net IO (names are http:// and https:// URLs) -- with the
 * operations src/ba/io.ts's methods run, and their `IoSource` face (src/fs/io-source.ts).
 */
import { readFileSync, realpathSync, statSync, type Stats } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, sep } from 'node:path';
import { IoError, fetchUrl, ioErrorOf, readdir, runAsync, stat, unlink, write, type FetchResult, type FsOp } from '../fs/fs-op.js';
import { LFile, closeFile, openFile, readBytes, seek, writeData } from '../fs/buffered-file.js';
import type { ZipArchive, ZipEntry } from '../fs/zip-archive.js';
import { BufferReader, newIoUid, type IoEntry, type IoReader, type IoSource, type IoStat, type IoWriter, type NetConf } from '../fs/io-source.js';
import { netRequest, type NetSettings } from './net-client.js';

/** Runs a file operation on the thread pool. */
export function promise<T>(op: FsOp<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => runAsync(op, (e, v) => (e ? reject(e) : resolve(v as T))));
}

class FileReader implements IoReader {
  constructor(private readonly f: LFile) {}
  read(max: number): Promise<Buffer | null> {
    return promise(readBytes(this.f, max));
  }
  seek(pos: number): Promise<void> {
    return promise(seek(this.f, 'set', pos)).then(() => undefined);
  }
  close(): Promise<void> {
    return promise(closeFile(this.f));
  }
}

class FileWriter implements IoWriter {
  constructor(private readonly f: LFile) {}
  write(data: Uint8Array): Promise<void> {
    return promise(writeData(this.f, data));
  }
  close(): Promise<void> {
    return promise(closeFile(this.f));
  }
}

// ---- zip file IOs: read-only trees inside a zip file (Mako's messages) ----------------------

export function zipEntry(io: IoDef, name: string): ZipEntry {
  const e = io.archive!.get(io.resolve(name));
  if (!e) throw new IoError('notfound', '');
  return e;
}

/** io:open on a zip IO: the inflated entry, read from an unlinked temporary file. */
export function* openZipEntry(io: IoDef, name: string): FsOp<LFile> {
  const e = zipEntry(io, name);
  if (e.isdir) throw new IoError('notfound', '');
  // Mako: after io:close the entry still opens, with nothing to read.
  return yield* openBytes(io.archive!.closed ? Buffer.alloc(0) : io.archive!.read(e));
}

export function zipStat(io: IoDef, name: string): Stats {
  const path = io.resolve(name);
  const e = path === '' ? null : io.archive!.get(path);
  if (path !== '' && !e) throw new IoError('notfound', '');
  const dir = !e || e.isdir;
  return { size: e && !dir ? e.size : 0, mtimeMs: (e?.mtime ?? 0) * 1000, isDirectory: () => dir, isFile: () => !dir } as unknown as Stats;
}


export type IoKind = 'disk' | 'zip' | 'net';

/** One IO: a root directory on disk. */
export class IoDef implements IoSource {
  constructor(
    readonly root: string,
    readonly kind: IoKind,
    readonly readOnly: boolean,
    /**
     * Symbolic links must not lead out of `root` (an app's IO, and IOs made from it; issue 14:
     * HTTP refused such links while the app's IO followed them). The configuration key
     * `iosymlinks = true` turns the check off.
     */
    readonly confined = false,
    /** A zip file's IO (`ba.mkio(io, "x.zip")`): names are entries below `root` in it. */
    readonly archive: ZipArchive | null = null,
  ) {}

  private realRoot: string | null = null;
  /** One of ba.openio's IOs ("disk", "home", "net", "vm"): io:close refuses it. */
  named = false;
  /** The net IO's io:netconf settings, used by its HTTP client (src/ba/net-client.ts). */
  netSettings: NetSettings = {};

  /** Throws IoError noaccess when `path` (inside root by name) leads out of root on disk. */
  private checkLinks(path: string): void {
    try {
      this.realRoot ??= realpathSync(this.root);
    } catch {
      return; // the root itself is gone: the operation reports that
    }
    // The deepest part of the path that exists decides (a file being created has none).
    let p = path;
    let rest = '';
    for (;;) {
      try {
        const real = realpathSync(p) + rest;
        if (real !== this.realRoot && !real.startsWith(this.realRoot.endsWith(sep) ? this.realRoot : this.realRoot + sep)) {
          throw new IoError('noaccess', 'Name outside of the IO');
        }
        return;
      } catch (e) {
        if (e instanceof IoError) throw e;
        const parent = dirname(p);
        if (parent === p) return;
        rest = sep + basename(p) + rest;
        p = parent;
      }
    }
  }

  /** OS path of `name` inside the IO; throws IoError when it would leave the root. */
  resolve(name: string): string {
    if (name.includes('\0')) throw new IoError('invalidname', 'Invalid name');
    if (this.kind === 'net') {
      if (!/^https?:\/\/[^/]/i.test(name)) throw new IoError('invalidname', 'Not an http:// or https:// URL');
      return name;
    }
    const parts: string[] = [];
    for (const seg of name.split('/')) {
      if (seg === '' || seg === '.') continue;
      if (seg === '..') {
        if (parts.length === 0) throw new IoError('noaccess', 'Name outside of the IO');
        parts.pop();
      } else parts.push(seg);
    }
    if (this.archive) return [this.root, ...parts].filter((s) => s !== '').join('/');
    const path = parts.length ? join(this.root, ...parts) : this.root;
    if (this.confined && parts.length) this.checkLinks(path);
    return path;
  }

  writable(): void {
    if (this.readOnly) throw new IoError('noaccess', 'Read-only IO');
  }

  // ---- IoSource: the server's and the IO-taking functions' view ----

  readonly uid = newIoUid();

  get diskRoot(): string | null {
    return this.kind === 'disk' ? this.root : null;
  }

  stat(name: string): Promise<IoStat | null> {
    const op = this.archive ? (function* (io: IoDef): FsOp<Stats> { return zipStat(io, name); })(this) : this.kind === 'net' ? statUrl(this, this.resolve(name)) : stat(this.resolve(name));
    return promise(op).then(
      (st) => ({ size: st.size, mtimeMs: st.mtimeMs, isdir: st.isDirectory() }),
      (e) => {
        const code = ioErrorOf(e).code;
        if (code === 'enoent' || code === 'notfound') return null;
        throw e;
      },
    );
  }

  async open(name: string): Promise<IoReader> {
    if (this.archive) {
      const e = zipEntry(this, name);
      if (e.isdir) throw new IoError('notfound', '');
      return new BufferReader(this.archive.read(e));
    }
    if (this.kind === 'net') return new BufferReader(await promise(getUrl(this, this.resolve(name))));
    return new FileReader(await promise(openFile(this.resolve(name), 'r', false)));
  }

  async create(name: string): Promise<IoWriter> {
    if (this.archive) throw new IoError('noaccess', 'Cannot write to ZIP file');
    this.writable();
    return new FileWriter(await promise(openFile(this.resolve(name), 'w', false)));
  }

  readNow(name: string): Buffer | null {
    if (this.archive) {
      const e = zipEntry(this, name);
      if (e.isdir) throw new IoError('notfound', '');
      return this.archive.read(e);
    }
    if (this.kind === 'net') return null;
    return readFileSync(this.resolve(name));
  }

  // ---- Mako's IO properties (src/fs/io-source.ts) ----

  encrypted(name: string): boolean {
    if (this.kind !== 'zip') throw new IoError('noimplementation', '');
    const path = this.resolve(name);
    let isdir: boolean;
    if (this.archive) {
      const e = path === '' ? undefined : this.archive.get(path);
      if (path !== '' && !e) throw new IoError('notfound', '');
      if (!e || e.isdir) throw new IoError('noaccess', 'File is a directory');
      return e.aes !== undefined;
    }
    // The "vm" IO (a folder here, a zip file in Mako): nothing in it is encrypted.
    try {
      isdir = statSync(path).isDirectory();
    } catch {
      throw new IoError('notfound', '');
    }
    if (isdir) throw new IoError('noaccess', 'File is a directory');
    return false;
  }

  setPassword(pwd: Buffer, bin: boolean, required: boolean): boolean {
    if (this.kind !== 'zip') return false;
    this.archive?.setPassword(pwd, bin, required);
    return true;
  }

  netconf(cfg: NetConf): 'set' | 'failed' | 'notnet' {
    if (this.kind === 'zip') return 'failed';
    if (this.kind !== 'net') return 'notnet';
    this.netSettings = { ...this.netSettings, ...(cfg as NetSettings) };
    return 'set';
  }

  closeIo(): 'closed' | 'static' | 'unsupported' {
    if (this.named) return 'static';
    if (!this.archive || this.archive.closed) return 'unsupported';
    this.archive.closed = true;
    return 'closed';
  }

  /** Request header fields of the net IO's settings (HTTP basic authentication). */
  netHeaders(): Array<[string, string]> {
    const s = this.netSettings;
    if (s.user === undefined) return [];
    return [['Authorization', `Basic ${Buffer.from(`${s.user}:${s.pass ?? ''}`, 'utf8').toString('base64')}`]];
  }

  list(dir: string): Promise<IoEntry[]> {
    if (this.archive) {
      const path = this.resolve(dir);
      if (!this.archive.isDir(path)) return Promise.reject(new IoError('notfound', ''));
      return Promise.resolve(this.archive.list(path).map((e) => ({ name: e.name.slice(e.name.lastIndexOf('/') + 1), isdir: e.isdir, mtime: e.mtime, size: e.size })));
    }
    return promise(listDir(this.resolve(dir), true)).then((l) => l.filter((e) => e.name !== '.' && e.name !== '..'));
  }
}

export interface DirEntry {
  name: string;
  isdir: boolean;
  mtime: number;
  size: number;
}

/** Entries of directory `path` with "." and "..", sorted by name (bytes). */
export function* listDir(path: string, attrs: boolean): FsOp<DirEntry[]> {
  const ents = yield* readdir(path);
  const names = ['.', '..', ...ents.map((d) => d.name)];
  const out: DirEntry[] = [];
  for (const name of names) {
    if (!attrs) {
      out.push({ name, isdir: false, mtime: 0, size: 0 });
      continue;
    }
    try {
      const st = yield* stat(join(path, name));
      out.push({ name, isdir: st.isDirectory(), mtime: Math.floor(st.mtimeMs / 1000), size: st.size });
    } catch {
      // Vanished or a dangling link: skip it, as a directory listing would.
    }
  }
  out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return out;
}

// ---- the "net" IO: names are http:// and https:// URLs, read-only ---------------------------

/** A request of the net IO `io` (its settings, its HTTP client). */
function* netFetch(io: IoDef, url: string, method: 'GET' | 'HEAD'): FsOp<FetchResult> {
  const settings = io.netSettings;
  const headers = io.netHeaders();
  return yield* fetchUrl((cb) => netRequest(url, method, settings, headers, cb));
}

/** GET `url` on the net IO `io`; a status other than 200 is "enoent". */
export function* getUrl(io: IoDef, url: string): FsOp<Buffer> {
  const r = yield* netFetch(io, url, 'GET');
  if (r.status !== 200) throw new IoError('enoent', `HTTP status ${r.status}`);
  return r.body;
}

/** io:open on the net IO: the body of a GET, read from an unlinked temporary file. */
export function* openUrl(io: IoDef, url: string): FsOp<LFile> {
  return yield* openBytes(yield* getUrl(io, url));
}

/** A read-only file object over bytes (an unlinked temporary file). */
export function* openBytes(body: Buffer): FsOp<LFile> {
  const tmp = join(tmpdir(), `remora-net-${process.pid}-${++netFiles}`);
  const f = yield* openFile(tmp, 'w+', false);
  try {
    yield* write(f.fd, body, 0);
  } finally {
    yield* unlink(tmp);
  }
  return f;
}
let netFiles = 0;

/** io:stat on the net IO: a HEAD request; size from Content-Length, mtime from Last-Modified. */
export function* statUrl(io: IoDef, url: string): FsOp<Stats> {
  const r = yield* netFetch(io, url, 'HEAD');
  if (r.status !== 200) throw new IoError('enoent', `HTTP status ${r.status}`);
  const lm = Date.parse(r.header('last-modified') ?? '');
  const st = {
    size: Number(r.header('content-length') ?? 0) || 0,
    mtimeMs: Number.isNaN(lm) ? Date.now() : lm,
    isDirectory: () => false,
    isFile: () => true,
  };
  return st as unknown as Stats;
}

