/**
 * A zip file read as a tree of entries (`ba.mkio(io, "file.zip")`): the central directory is
 * parsed once; an entry's bytes are inflated when it is opened. Stored and deflated entries
 * only, no ZIP64, no encryption (BAS's "zipincompatible" otherwise).
 */
import { inflateRawSync } from 'node:zlib';

export interface ZipEntry {
  /** Path inside the archive, without a trailing "/". */
  name: string;
  isdir: boolean;
  size: number;
  /** Seconds since the epoch (the entry's DOS time, read as local time). */
  mtime: number;
  method: number;
  compSize: number;
  localOffset: number;
}

export class ZipFormatError extends Error {}

function dosTime(time: number, date: number): number {
  const d = new Date(1980 + (date >> 9), ((date >> 5) & 15) - 1, date & 31, time >> 11, (time >> 5) & 63, (time & 31) * 2);
  return Math.floor(d.getTime() / 1000);
}

export class ZipArchive {
  /** Entries by path; directories implied by deeper names are added. */
  readonly entries = new Map<string, ZipEntry>();

  constructor(private readonly data: Buffer) {
    const d = data;
    let eocd = -1;
    for (let i = d.length - 22; i >= Math.max(0, d.length - 65557); i--) {
      if (d.readUInt32LE(i) === 0x06054b50) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) throw new ZipFormatError('no end of central directory');
    const count = d.readUInt16LE(eocd + 10);
    let p = d.readUInt32LE(eocd + 16);
    if (p === 0xffffffff || count === 0xffff) throw new ZipFormatError('ZIP64');
    for (let n = 0; n < count; n++) {
      if (p + 46 > d.length || d.readUInt32LE(p) !== 0x02014b50) throw new ZipFormatError('bad central directory');
      const flags = d.readUInt16LE(p + 8);
      const method = d.readUInt16LE(p + 10);
      const nameLen = d.readUInt16LE(p + 28);
      const raw = d.toString(flags & 0x800 ? 'utf8' : 'latin1', p + 46, p + 46 + nameLen);
      const isdir = raw.endsWith('/');
      const name = raw.replace(/\/+$/, '');
      if (flags & 1) throw new ZipFormatError('encrypted entry');
      const e: ZipEntry = {
        name,
        isdir,
        size: d.readUInt32LE(p + 24),
        mtime: dosTime(d.readUInt16LE(p + 12), d.readUInt16LE(p + 14)),
        method,
        compSize: d.readUInt32LE(p + 20),
        localOffset: d.readUInt32LE(p + 42),
      };
      if (name !== '') this.entries.set(name, e);
      // Parent directories that have no entry of their own.
      const parts = name.split('/');
      for (let k = 1; k < parts.length; k++) {
        const dir = parts.slice(0, k).join('/');
        if (!this.entries.has(dir)) this.entries.set(dir, { name: dir, isdir: true, size: 0, mtime: e.mtime, method: 0, compSize: 0, localOffset: 0 });
      }
      p += 46 + nameLen + d.readUInt16LE(p + 30) + d.readUInt16LE(p + 32);
    }
  }

  get(name: string): ZipEntry | undefined {
    return this.entries.get(name);
  }

  /** True for the root ("") and for directories. */
  isDir(name: string): boolean {
    return name === '' || this.entries.get(name)?.isdir === true;
  }

  /** The entries directly inside directory `dir` ("" is the root). */
  list(dir: string): ZipEntry[] {
    const prefix = dir === '' ? '' : dir + '/';
    const out: ZipEntry[] = [];
    for (const e of this.entries.values()) {
      if (!e.name.startsWith(prefix)) continue;
      const rest = e.name.slice(prefix.length);
      if (rest === '' || rest.includes('/')) continue;
      out.push(e);
    }
    // As Mako lists them: directories first, each group by name.
    return out.sort((a, b) => (a.isdir !== b.isdir ? (a.isdir ? -1 : 1) : a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** The entry's bytes. */
  read(e: ZipEntry): Buffer {
    const d = this.data;
    const p = e.localOffset;
    if (d.readUInt32LE(p) !== 0x04034b50) throw new ZipFormatError('bad local header');
    const start = p + 30 + d.readUInt16LE(p + 26) + d.readUInt16LE(p + 28);
    const comp = d.subarray(start, start + e.compSize);
    if (e.method === 0) return Buffer.from(comp);
    if (e.method === 8) return inflateRawSync(comp);
    throw new ZipFormatError(`compression method ${e.method}`);
  }
}
