// Builds bench/loadgen.c with the machine's C compiler into bench/build/loadgen (ignored by
// git), at bench time, when the binary is missing or older than its source. With OpenSSL's
// headers present the binary also speaks TLS. Returns null (and says why) when there is no
// compiler: the benches then fall back to the Node load clients, which saturate sooner.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';

const src = 'bench/loadgen.c';
const out = 'bench/build/loadgen';

export interface Loadgen {
  path: string;
  tls: boolean;
}

let cached: Loadgen | null | undefined;

export function buildLoadgen(): Loadgen | null {
  if (cached !== undefined) return cached;
  const cc = process.env.CC ?? 'cc';
  const tlsFlag = `${out}.tls`;
  if (existsSync(out) && statSync(out).mtimeMs >= statSync(src).mtimeMs) {
    return (cached = { path: out, tls: existsSync(tlsFlag) && statSync(tlsFlag).mtimeMs >= statSync(src).mtimeMs });
  }
  mkdirSync('bench/build', { recursive: true });
  const base = ['-O2', '-o', out, src];
  let r = spawnSync(cc, [...base.slice(0, 1), '-DHAVE_OPENSSL', ...base.slice(1), '-lssl', '-lcrypto'], { encoding: 'utf8' });
  let tls = r.status === 0;
  if (!tls) {
    r = spawnSync(cc, base, { encoding: 'utf8' });
    if (r.status !== 0) {
      console.error(`loadgen: cannot build ${src} with ${cc} (${r.error?.message ?? r.stderr.trim().split('\n')[0]}); using the Node load clients`);
      return (cached = null);
    }
  }
  if (tls) spawnSync('touch', [tlsFlag]);
  else spawnSync('rm', ['-f', tlsFlag]);
  return (cached = { path: out, tls });
}
