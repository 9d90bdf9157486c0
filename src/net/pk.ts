/**
 * Public-key material as SharkSSL's Lua API sees it: PEM keys (private, encrypted private,
 * public) and certificates reduced to "an RSA key (n, e[, private KeyObject])" or "an EC key
 * (curve, point[, d])"; PKCS#1 v1.5 signatures over a precomputed hash; RSA encryption.
 */
import {
  X509Certificate,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  privateDecrypt,
  privateEncrypt,
  publicDecrypt,
  publicEncrypt,
  constants,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { CURVES, curveByOid, publicPoint, verify as ecVerify, type Curve } from './ecdsa.js';
import { bigToBytes, bytesToBig, children, content, oid, oidText, pem, readNode, seq, tlv, uint } from './der.js';

export interface RsaKey {
  kind: 'rsa';
  n: Buffer;
  e: Buffer;
  pub: KeyObject;
  priv?: KeyObject;
}

export interface EcKey {
  kind: 'ec';
  name: string;
  curve: Curve;
  x: bigint;
  y: bigint;
  d?: bigint;
}

export type PkKey = RsaKey | EcKey;

const EC_PUBLIC_KEY = '1.2.840.10045.2.1';
const RSA_ENCRYPTION = '1.2.840.113549.1.1.1';

function fromKeyObject(k: KeyObject, priv: boolean): PkKey | null {
  if (k.asymmetricKeyType === 'rsa') {
    const pub = priv ? createPublicKey(k) : k;
    const spki = pub.export({ format: 'der', type: 'pkcs1' });
    const [n, e] = children(readNode(spki)).map(content);
    const strip = (b: Buffer): Buffer => {
      let i = 0;
      while (i < b.length - 1 && b[i] === 0) i++;
      return b.subarray(i);
    };
    return { kind: 'rsa', n: strip(n!), e: strip(e!), pub, priv: priv ? k : undefined };
  }
  if (k.asymmetricKeyType === 'ec') {
    const pub = priv ? createPublicKey(k) : k;
    const spki = pub.export({ format: 'der', type: 'spki' });
    const [alg, bits] = children(readNode(spki));
    const curveOid = oidText(children(alg!)[1]!);
    const found = curveByOid(curveOid);
    if (!found) return null;
    const [name, curve] = found;
    const pt = content(bits!).subarray(1);
    const x = bytesToBig(pt.subarray(1, 1 + curve.size));
    const y = bytesToBig(pt.subarray(1 + curve.size));
    let d: bigint | undefined;
    if (priv) {
      const sec1 = k.export({ format: 'der', type: 'sec1' });
      d = bytesToBig(content(children(readNode(sec1))[1]!));
    }
    return { kind: 'ec', name, curve, x, y, d };
  }
  return null;
}

/** A private key from PEM (PKCS#1, SEC1, PKCS#8, encrypted with `password`), or null. */
export function privateKey(text: string, password?: string | null): PkKey | null {
  if (!text.includes('-----BEGIN')) return null;
  try {
    return fromKeyObject(createPrivateKey({ key: text, format: 'pem', passphrase: password ?? '' }), true);
  } catch {
    return null;
  }
}

/** A public key from PEM: public key, certificate, or (unencrypted) private key. */
export function publicKey(text: string): PkKey | null {
  if (!text.includes('-----BEGIN')) return null;
  if (text.includes('BEGIN CERTIFICATE')) {
    try {
      return fromKeyObject(new X509Certificate(text).publicKey, false);
    } catch {
      return null;
    }
  }
  try {
    return fromKeyObject(createPublicKey({ key: text, format: 'pem' }), false);
  } catch {
    return null;
  }
}

/** A public key from a public-key PEM or a private-key PEM (not from a certificate). */
export function keyParamsKey(text: string, password?: string | null): PkKey | null {
  if (text.includes('BEGIN CERTIFICATE')) return null;
  return privateKey(text, password) ?? publicKey(text);
}

/** An RSA public key from modulus and exponent bytes. */
export function rsaFromParams(n: Uint8Array, e: Uint8Array): RsaKey | null {
  try {
    const der = seq(uint(n), uint(e));
    const pub = createPublicKey({ key: der, format: 'der', type: 'pkcs1' });
    return fromKeyObject(pub, false) as RsaKey;
  } catch {
    return null;
  }
}

/** The largest DER ECDSA signature for a curve (SharkSSL's key size for EC keys). */
export function ecSigMax(c: Curve): number {
  const body = 2 * (2 + c.size + 1) + (c.size + 1 >= 128 ? 1 : 0);
  return body + (body >= 128 ? 3 : 2);
}

// ---- PKCS#1 v1.5 signatures over a hash ---------------------------------------------------------

const DIGEST_INFO: Record<number, string> = {
  16: '3020300c06082a864886f70d020505000410',
  20: '3021300906052b0e03021a05000414',
  32: '3031300d060960864801650304020105000420',
  48: '3041300d060960864801650304020205000430',
  64: '3051300d060960864801650304020305000440',
};

export function hashKnown(len: number): boolean {
  return DIGEST_INFO[len] !== undefined;
}

export function rsaSignHash(k: RsaKey, hash: Uint8Array): Buffer | null {
  const prefix = DIGEST_INFO[hash.length];
  if (!prefix || !k.priv) return null;
  try {
    return privateEncrypt({ key: k.priv, padding: constants.RSA_PKCS1_PADDING }, Buffer.concat([Buffer.from(prefix, 'hex'), hash]));
  } catch {
    return null;
  }
}

export function rsaVerifyHash(k: RsaKey, sig: Uint8Array, hash: Uint8Array): boolean {
  const prefix = DIGEST_INFO[hash.length];
  if (!prefix) return false;
  try {
    const m = publicDecrypt({ key: k.pub, padding: constants.RSA_PKCS1_PADDING }, sig);
    return m.equals(Buffer.concat([Buffer.from(prefix, 'hex'), hash]));
  } catch {
    return false;
  }
}

export type RsaPadding = 'pkcs1' | 'oaep' | 'none';

export function rsaEncrypt(k: RsaKey, data: Uint8Array, padding: RsaPadding, oaepHash: string, label?: Uint8Array): Buffer | null {
  try {
    if (padding === 'oaep') return publicEncrypt({ key: k.pub, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash, oaepLabel: label }, data);
    if (padding === 'none') {
      // Raw RSA as SharkSSL does it: a value at or above the modulus is not refused (m^e mod n).
      if (data.length !== k.n.length) return null;
      return bigToBytes(modPow(bytesToBig(data), bytesToBig(k.e), bytesToBig(k.n)), k.n.length);
    }
    return publicEncrypt({ key: k.pub, padding: constants.RSA_PKCS1_PADDING }, data);
  } catch {
    return null;
  }
}

export function rsaDecrypt(k: RsaKey, data: Uint8Array, padding: RsaPadding, oaepHash: string, label?: Uint8Array): Buffer | null {
  if (!k.priv) return null;
  try {
    if (padding === 'oaep') return privateDecrypt({ key: k.priv, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash, oaepLabel: label }, data);
    if (padding === 'none') return privateDecrypt({ key: k.priv, padding: constants.RSA_NO_PADDING }, data);
    // node refuses PKCS#1 v1.5 private decryption (CVE-2023-46809): decrypt raw, then unpad.
    const m = privateDecrypt({ key: k.priv, padding: constants.RSA_NO_PADDING }, data);
    if (m[0] !== 0 || m[1] !== 2) return null;
    const sep = m.indexOf(0, 2);
    if (sep < 10) return null;
    return m.subarray(sep + 1);
  } catch {
    return null;
  }
}

// ---- key creation ------------------------------------------------------------------------------

/**
 * The private scalar SharkSSL derives from caller-supplied random bytes (FIPS 186-4 B.4.1,
 * "extra random bits"): (order bits + 64) bits taken from the first whole 32-bit words, each
 * word read little-endian with the first word most significant, reduced to 1..n-1.
 */
export function scalarFromRnd(c: Curve, rnd: Uint8Array): bigint | null {
  const bits = c.n.toString(2).length + 64;
  const words = Math.ceil(bits / 32);
  if (rnd.length < words * 4) return null;
  let v = 0n;
  for (let w = 0; w < words; w++) {
    const b = rnd.subarray(w * 4, w * 4 + 4);
    v = (v << 32n) | BigInt(b[0]! | (b[1]! << 8) | (b[2]! << 16)) | (BigInt(b[3]!) << 24n);
  }
  v &= (1n << BigInt(bits)) - 1n;
  return (v % (c.n - 1n)) + 1n;
}

export function randomScalar(c: Curve): bigint {
  return (bytesToBig(randomBytes(c.size + 8)) % (c.n - 1n)) + 1n;
}

/** SEC1 "EC PRIVATE KEY" DER for scalar d. */
export function ecPrivateDer(c: Curve, d: bigint): Buffer {
  const [x, y] = publicPoint(c, d);
  const point = Buffer.concat([Buffer.from([0, 4]), bigToBytes(x, c.size), bigToBytes(y, c.size)]);
  return seq(tlv(0x02, Buffer.from([1])), tlv(0x04, bigToBytes(d, c.size)), tlv(0xa0, oid(c.oid)), tlv(0xa1, tlv(0x03, point)));
}

export function ecPrivatePem(c: Curve, d: bigint): string {
  return pem('EC PRIVATE KEY', ecPrivateDer(c, d));
}

export function rsaPrivatePem(bits: number): string {
  const { privateKey: k } = generateKeyPairSync('rsa', { modulusLength: bits, publicExponent: 65537 });
  return pem('RSA PRIVATE KEY', k.export({ format: 'der', type: 'pkcs1' }));
}

/** SubjectPublicKeyInfo DER of a key. */
export function spkiDer(k: PkKey): Buffer {
  if (k.kind === 'rsa') return k.pub.export({ format: 'der', type: 'spki' });
  const point = Buffer.concat([Buffer.from([0, 4]), bigToBytes(k.x, k.curve.size), bigToBytes(k.y, k.curve.size)]);
  return seq(seq(oid(EC_PUBLIC_KEY), oid(k.curve.oid)), tlv(0x03, point));
}

export { CURVES, RSA_ENCRYPTION };

/** Verifies a signature over a hash: DER ECDSA or PKCS#1 v1.5 (hash length picks the digest). */
export function verifyHashSig(key: PkKey, sig: Uint8Array, hash: Uint8Array): boolean {
  if (!hashKnown(hash.length)) return false;
  if (key.kind === 'rsa') return rsaVerifyHash(key, sig, hash);
  try {
    const kids = children(readNode(sig));
    if (kids.length !== 2 || kids[0]!.tag !== 2 || kids[1]!.tag !== 2) return false;
    return ecVerify(key.curve, [key.x, key.y], hash, bytesToBig(content(kids[0]!)), bytesToBig(content(kids[1]!)));
  } catch {
    return false;
  }
}

/** A public key from SubjectPublicKeyInfo DER. */
export function keyFromSpki(der: Uint8Array): PkKey | null {
  try {
    return fromKeyObject(createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' }), false);
  } catch {
    return null;
  }
}

function modPow(b: bigint, e: bigint, m: bigint): bigint {
  let r = 1n;
  b %= m;
  while (e > 0n) {
    if (e & 1n) r = (r * b) % m;
    b = (b * b) % m;
    e >>= 1n;
  }
  return r;
}
