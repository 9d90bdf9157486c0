/**
 * TLS contexts without Lua: certificate/key pairs loaded from PEM, CA lists, and the
 * `node:tls` secure context a SharkSSL object stands for.
 *
 * Security defaults (issue 4 item 6, docs/api/ba.tls.md): TLS 1.2 and 1.3 only; TLS 1.2 offers
 * only ECDHE key exchange with AEAD ciphers (AES-GCM, ChaCha20-Poly1305), TLS 1.3 its three
 * AEAD suites; the server's order wins. Private keys are decrypted once, kept in memory as
 * PKCS#8 PEM for node:tls and never written to a log or an error message.
 */
import tls from 'node:tls';
import { existsSync, readFileSync } from 'node:fs';
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';

export const TLS_MIN_VERSION = 'TLSv1.2';
export const TLS_MAX_VERSION = 'TLSv1.3';

/** TLS 1.2: forward secrecy and AEAD only (no CBC, RC4, 3DES, static RSA, DHE). */
export const TLS12_CIPHERS = [
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
].join(':');

/** TLS 1.3 suites (all AEAD). */
export const TLS13_SUITES = ['TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256', 'TLS_AES_128_GCM_SHA256'].join(':');

/** Errors of ba.create.sharkcert, named after SharkSSL's PEM decoder results. */
export type PemError =
  | 'pem_cert_unrecognized_format'
  | 'pem_key_unrecognized_format'
  | 'pem_key_passphrase_required'
  | 'pem_key_parse_error'
  | 'pem_key_cert_mismatch';

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
const PEM_KEY = /-----BEGIN ((?:ENCRYPTED |RSA |EC )?PRIVATE KEY)-----[\s\S]+?-----END \1-----/;

/** A certificate chain with its private key (ba.create.sharkcert). */
export class CertKey {
  /** The decrypted key; only node:tls sees it (a #private field: not in JSON or inspection). */
  readonly #keyPem: string;

  constructor(
    /** Leaf first, then any intermediates, as PEM. */
    readonly chainPem: string,
    keyPem: string,
    readonly leaf: X509Certificate,
  ) {
    this.#keyPem = keyPem;
  }

  /** The key for a secure context. */
  keyForContext(): string {
    return this.#keyPem;
  }

  toString(): string {
    return `CertKey(${this.leaf.subject.replace(/\n/g, ', ')})`;
  }

  /** console.log / util.inspect never show the key. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

/** Every PEM certificate in `text`, parsed; invalid blocks are skipped. */
export function parseCertificates(text: string): X509Certificate[] {
  const out: X509Certificate[] = [];
  for (const m of text.matchAll(PEM_CERT)) {
    try {
      out.push(new X509Certificate(m[0]));
    } catch {
      // Not a certificate node:crypto can read: ignored, as a CA bundle loader does.
    }
  }
  return out;
}

/**
 * Loads a certificate (chain) and its private key from PEM text. Returns the SharkSSL-style
 * error name instead of throwing; messages never include key material.
 */
export function loadCertKey(certText: string, keyText: string, password?: string): CertKey | PemError {
  const certs = parseCertificates(certText);
  if (certs.length === 0) return 'pem_cert_unrecognized_format';
  const km = PEM_KEY.exec(keyText);
  if (!km) return 'pem_key_unrecognized_format';
  const encrypted = km[1] === 'ENCRYPTED PRIVATE KEY' || /Proc-Type:\s*4,ENCRYPTED/.test(km[0]);
  if (encrypted && (password === undefined || password === '')) return 'pem_key_passphrase_required';
  let key: KeyObject;
  try {
    key = createPrivateKey(encrypted ? { key: km[0], format: 'pem', passphrase: password } : { key: km[0], format: 'pem' });
  } catch {
    // Wrong password or a damaged key: node:crypto cannot tell these apart either.
    return 'pem_key_parse_error';
  }
  const leaf = certs[0]!;
  if (!leaf.checkPrivateKey(key)) return 'pem_key_cert_mismatch';
  const chainPem = certs.map((c) => c.toString()).join('');
  return new CertKey(chainPem, key.export({ type: 'pkcs8', format: 'pem' }) as string, leaf);
}

/** Where the system keeps its CA bundle (Debian/Ubuntu, RHEL/Fedora, SUSE, Alpine/macOS). */
const SYSTEM_BUNDLES = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt', '/etc/ssl/ca-bundle.pem', '/etc/ssl/cert.pem'];

let systemCas: { pems: string[]; source: string } | null = null;

/**
 * The trust store of ba.sharkclient(): the file named by SSL_CERT_FILE, else the system CA
 * bundle, else the Mozilla list compiled into Node (`tls.rootCertificates`). Read once.
 */
export function systemCaBundle(): { pems: string[]; source: string } {
  if (systemCas) return systemCas;
  const candidates = [process.env.SSL_CERT_FILE, ...SYSTEM_BUNDLES].filter((p): p is string => !!p);
  for (const path of candidates) {
    try {
      if (!existsSync(path)) continue;
      const pems = parseCertificates(readFileSync(path, 'latin1')).map((c) => c.toString());
      if (pems.length) return (systemCas = { pems, source: path });
    } catch {
      // Unreadable: try the next one.
    }
  }
  return (systemCas = { pems: [...tls.rootCertificates], source: 'node:tls rootCertificates' });
}

export interface ContextOptions {
  /** A listener context (ba.create.sharkssl(..., {server=true})). */
  server: boolean;
  /** Trusted CA certificates as PEM; `null`: none (nothing is trusted). */
  ca: string[] | null;
  /** Client session cache entries (SharkSSL cachesize). */
  cacheSize: number;
}

/**
 * What a SharkSSL object stands for: certificates, trusted CAs, and the node:tls secure
 * context built from them (rebuilt after addCert). A client context also keeps a small
 * session cache per host:port for resumption.
 */
export class TlsContextDef {
  readonly certs: CertKey[] = [];
  private built: tls.SecureContext | null = null;
  private anchors: X509Certificate[] | null = null;
  /** host:port -> last session ticket (client side), most recent last. */
  readonly sessions = new Map<string, Buffer>();

  constructor(readonly opts: ContextOptions) {}

  get server(): boolean {
    return this.opts.server;
  }

  /** A server with a CA list asks clients for a certificate (checked with sock:trusted()). */
  get requestClientCert(): boolean {
    return this.opts.server && this.opts.ca !== null && this.opts.ca.length > 0;
  }

  addCert(c: CertKey): void {
    this.certs.push(c);
    this.built = null;
  }

  /** The trusted CA certificates, parsed. */
  trustAnchors(): X509Certificate[] {
    if (!this.anchors) this.anchors = (this.opts.ca ?? []).map((p) => new X509Certificate(p));
    return this.anchors;
  }

  secureContext(): tls.SecureContext {
    if (this.built) return this.built;
    this.built = tls.createSecureContext(this.contextOptions());
    return this.built;
  }

  /** The options secureContext() is made from (also for a server's setSecureContext). */
  contextOptions(): tls.SecureContextOptions {
    const o: tls.SecureContextOptions = {
      minVersion: TLS_MIN_VERSION,
      maxVersion: TLS_MAX_VERSION,
      ciphers: `${TLS13_SUITES}:${TLS12_CIPHERS}`,
      honorCipherOrder: true,
      // An empty list (not undefined) keeps node from adding its default roots.
      ca: this.opts.ca ?? [],
    };
    if (this.certs.length) {
      o.cert = this.certs.map((c) => c.chainPem);
      o.key = this.certs.map((c) => c.keyForContext());
    }
    return o;
  }

  /** Remembers the newest session for host:port, bounded by cacheSize. */
  saveSession(key: string, session: Buffer): void {
    if (this.opts.cacheSize <= 0) return;
    this.sessions.delete(key);
    this.sessions.set(key, session);
    while (this.sessions.size > this.opts.cacheSize) this.sessions.delete(this.sessions.keys().next().value as string);
  }
}

/** Signature algorithms with RSA's first (a listener that favours its RSA certificate). */
const RSA_FIRST_SIGALGS = [
  'rsa_pss_rsae_sha256',
  'rsa_pss_rsae_sha384',
  'rsa_pss_rsae_sha512',
  'rsa_pkcs1_sha256',
  'rsa_pkcs1_sha384',
  'rsa_pkcs1_sha512',
  'ecdsa_secp256r1_sha256',
  'ecdsa_secp384r1_sha384',
  'ecdsa_secp521r1_sha512',
  'ed25519',
  'ed448',
].join(':');

/** TLS 1.2 ciphers with the RSA-authenticated ones first. */
const RSA_FIRST_CIPHERS = [...TLS12_CIPHERS.split(':').filter((c) => c.includes('-RSA-')), ...TLS12_CIPHERS.split(':').filter((c) => !c.includes('-RSA-'))].join(':');

/**
 * The settings of an HTTP(S) listener serving a SharkSSL object's certificates
 * (`ba.create.servcon`, `mako.loadcerts`). node:tls serves one certificate per key type
 * (SharkSSL picks among all it holds by the client's hello): the first loaded of each type
 * (RSA, EC) is used. With `favorRSA` the RSA certificate wins when the client accepts both
 * (the server's order of signature algorithms and ciphers puts RSA first).
 */
export function listenerContextOptions(def: TlsContextDef, favorRSA = false): tls.SecureContextOptions {
  const seen = new Set<string>();
  const keep = def.certs.filter((c) => {
    const type = c.leaf.publicKey.asymmetricKeyType ?? '';
    if (seen.has(type)) return false;
    seen.add(type);
    return true;
  });
  const o = def.contextOptions();
  o.cert = keep.map((c) => c.chainPem);
  o.key = keep.map((c) => c.keyForContext());
  return withFavorRSA(o, favorRSA);
}

/** `o` with RSA signature algorithms and RSA ciphers first when `favorRSA` (servcon:favorRSA). */
export function withFavorRSA(o: tls.SecureContextOptions, favorRSA: boolean): tls.SecureContextOptions {
  if (!favorRSA) return o;
  return { ...o, sigalgs: RSA_FIRST_SIGALGS, ciphers: `${TLS13_SUITES}:${RSA_FIRST_CIPHERS}` };
}
