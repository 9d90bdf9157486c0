/**
 * The app server's HTTPS listener (configuration `sslport`, `sslhost`, `certfile`, `keyfile`):
 * a `node:tls` server with the TLS module's listener settings (src/net/tls-context.ts), so it
 * has the same security defaults as every `ba.create.sharkssl` listener — TLS 1.2 and 1.3
 * only, ECDHE with AEAD ciphers, the server's order (docs/api/ba.tls.md). The HTTP server
 * (src/server/http-server.ts) opens it on `sslport` with the fallback range 9443–9460 and serves
 * its connections with the same pipeline as plain HTTP.
 *
 * Client certificates: `certstore` (PEM files of CAs) makes the listener ask for one and
 * decides which are trusted.
 *
 * Certificate: `certfile` and `keyfile` from the configuration (names or lists of names: one
 * certificate per key type is served; PEM, relative paths against
 * the working directory, as app paths; the key unencrypted: the configuration has no key
 * password), else the built-in demo certificate of `ba.openio"vm"` (.certificate/MakoServer.*,
 * key password "sharkssl"; src/vm-resources/README.md: not a secret).
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import tls from 'node:tls';
import { DEFAULT_HANDSHAKE_TIMEOUT_MS, guardTlsServer } from '../net/handshake-guard.js';
import { loadCertKey, parseCertificates, TLS12_CIPHERS, TLS13_SUITES, TLS_MAX_VERSION, TLS_MIN_VERSION, type CertKey, type PemError } from '../net/tls-context.js';

/** A bad `certfile`/`keyfile`: reported as one line, exit status 2 (src/cli/main.ts). */
export class HttpsConfigError extends Error {}

export interface HttpsListenerOptions {
  /**
   * PEM certificate (chain, leaf first), or a list of them (e.g. an RSA and an EC one); the
   * demo certificate when neither file is given.
   */
  certfile?: string | readonly string[];
  /** PEM private key belonging to `certfile` (a list: one per certificate), unencrypted. */
  keyfile?: string | readonly string[];
  /**
   * PEM files of CA certificates (the configuration's `certstore`): the listener asks clients
   * for a certificate, and `request:certificate()` says whether one of these CAs signed it.
   */
  certstore?: readonly string[];
  /** Told each file loaded, as Mako prints them (`Loading store "..."`, `Loading certificate "..."`). */
  note?: (line: string) => void;
  /**
   * Milliseconds a connection has to complete its handshake (it holds no `conncnt` slot
   * before that, so half-done handshakes must not pile up; node's default is 120 s).
   */
  handshakeTimeout?: number;
}

/** Password of the demo key; published with it (src/vm-resources/README.md). */
const DEMO_KEY_PASSWORD = 'sharkssl';


/** A configured name as Mako prints it: as given when absolute, else after the folder (not normalised). */
function shownName(name: string): string {
  return (isAbsolute(name) ? name : `${process.cwd()}/${name}`).replace(/\/\//g, '/');
}

/** What the PEM loader's result names mean, for the one-line start-up error. */
const PEM_MESSAGES: Record<PemError, string> = {
  pem_cert_unrecognized_format: 'no PEM certificate found',
  pem_key_unrecognized_format: 'no PEM private key found',
  pem_key_passphrase_required: 'the key is encrypted; the configuration needs an unencrypted key',
  pem_key_parse_error: 'the key cannot be read (damaged or encrypted)',
  pem_key_cert_mismatch: 'the key does not belong to the certificate',
};

/** dist/src/vm-resources after a build, else the source folder (as src/ba/io.ts). */
function demoFile(name: string): string {
  const candidates = [
    fileURLToPath(new URL(`../vm-resources/.certificate/${name}`, import.meta.url)),
    fileURLToPath(new URL(`../../../src/vm-resources/.certificate/${name}`, import.meta.url)),
  ];
  return candidates.find((c) => existsSync(c)) ?? candidates[0]!;
}

function readPem(what: 'certfile' | 'keyfile' | 'certstore', path: string): string {
  try {
    return readFileSync(path, 'latin1');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    throw new HttpsConfigError(`HTTPS ${what} ${path}: cannot read it (${code})`);
  }
}

/**
 * The listener's certificates and keys: the configured files (each told to `note` as Mako
 * prints it), or the demo certificate.
 */
export function loadServerCertificates(opts: HttpsListenerOptions): CertKey[] {
  const { certfile, keyfile } = opts;
  if ((certfile === undefined) !== (keyfile === undefined)) {
    throw new HttpsConfigError(`HTTPS certificate: 'certfile' and 'keyfile' must be given together (only '${certfile === undefined ? 'keyfile' : 'certfile'}' is set)`);
  }
  if (certfile === undefined || keyfile === undefined) {
    const r = loadCertKey(readPem('certfile', demoFile('MakoServer.pem')), readPem('keyfile', demoFile('MakoServer.key')), DEMO_KEY_PASSWORD);
    if (typeof r === 'string') throw new HttpsConfigError(`HTTPS demo certificate: ${PEM_MESSAGES[r]}`);
    return [r];
  }
  const certs = typeof certfile === 'string' ? [certfile] : certfile;
  const keys = typeof keyfile === 'string' ? [keyfile] : keyfile;
  if (certs.length !== keys.length || certs.length === 0) {
    throw new HttpsConfigError(`HTTPS certificate: 'certfile' and 'keyfile' must name as many files (${certs.length} and ${keys.length})`);
  }
  return certs.map((c, i) => {
    const certPath = resolve(c);
    const keyPath = resolve(keys[i]!);
    const r = loadCertKey(readPem('certfile', certPath), readPem('keyfile', keyPath));
    if (typeof r === 'string') {
      // Never the key's text: only which file and what is wrong with it.
      const file = r.startsWith('pem_cert') ? `certfile ${certPath}` : r === 'pem_key_cert_mismatch' ? `keyfile ${keyPath} / certfile ${certPath}` : `keyfile ${keyPath}`;
      throw new HttpsConfigError(`HTTPS ${file}: ${PEM_MESSAGES[r]} (${r})`);
    }
    opts.note?.(`Loading certificate "${shownName(c)}"\n`);
    return r;
  });
}

/**
 * The start-up HTTPS listener's TLS settings: the configured certificate (or the demo
 * certificate) with the TLS module's listener settings (TlsContextDef.secureContext). Throws
 * HttpsConfigError for a bad certificate or key.
 */
export function httpsContextOptions(opts: HttpsListenerOptions): tls.SecureContextOptions {
  const ca: string[] = [];
  for (const name of opts.certstore ?? []) {
    const path = resolve(name);
    const found = parseCertificates(readPem('certstore', path));
    if (found.length === 0) throw new HttpsConfigError(`HTTPS certstore ${path}: no PEM certificate found`);
    for (const c of found) ca.push(c.toString());
    opts.note?.(`Loading store "${shownName(name)}"\n`);
  }
  // node:tls serves one certificate per key type: the first of each (RSA, EC), as for
  // ba.create.servcon.
  const seen = new Set<string>();
  const certs = loadServerCertificates(opts).filter((c) => {
    const type = c.leaf.publicKey.asymmetricKeyType ?? '';
    if (seen.has(type)) return false;
    seen.add(type);
    return true;
  });
  return {
    cert: certs.map((c) => c.chainPem),
    key: certs.map((c) => c.keyForContext()),
    minVersion: TLS_MIN_VERSION,
    maxVersion: TLS_MAX_VERSION,
    ciphers: `${TLS13_SUITES}:${TLS12_CIPHERS}`,
    honorCipherOrder: true,
    // Only the certstore's CAs are trusted for client certificates: node would otherwise
    // vouch for any certificate of its built-in public CAs.
    ca,
  };
}

/**
 * A (not yet listening) TLS server with these settings, for any HTTPS listener: the start-up
 * one, `ba.create.servcon(port, {shark=...})`. The caller serves its `secureConnection`s.
 */
export function createTlsServer(options: tls.SecureContextOptions, handshakeTimeout?: number): tls.Server {
  // Given as options: tls.createServer makes its connections' context from its own options
  // and ignores a `secureContext` option.
  const server = tls.createServer({
    ...options,
    handshakeTimeout: handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT_MS,
    // servcon:clientcert(true) asks for a client certificate; a client without one (or with
    // one nothing trusts) is still served, and the page sees it (request:certificate()).
    rejectUnauthorized: false,
    // No half-open connections before the handshake has completed (src/net/handshake-guard.ts);
    // the HTTP connection turns it on for a secured connection (it answers a half-closed
    // request before it closes).
    allowHalfOpen: false,
  });
  guardTlsServer(server);
  return server;
}
