/**
 * Certificates for the TLS tests, made at test time with the openssl command (never
 * committed): a test CA and leaf certificates signed by it, written to a temporary directory
 * that is removed when the process exits. One set per test process.
 *
 *   ca          CN=remora test CA (CA:TRUE)
 *   server      CN=localhost, SAN DNS:localhost, IP:127.0.0.1     signed by the CA
 *   wrongname   CN=other.example, SAN DNS:other.example          signed by the CA
 *   expired     CN=localhost, SAN as server, notAfter in the past   signed by the CA
 *   selfsigned  CN=localhost, SAN as server                        self-signed
 *   client      CN=client (clientAuth)                             signed by the CA
 *
 * Files: <name>.pem, <name>.key (unencrypted), and server-enc.key (the server key encrypted
 * with the password in PKI_PASSWORD).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const PKI_PASSWORD = 'secret';
export const PKI_NAMES = ['ca', 'server', 'wrongname', 'expired', 'selfsigned', 'client'] as const;
export type PkiName = (typeof PKI_NAMES)[number];

export interface TestPki {
  dir: string;
  pem(name: PkiName): string;
  key(name: PkiName): string;
  file(name: string): string;
}

/** Throws a clear error when a command-line tool a test needs is missing. */
export function requireTool(tool: string, aptPackage = tool): void {
  const r = spawnSync(tool, tool === 'openssl' ? ['version'] : ['--version'], { stdio: 'ignore' });
  if (r.error || r.status !== 0) {
    throw new Error(`this test needs the "${tool}" command (Debian/Ubuntu: apt-get install ${aptPackage}); it was not found on PATH`);
  }
}

function openssl(dir: string, args: string[]): void {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${r.error?.message ?? r.stderr}`);
}

let pki: TestPki | null = null;

export function testPki(): TestPki {
  if (pki) return pki;
  requireTool('openssl');
  const dir = mkdtempSync(join(tmpdir(), 'remora-pki-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl(dir, ['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=remora test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  const localhost = 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n';
  const leaves: Array<[PkiName, string, string, string]> = [
    ['server', '/CN=localhost', localhost, '2'],
    ['wrongname', '/CN=other.example', 'subjectAltName=DNS:other.example\nbasicConstraints=CA:FALSE\n', '2'],
    ['expired', '/CN=localhost', localhost, '-1'],
    ['client', '/CN=client', 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n', '2'],
  ];
  for (const [name, subj, ext, days] of leaves) {
    writeFileSync(join(dir, `${name}.ext`), ext);
    openssl(dir, ['req', '-new', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subj]);
    openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', days, '-extfile', `${name}.ext`, '-out', `${name}.pem`]);
  }
  openssl(dir, ['req', '-x509', ...ec, '-keyout', 'selfsigned.key', '-out', 'selfsigned.pem', '-days', '2', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1']);
  openssl(dir, ['pkey', '-in', 'server.key', '-aes-256-cbc', '-passout', `pass:${PKI_PASSWORD}`, '-out', 'server-enc.key']);
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');
  pki = {
    dir,
    pem: (n) => read(`${n}.pem`),
    key: (n) => read(`${n}.key`),
    file: (f) => join(dir, f),
  };
  return pki;
}
