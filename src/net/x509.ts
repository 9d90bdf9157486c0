/**
 * Certificates the way SharkSSL builds and reads them: CSRs and certificates with the same DER
 * layout (names re-encoded in SharkSSL's attribute order as PrintableString, extensions in its
 * order, signature algorithms without NULL parameters), the certificate fields `ba.parsecert`
 * reports, and SharkSSL's ASN.1 time parser. Signing is done here over the caller's key.
 */
import { createHash } from 'node:crypto';
import { CURVES, curveByOid, sign as ecSign } from './ecdsa.js';
import { bigToBytes, bytesToBig, children, content, oid, oidText, readNode, seq, set, tlv, uint, whole, type DerNode } from './der.js';
import { rsaSignHash, spkiDer, verifyHashSig, type PkKey } from './pk.js';

export interface Dn {
  commonname?: Buffer;
  countryname?: Buffer;
  province?: Buffer;
  locality?: Buffer;
  organization?: Buffer;
  unit?: Buffer;
  email?: Buffer;
}

const DN_OID: Array<[keyof Dn, string]> = [
  ['commonname', '2.5.4.3'],
  ['organization', '2.5.4.10'],
  ['unit', '2.5.4.11'],
  ['locality', '2.5.4.7'],
  ['province', '2.5.4.8'],
  ['countryname', '2.5.4.6'],
  ['email', '1.2.840.113549.1.9.1'],
];

/** A Name in SharkSSL's order: CN, O, OU, L, ST, C, emailAddress. */
export function nameDer(dn: Dn): Buffer {
  const rdns: Buffer[] = [];
  for (const [k, o] of DN_OID) {
    const v = dn[k];
    if (v === undefined) continue;
    rdns.push(set(seq(oid(o), tlv(k === 'email' ? 0x16 : 0x13, v))));
  }
  return seq(...rdns);
}

/** Reads the attributes SharkSSL knows from a Name element. */
export function readName(n: DerNode): Dn {
  const dn: Dn = {};
  for (const rdn of children(n)) {
    for (const atv of children(rdn)) {
      const [o, v] = children(atv);
      if (!o || !v) continue;
      const found = DN_OID.find(([, d]) => d === oidText(o));
      if (found) dn[found[0]] = content(v);
    }
  }
  return dn;
}

const SAN_OID = '2.5.29.17';
const KU_OID = '2.5.29.15';
const NS_OID = '2.16.840.1.113730.1.1';
const BC_OID = '2.5.29.19';
const EXT_REQ_OID = '1.2.840.113549.1.9.14';

export const NS_CERT_TYPES: Record<string, number> = {
  OBJECT_SIGNING: 0x10,
  OBJECT_SIGNING_CA: 0x01,
  SSL_CA: 0x04,
  SSL_CLIENT: 0x80,
  SSL_SERVER: 0x40,
};

export const KEY_USAGES: Record<string, number> = {
  CRL_SIGN: 0x02,
  DATA_ENCIPHERMENT: 0x10,
  DIGITAL_SIGNATURE: 0x80,
  KEY_AGREEMENT: 0x08,
  KEY_CERT_SIGN: 0x04,
  KEY_ENCIPHERMENT: 0x20,
  NON_REPUDIATION: 0x40,
};

/** subjectAltName entries from "name;IP:1.2.3.4;URI:x", in SharkSSL's (reversed) order. */
function sanDer(text: Buffer): Buffer {
  const names: Buffer[] = [];
  for (const part of text.toString('latin1').split(';')) {
    if (part.length === 0) continue;
    if (part.startsWith('IP:')) {
      const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(part.slice(3));
      if (!m || m.slice(1).some((x) => Number(x) > 255)) continue;
      names.push(tlv(0x87, Buffer.from(m.slice(1).map(Number))));
    } else if (part.startsWith('URI:')) names.push(tlv(0x86, Buffer.from(part.slice(4), 'latin1')));
    else names.push(tlv(0x82, Buffer.from(part, 'latin1')));
  }
  return seq(oid(SAN_OID), tlv(0x04, seq(...names.reverse())));
}

function bitExt(o: string, unused: number, bits: number): Buffer {
  return seq(oid(o), tlv(0x04, tlv(0x03, Buffer.from([unused, bits]))));
}

const HASH_SIG_OID: Record<string, { ec: string; rsa: string }> = {
  sha256: { ec: '1.2.840.10045.4.3.2', rsa: '1.2.840.113549.1.1.11' },
  sha384: { ec: '1.2.840.10045.4.3.3', rsa: '1.2.840.113549.1.1.12' },
  sha512: { ec: '1.2.840.10045.4.3.4', rsa: '1.2.840.113549.1.1.13' },
};

function sigAlg(key: PkKey, hash: string): Buffer {
  return seq(oid(key.kind === 'ec' ? HASH_SIG_OID[hash]!.ec : HASH_SIG_OID[hash]!.rsa));
}

/** sigAlg + BIT STRING signature over tbs. */
function signed(tbs: Buffer, key: PkKey, hash: string): Buffer | null {
  const h = createHash(hash).update(tbs).digest();
  let sig: Buffer | null;
  if (key.kind === 'ec') {
    const [r, s] = ecSign(key.curve, key.d!, h);
    sig = seq(uint(bigToBytes(r)), uint(bigToBytes(s)));
  } else sig = rsaSignHash(key, h);
  if (!sig) return null;
  return seq(tbs, sigAlg(key, hash), tlv(0x03, Buffer.concat([Buffer.from([0]), sig])));
}

export interface CsrInput {
  key: PkKey;
  dn: Dn;
  san: Buffer;
  certTypes: number;
  keyUsage: number;
  hash: string;
}

export function createCsr(i: CsrInput): Buffer | null {
  const exts = Buffer.concat([sanDer(i.san), bitExt(KU_OID, 1, i.keyUsage), bitExt(NS_OID, 0, i.certTypes)]);
  const attrs = tlv(0xa0, seq(oid(EXT_REQ_OID), set(seq(exts))));
  const cri = seq(tlv(0x02, Buffer.from([0])), nameDer(i.dn), spkiDer(i.key), attrs);
  return signed(cri, i.key, i.hash);
}

export interface ParsedCsr {
  der: Buffer;
  dn: Dn;
  spki: Buffer;
  /** The Extension elements of the extension request, as they are. */
  exts: Buffer;
}

export function parseCsr(der: Uint8Array): ParsedCsr | null {
  try {
    const [cri] = children(readNode(der));
    const [, name, spki, attrs] = children(cri!);
    let exts: Buffer = Buffer.alloc(0);
    if (attrs && attrs.tag === 0xa0) {
      for (const a of children(attrs)) {
        const [o, vals] = children(a);
        if (o && vals && oidText(o) === EXT_REQ_OID) {
          const list = children(vals)[0];
          if (list) exts = content(list);
        }
      }
    }
    return { der: Buffer.from(der), dn: readName(name!), spki: whole(spki!), exts };
  } catch {
    return null;
  }
}

/** "YYYYMMDDhhmmss" -> UTCTime for 2000-2049, else GeneralizedTime (as SharkSSL). */
function timeDer(t: string): Buffer | null {
  if (t.length < 14) return null;
  if (t[0] === '2' && t[1] === '0' && t[2]! < '5') {
    if (t.length !== 14) return null;
    return tlv(0x17, Buffer.from(t.slice(2) + 'Z', 'latin1'));
  }
  return tlv(0x18, Buffer.from(t + 'Z', 'latin1'));
}

/** Does the CSR's signature verify with its own public key? */
export function csrSignatureOk(der: Uint8Array, key: PkKey): boolean {
  try {
    const [cri, alg, sig] = children(readNode(der));
    const algOid = oidText(children(alg!)[0]!);
    const hash = Object.entries(HASH_SIG_OID).find(([, v]) => v.ec === algOid || v.rsa === algOid)?.[0] ?? (algOid === '1.2.840.113549.1.1.5' ? 'sha1' : null);
    if (!hash) return false;
    const h = createHash(hash).update(whole(cri!)).digest();
    return verifyHashSig(key, content(sig!).subarray(1), h);
  } catch {
    return false;
  }
}

/** Same public key? */
export function sameKey(a: PkKey, b: PkKey): boolean {
  if (a.kind === 'ec' && b.kind === 'ec') return a.curve === b.curve && a.x === b.x && a.y === b.y;
  if (a.kind === 'rsa' && b.kind === 'rsa') return a.n.equals(b.n) && a.e.equals(b.e);
  return false;
}

export interface CertInput {
  csr: ParsedCsr;
  /** Signing key: the CSR's own key (self-signed) or the CA's. */
  key: PkKey;
  /** The CA certificate's subject Name (DER), or null for a self-signed certificate. */
  issuer: Buffer | null;
  from: string;
  to: string;
  serial: bigint;
  hash: string;
}

export function createCertificate(i: CertInput): Buffer | null {
  const from = timeDer(i.from);
  const to = timeDer(i.to);
  if (!from || !to) return null;
  const subject = nameDer(i.csr.dn);
  let exts = i.csr.exts;
  if (!i.issuer) {
    // Self-signed: a critical basicConstraints CA:TRUE goes first.
    const bc = seq(oid(BC_OID), tlv(0x01, Buffer.from([0xff])), tlv(0x04, seq(tlv(0x01, Buffer.from([0xff])))));
    exts = Buffer.concat([bc, exts]);
  }
  const tbs = seq(
    tlv(0xa0, tlv(0x02, Buffer.from([2]))),
    uint(bigToBytes(BigInt.asUintN(64, i.serial), 8)),
    sigAlg(i.key, i.hash),
    i.issuer ?? subject,
    seq(from, to),
    subject,
    i.csr.spki,
    tlv(0xa3, seq(exts)),
  );
  return signed(tbs, i.key, i.hash);
}

/** The subject Name element of a certificate (DER), or null. */
export function certSubject(der: Uint8Array): Buffer | null {
  try {
    const tbs = children(children(readNode(der))[0]!);
    const off = tbs[0]!.tag === 0xa0 ? 1 : 0;
    return whole(tbs[off + 4]!);
  } catch {
    return null;
  }
}

export interface CertInfo {
  tzfrom: Buffer;
  tzto: Buffer;
  subject: Dn;
  issuer: Dn;
  san: Buffer[] | null;
}

/** The fields ba.parsecert reports; null when der is not a certificate SharkSSL would read. */
export function parseCert(der: Uint8Array): CertInfo | null {
  try {
    const top = readNode(der);
    if (top.tag !== 0x30 || top.end !== der.length) return null;
    const [tbsN, alg, sig] = children(top);
    if (!tbsN || !alg || !sig || sig.tag !== 0x03) return null;
    const tbs = children(tbsN);
    const off = tbs[0]!.tag === 0xa0 ? 1 : 0;
    const issuer = tbs[off + 2]!;
    const validity = children(tbs[off + 3]!);
    const subject = tbs[off + 4]!;
    const spki = tbs[off + 5]!;
    if (!spki || validity.length !== 2) return null;
    const algOid = oidText(children(children(spki)[0]!)[0]!);
    if (algOid !== '1.2.840.113549.1.1.1' && algOid !== '1.2.840.10045.2.1') return null;
    if (algOid === '1.2.840.10045.2.1' && !curveByOid(oidText(children(children(spki)[0]!)[1]!))) return null;
    let san: Buffer[] | null = null;
    let ca = false;
    for (const n of tbs.slice(off + 6)) {
      if (n.tag !== 0xa3) continue;
      for (const ext of children(children(n)[0]!)) {
        const parts = children(ext);
        const o = oidText(parts[0]!);
        const value = parts[parts.length - 1]!;
        if (o === BC_OID) {
          const bc = children(readNode(content(value)));
          ca = bc.length > 0 && bc[0]!.tag === 0x01 && content(bc[0]!)[0] !== 0;
        } else if (o === SAN_OID && !ca) {
          // SharkSSL skips the alternative names of a CA certificate (CA flag seen first).
          const names = children(readNode(content(value)));
          if (names.length) san = names.filter((x) => x.tag === 0x82).map(content);
        }
      }
    }
    return {
      tzfrom: content(validity[0]!),
      tzto: content(validity[1]!),
      subject: readName(subject),
      issuer: readName(issuer),
      san,
    };
  } catch {
    return null;
  }
}

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** SharkSSL's ASN.1 time (YYMMDDhhmmssZ, 20YY, or YYYYMMDDhhmmssZ) -> Unix time; 0 if invalid. */
export function parseCertTime(t: Uint8Array): number {
  const len = t.length;
  if (len > 15 || (len !== 13 && len !== 15) || t[len - 1] !== 0x5a) return 0;
  const d: number[] = [];
  for (let i = 0; i + 1 < len; i += 2) {
    // As SharkSSL: only the first character of each pair is checked to be a digit.
    const a = t[i]! - 0x30;
    if (a < 0 || a > 9) return 0;
    d.push(a * 10 + (t[i + 1]! - 0x30));
  }
  let year: number, mon: number, day: number, h: number, mi: number, s: number;
  if (len === 13) [year, mon, day, h, mi, s] = [2000 + d[0]!, d[1]!, d[2]!, d[3]!, d[4]!, d[5]!];
  else [year, mon, day, h, mi, s] = [d[0]! * 100 + d[1]!, d[2]!, d[3]!, d[4]!, d[5]!, d[6]!];
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  if (mon < 1 || mon > 12 || day < 1 || day > DAYS[mon - 1]! + (mon === 2 && leap ? 1 : 0)) return 0;
  if (h > 23 || mi > 59 || s > 59) return 0;
  return Date.UTC(year, mon - 1, day, h, mi, s) / 1000;
}

export { CURVES, bytesToBig };
