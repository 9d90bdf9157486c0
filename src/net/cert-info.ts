/**
 * What scripts learn about a peer certificate, without Lua: the `sock:certificate()` table,
 * the four outcomes of `sock:trusted([name])` and SharkSSL-style cipher names.
 */
import net from 'node:net';
import { X509Certificate } from 'node:crypto';

/** Distinguished-name attributes, named after SharkSSL's SharkSslCertDN fields (lower case). */
const DN_NAMES: Record<string, string> = {
  CN: 'commonname',
  C: 'countryname',
  ST: 'province',
  L: 'locality',
  O: 'organization',
  OU: 'unit',
  emailAddress: 'emailaddress',
};

/** "CN=a\nO=b" (X509Certificate.subject) -> { commonname = "a", organization = "b" }. */
export function dnTable(dn: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of dn.split('\n')) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const k = line.slice(0, eq);
    const key = DN_NAMES[k] ?? k.toLowerCase();
    const v = line.slice(eq + 1);
    // A repeated attribute (two OUs) keeps every value, comma-separated.
    out[key] = out[key] === undefined ? v : `${out[key]}, ${v}`;
  }
  return out;
}

/** ASN.1 UTCTime text as SharkSSL reports it: YYMMDDhhmmssZ (UTC). */
export function asn1Time(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCFullYear() % 100)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
}

export interface CertTable {
  subject: Record<string, string>;
  issuer: Record<string, string>;
  tzfrom: string;
  tzto: string;
  serialnumber: string;
  subjectaltnames: string[];
  sha256: string;
  selfsigned: boolean;
}

/** The table sock:certificate() returns. */
export function certTable(c: X509Certificate): CertTable {
  const sans = (c.subjectAltName ?? '')
    .split(/,\s*/)
    .map((s) => s.replace(/^(DNS|IP Address|email|URI):/, ''))
    .filter((s) => s !== '');
  return {
    subject: dnTable(c.subject),
    issuer: dnTable(c.issuer),
    tzfrom: asn1Time(new Date(c.validFrom)),
    tzto: asn1Time(new Date(c.validTo)),
    serialnumber: c.serialNumber.toLowerCase(),
    subjectaltnames: sans,
    sha256: c.fingerprint256.replace(/:/g, '').toLowerCase(),
    selfsigned: c.subject === c.issuer,
  };
}

/** Does the certificate name `name` (SAN DNS/IP entries, else the subject CN)? */
export function nameMatches(c: X509Certificate, name: string): boolean {
  if (!name) return false;
  const host = name.replace(/^\[|\]$/g, '');
  if (net.isIP(host)) return c.checkIP(host) !== undefined;
  return c.checkHost(host) !== undefined;
}

export function datesValid(c: X509Certificate, now = Date.now()): boolean {
  return Date.parse(c.validFrom) <= now && now <= Date.parse(c.validTo);
}

/** OpenSSL verify results that are about validity dates only. */
const DATE_ERRORS = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'ERROR_IN_CERT_NOT_BEFORE_FIELD', 'ERROR_IN_CERT_NOT_AFTER_FIELD']);

/**
 * Chain check that ignores dates: does `leaf`, through the peer's intermediates, lead to a
 * certificate signed by (or equal to) one of the trust anchors? Only used to tell "expired but
 * trusted" from "expired and untrusted", which OpenSSL reports as the same error (the date
 * error is found last and overwrites the chain error).
 */
export function chainsToAnchor(leaf: X509Certificate, intermediates: X509Certificate[], anchors: X509Certificate[]): boolean {
  let cur = leaf;
  const seen = new Set<string>();
  for (let depth = 0; depth < 10; depth++) {
    if (seen.has(cur.fingerprint256)) return false;
    seen.add(cur.fingerprint256);
    for (const a of anchors) {
      if (a.fingerprint256 === cur.fingerprint256) return true;
      if (a.ca && cur.checkIssued(a) && cur.verify(a.publicKey)) return true;
    }
    const next = intermediates.find((i) => i.ca && i.fingerprint256 !== cur.fingerprint256 && cur.checkIssued(i) && cur.verify(i.publicKey));
    if (!next) return false;
    cur = next;
  }
  return false;
}

/** The result of sock:trusted(): true, or the reason string returned after nil. */
export type TrustOutcome = true | 'certcn' | 'cert' | 'cn' | 'none';

export interface TrustInput {
  /** Peer chain, leaf first (empty: the peer sent no certificate). */
  chain: X509Certificate[];
  /** OpenSSL's verify result code, or null when the chain verified. */
  verifyError: string | null;
  anchors: X509Certificate[];
  name: string;
  now?: number;
}

/**
 * BAS's sock:trusted(): true when the chain is trusted, the name matches and the dates are good;
 * otherwise "certcn" (trusted, name matches, dates bad), "cert" (trusted, name mismatch),
 * "cn" (name matches, not trusted), "none" (neither).
 */
export function trustOutcome(t: TrustInput): TrustOutcome {
  const leaf = t.chain[0];
  if (!leaf) return 'none';
  const dates = t.chain.every((c) => datesValid(c, t.now));
  let trusted: boolean;
  if (t.verifyError === null) trusted = true;
  else if (DATE_ERRORS.has(t.verifyError)) trusted = chainsToAnchor(leaf, t.chain.slice(1), t.anchors);
  else trusted = false;
  const named = nameMatches(leaf, t.name);
  if (trusted) {
    if (!named) return 'cert';
    return dates && t.verifyError === null ? true : 'certcn';
  }
  return named ? 'cn' : 'none';
}

/**
 * node:tls cipher info -> SharkSSL names: the IANA name without "TLS_" ("AES_256_GCM_SHA384",
 * "ECDHE_RSA_WITH_AES_128_GCM_SHA256") and the version as "TLS_1_3" / "TLS_1_2".
 */
export function sharkCipher(c: { name: string; standardName?: string; version: string }, protocol: string | null): [string, string] {
  const std = c.standardName && c.standardName !== 'unknown' ? c.standardName : c.name;
  const name = std.replace(/^TLS_/, '').replace(/-/g, '_');
  const v = protocol ?? c.version;
  const m = /^TLSv(\d)(?:\.(\d))?$/.exec(v);
  const proto = m ? `TLS_${m[1]}_${m[2] ?? '0'}` : v;
  return [name, proto];
}
