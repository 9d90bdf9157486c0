/**
 * Writes zip files for tests: stored or deflated entries, optionally WinZip-AES encrypted
 * (AE-1/AE-2, 128- or 256-bit keys: PBKDF2-HMAC-SHA1 with 1000 rounds, AES in counter mode
 * with a little-endian counter from 1, HMAC-SHA1 over the ciphertext, 10 bytes kept) or with
 * the old PKWARE flag bit set (the bytes are left as they are: only the flag matters here).
 */
import { createCipheriv, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';

export interface ZipWriterEntry {
  name: string;
  /** A directory when undefined. */
  data?: Buffer | string;
  /** 0 stored, 8 deflated (default). */
  method?: 0 | 8;
  aes?: { password: string | Buffer; strength?: 1 | 3; version?: 1 | 2; salt?: Buffer };
  /** Sets the "encrypted" flag without AES (the old PKWARE scheme's flag). */
  pkwareFlag?: boolean;
  /** Breaks the authentication code of an AES entry. */
  badAuth?: boolean;
}

let crcTable: Uint32Array | null = null;

export function crc32(b: Buffer): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (const x of b) c = crcTable[(c ^ x) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** AES-CTR with WinZip's little-endian block counter starting at 1. */
export function winzipCtr(key: Buffer, data: Buffer): Buffer {
  const ecb = createCipheriv(`aes-${key.length * 8}-ecb`, key, null);
  ecb.setAutoPadding(false);
  const out = Buffer.alloc(data.length);
  const ctr = Buffer.alloc(16);
  for (let off = 0, n = 1; off < data.length; off += 16, n++) {
    ctr.fill(0);
    ctr.writeUInt32LE(n >>> 0, 0);
    ctr.writeUInt32LE(Math.floor(n / 0x100000000), 4);
    const ks = ecb.update(ctr);
    for (let i = 0; i < 16 && off + i < data.length; i++) out[off + i] = data[off + i]! ^ ks[i]!;
  }
  return out;
}

export function writeZip(entries: ZipWriterEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const isDir = e.data === undefined;
    const name = Buffer.from(isDir && !e.name.endsWith('/') ? e.name + '/' : e.name, 'utf8');
    const data = isDir ? Buffer.alloc(0) : Buffer.isBuffer(e.data) ? e.data : Buffer.from(e.data!, 'utf8');
    const method = isDir ? 0 : (e.method ?? 8);
    let body = method === 8 ? deflateRawSync(data) : data;
    let flag = 0x800;
    let crc = crc32(data);
    let headerMethod: number = method;
    let extra = Buffer.alloc(0);
    let version = isDir ? 10 : 20;
    if (e.aes && !isDir) {
      const strength = e.aes.strength ?? 3;
      const keyLen = strength === 1 ? 16 : 32;
      const salt = e.aes.salt ?? randomBytes(strength === 1 ? 8 : 16);
      const derived = pbkdf2Sync(e.aes.password, salt, 1000, 2 * keyLen + 2, 'sha1');
      const enc = winzipCtr(derived.subarray(0, keyLen), body);
      const auth = createHmac('sha1', derived.subarray(keyLen, 2 * keyLen)).update(enc).digest().subarray(0, 10);
      if (e.badAuth) auth[0]! ^= 0xff;
      body = Buffer.concat([salt, derived.subarray(2 * keyLen), enc, auth]);
      flag |= 1;
      headerMethod = 99;
      version = 51;
      if ((e.aes.version ?? 2) === 2) crc = 0;
      extra = Buffer.alloc(11);
      extra.writeUInt16LE(0x9901, 0);
      extra.writeUInt16LE(7, 2);
      extra.writeUInt16LE(e.aes.version ?? 2, 4);
      extra.write('AE', 6, 'latin1');
      extra[8] = strength;
      extra.writeUInt16LE(method, 9);
    } else if (e.pkwareFlag) flag |= 1;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(version, 4);
    local.writeUInt16LE(flag, 6);
    local.writeUInt16LE(headerMethod, 8);
    local.writeUInt16LE(0, 10); // time 00:00:00
    local.writeUInt16LE((44 << 9) | (1 << 5) | 1, 12); // 2024-01-01
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(extra.length, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(0x031e, 4); // made by Unix
    local.copy(central, 6, 4, 30); // version needed .. extra length
    central.writeUInt32LE(isDir ? 0x41ed0010 : 0x81a40000, 38);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, extra, body);
    centrals.push(central, name, extra);
    offset += local.length + name.length + extra.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(entries.length, 8);
  eocd.writeUInt16LE(entries.length, 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, eocd]);
}
