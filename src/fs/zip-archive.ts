/**
 * A zip file read as a tree of entries (`ba.mkio(io, "file.zip")`): the central directory is
 * parsed once; an entry's bytes are inflated when it is opened. Stored and deflated entries,
 * and WinZip-AES encrypted ones (AE-1/AE-2, 128- or 256-bit keys) once a password is set
 * (`io:setpasswd`); no ZIP64 (BAS's "zipincompatible" otherwise). As in BAS, the old PKWARE
 * encryption flag is not looked at: such an entry's bytes are read as they are.
 */
import { createCipheriv, createHmac, pbkdf2Sync, timingSafeEqual } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import { IoError } from './fs-op.js';

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
  /** WinZip-AES (method 99): key strength (1 = 128, 3 = 256 bits) and the real method. */
  aes?: AesInfo;
}

/** An AES entry's extra field: vendor and version as BAS accepts them, strength, real method. */
interface AesInfo {
  known: boolean;
  strength: number;
  method: number;
}

/** The WinZip-AES extra field (0x9901) of an entry's central header, as BAS accepts it. */
function aesExtra(d: Buffer, start: number, len: number): AesInfo {
  for (let p = start; p + 4 <= start + len; ) {
    const id = d.readUInt16LE(p);
    const size = d.readUInt16LE(p + 2);
    if (id === 0x9901) {
      if (size !== 7 || p + 11 > start + len) break;
      const version = d.readUInt16LE(p + 4);
      return { known: d.toString('latin1', p + 6, p + 8) === 'AE' && (version === 1 || version === 2), strength: d[p + 8]!, method: d.readUInt16LE(p + 9) };
    }
    p += 4 + size;
  }
  throw new ZipFormatError('AES entry without a WinZip-AES extra field');
}

/**
 * BAS's text form of a binary zip password (`io:setpasswd(pwd, true)`): each byte becomes a
 * letter, so a random byte string turns into the ASCII password the zip was encrypted with.
 */
export function binaryPassword(bin: Buffer): Buffer {
  const out = Buffer.alloc(bin.length);
  for (let i = 0; i < bin.length; i++) {
    const b = bin[i]!;
    let c = 0x41 + (b & 0x0f) + (b >> 4);
    if (b & 1) c += 0x63 - 0x41;
    if ((c < 0x41 || c > 0x57) && (c < 0x61 || c > 0x79)) c = 0x62 + (b & 0x1f);
    while (c > 0x78) c -= 9;
    out[i] = c;
  }
  return out;
}

/** AES in counter mode as WinZip-AES uses it: a little-endian block counter starting at 1. */
function winzipCtr(key: Buffer, data: Buffer): Buffer {
  const ecb = createCipheriv(`aes-${key.length * 8}-ecb`, key, null);
  ecb.setAutoPadding(false);
  const blocks = Math.ceil(data.length / 16);
  const ctr = Buffer.alloc(blocks * 16);
  for (let n = 1; n <= blocks; n++) {
    ctr.writeUInt32LE(n >>> 0, (n - 1) * 16);
    ctr.writeUInt32LE(Math.floor(n / 0x100000000), (n - 1) * 16 + 4);
  }
  const ks = ecb.update(ctr);
  const out = Buffer.alloc(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i]! ^ ks[i]!;
  return out;
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
      const extraLen = d.readUInt16LE(p + 30);
      const e: ZipEntry = {
        name,
        isdir,
        size: d.readUInt32LE(p + 24),
        mtime: dosTime(d.readUInt16LE(p + 12), d.readUInt16LE(p + 14)),
        method,
        compSize: d.readUInt32LE(p + 20),
        localOffset: d.readUInt32LE(p + 42),
      };
      if (method === 99) {
        if (!(flags & 1)) throw new ZipFormatError('AES entry without the encryption flag');
        e.aes = aesExtra(d, p + 46 + nameLen, extraLen);
      }
      if (name !== '') this.entries.set(name, e);
      // Parent directories that have no entry of their own.
      const parts = name.split('/');
      for (let k = 1; k < parts.length; k++) {
        const dir = parts.slice(0, k).join('/');
        if (!this.entries.has(dir)) this.entries.set(dir, { name: dir, isdir: true, size: 0, mtime: e.mtime, method: 0, compSize: 0, localOffset: 0 });
      }
      p += 46 + nameLen + extraLen + d.readUInt16LE(p + 32);
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

  private password: Buffer | null = null;
  private passwordRequired = false;
  /** Set by `close()` (Mako's io:close on a zip file's IO): entries can no longer be read. */
  closed = false;

  /**
   * io:setpasswd: the password for AES entries; `bin` turns binary bytes into BAS's text form
   * first; `required` refuses entries that are not AES encrypted ("aescompromised").
   */
  setPassword(pwd: Buffer, bin: boolean, required: boolean): void {
    this.password = bin ? binaryPassword(pwd) : Buffer.from(pwd);
    this.passwordRequired = required;
  }

  /** The entry's bytes. Throws IoError with BAS's codes for AES entries and a closed archive. */
  read(e: ZipEntry): Buffer {
    if (this.closed) throw new IoError('ioerror', '');
    const d = this.data;
    const p = e.localOffset;
    if (d.readUInt32LE(p) !== 0x04034b50) throw new ZipFormatError('bad local header');
    const start = p + 30 + d.readUInt16LE(p + 26) + d.readUInt16LE(p + 28);
    const comp = d.subarray(start, start + e.compSize);
    if (e.aes) return this.decrypt(e.aes, comp);
    if (this.passwordRequired) throw new IoError('aescompromised', '');
    if (e.method === 0) return Buffer.from(comp);
    if (e.method === 8) return inflateRawSync(comp);
    throw new ZipFormatError(`compression method ${e.method}`);
  }

  /** A WinZip-AES entry: salt, 2-byte password check, ciphertext, 10-byte HMAC-SHA1. */
  private decrypt(aes: AesInfo, comp: Buffer): Buffer {
    if (!aes.known || (aes.strength !== 1 && aes.strength !== 3) || (aes.method !== 0 && aes.method !== 8)) throw new IoError('aesnosupport', '');
    if (!this.password) throw new IoError('nopassword', '');
    const keyLen = aes.strength === 1 ? 16 : 32;
    const saltLen = keyLen / 2;
    if (comp.length < saltLen + 12) throw new IoError('ioerror', '');
    const keys = pbkdf2Sync(this.password, comp.subarray(0, saltLen), 1000, 2 * keyLen + 2, 'sha1');
    if (!keys.subarray(2 * keyLen).equals(comp.subarray(saltLen, saltLen + 2))) throw new IoError('wrongpassword', '');
    const body = comp.subarray(saltLen + 2, comp.length - 10);
    const mac = createHmac('sha1', keys.subarray(keyLen, 2 * keyLen)).update(body).digest().subarray(0, 10);
    if (!timingSafeEqual(mac, comp.subarray(comp.length - 10))) throw new IoError('aeswrongauth', '');
    const plain = winzipCtr(keys.subarray(0, keyLen), body);
    return aes.method === 8 ? inflateRawSync(plain) : plain;
  }
}
