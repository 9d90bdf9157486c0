/**
 * Runs one compat probe (test/compat/README.md) on a server binary -- remora or a real Mako
 * Server -- and returns its output as comparable lines: server banners dropped, volatile parts
 * (pointers, ports, the probe's own path) masked. Used by compat.test.ts (remora) and by
 * scripts/compat-record.mjs (Mako, to record the expected files).
 */
import { freePort } from '../harness/net-util.js';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const PROBES_DIR = 'test/compat/probes';

export interface ServerCmd {
  kind: 'remora' | 'mako';
  /** The command and its leading arguments: [node, dist/src/cli/main.js] or [/path/to/mako]. */
  argv: string[];
}

export const REMORA: ServerCmd = { kind: 'remora', argv: [process.execPath, resolve('dist/src/cli/main.js')] };

export interface ProbeResult {
  lines: string[];
  exitCode: number | null;
  timedOut: boolean;
}

/** Every probe directory, sorted by name. */
export function listProbes(root = PROBES_DIR): string[] {
  return readdirSync(root)
    .filter((n) => statSync(join(root, n)).isDirectory())
    .sort()
    .map((n) => join(root, n));
}

export { freePort };

/** Lines the servers print themselves (banners, listener reports, shutdown notes). */
const NOISE: RegExp[] = [
  /^Mako Server\. Version /,
  /^BAS lib \d+\. Build date/,
  /^Copyright \(c\) Real Time Logic\./,
  /^(EPOLL|SELECT) dispatcher/,
  /^Loading \/.*\.conf$/,
  /^Mounting .*mako\.zip$/,
  /^(SharkSSL s|S)erver listening on IPv[46] port /,
  /^Loading certificate MakoServer$/,
  /^Loading .* as "root application" : ok$/,
  /^Got SIGTERM; exiting\.\.\.$/,
  /^HTTP server listening on port /,
];

/** Replaces what differs from run to run; `ports` are the ports the runner handed out. */
export function maskLine(line: string, appDir: string, ports: number[]): string {
  let s = line.split(appDir).join('<APP>');
  // Pointers: Lua's "table: 0x55d0c3a2b8f0", BAS's "[Sock 55d0c3a2b8f0 ...]".
  s = s.replace(/\b(?:0x[0-9a-fA-F]+|[0-9a-f]{12})\b/g, 'PTR').replace(/\[Sock [0-9a-f]+ /g, '[Sock PTR ');
  for (const p of ports) s = s.replace(new RegExp(`\\b${p}\\b`, 'g'), 'PORT');
  // Addresses with ephemeral ports: {127.0.0.1:54321 -> 127.0.0.1:PORT}
  s = s.replace(/((?:\d+\.){3}\d+|::1|::ffff:[\d.]+):\d{4,5}\b/g, '$1:PORT');
  return s;
}

/** Reads an expected file: `##` lines are comments. */
export function readExpected(file: string): string[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('##'));
}

/** The expected file for `kind`: remora uses expected.remora.txt where it exists. */
export function expectedFile(dir: string, kind: 'remora' | 'mako'): string {
  const v = join(dir, 'expected.remora.txt');
  return kind === 'remora' && existsSync(v) ? v : join(dir, 'expected.txt');
}

/**
 * Runs the probe in `dir`: starts its peer.mjs when there is one, writes a configuration with
 * two fresh ports, starts the server with the probe as root app, and collects stdout+stderr as
 * one ordered stream until the process exits (or `timeoutMs`). A line `@SIGTERM` makes the
 * runner send SIGTERM to the server.
 */
export async function runProbe(dir: string, server: ServerCmd, timeoutMs = 20000): Promise<ProbeResult> {
  // A port handed out by freePort can be taken by another process before the server binds it
  // (remora then says so and uses a fallback port; Mako's banner names another port): run
  // again with fresh ports.
  for (let attempt = 1; ; attempt++) {
    const r = await runProbeOnce(dir, server, timeoutMs);
    if (attempt >= 3 || !r.portTaken) return { lines: r.lines, exitCode: r.exitCode, timedOut: r.timedOut };
  }
}

const PORT_TAKEN = [/could not be opened \(in use\)/];

async function runProbeOnce(dir: string, server: ServerCmd, timeoutMs: number): Promise<ProbeResult & { portTaken: boolean }> {
  const appDir = resolve(dir);
  const work = mkdtempSync(join(tmpdir(), 'remora-compat-'));
  const ports = [await freePort(), await freePort()];
  const env: Record<string, string> = { ...(process.env as Record<string, string>) };
  let peer: ReturnType<typeof spawn> | null = null;
  try {
    if (existsSync(join(appDir, 'peer.mjs'))) {
      peer = spawn(process.execPath, [join(appDir, 'peer.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
      const peerPort = await new Promise<number>((res, rej) => {
        let buf = '';
        peer!.stdout!.on('data', (d) => {
          buf += d;
          const m = /PORT (\d+)/.exec(buf);
          if (m) res(Number(m[1]));
        });
        peer!.on('exit', () => rej(new Error(`peer.mjs of ${dir} exited before printing PORT`)));
      });
      ports.push(peerPort);
      env.COMPAT_PEER_PORT = String(peerPort);
    }
    const conf = join(work, 'probe.conf');
    // A probe's own settings (probe.conf) follow the generated ones.
    // "<APP>" in it stands for the probe's folder (e.g. certificates the server loads at start-up).
    const extra = existsSync(join(appDir, 'probe.conf')) ? readFileSync(join(appDir, 'probe.conf'), 'utf8').replaceAll('<APP>', appDir) : '';
    writeFileSync(conf, `port=${ports[0]}\nsslport=${ports[1]}\nhost="127.0.0.1"\nsslhost="127.0.0.1"\n${extra}`);
    env.COMPAT_PORT = String(ports[0]);
    env.COMPAT_SSLPORT = String(ports[1]);
    // Spare ports for listeners that cannot use port 0 (BAS refuses it for TLS listeners).
    for (const n of [1, 2, 3]) {
      const p = await freePort();
      ports.push(p);
      env[`COMPAT_FREEPORT${n}`] = String(p);
    }
    // One pipe for both streams keeps their order (the shell's exec keeps the pid).
    const child = spawn('sh', ['-c', 'exec "$@" 2>&1', 'sh', ...server.argv, '-c', conf, `-l::${appDir}`], {
      cwd: work,
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let text = '';
    let timedOut = false;
    let termSent = false;
    child.stdout!.on('data', (d) => {
      text += d;
      if (!termSent && /^@SIGTERM$/m.test(text)) {
        termSent = true;
        child.kill('SIGTERM');
      }
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    const exitCode = await new Promise<number | null>((res) => child.on('close', (code) => res(code)));
    clearTimeout(timer);
    const portTaken = PORT_TAKEN.some((r) => r.test(text));
    const lines = text
      .split('\n')
      .map((l) => l.replace(/\r$/, ''))
      .filter((l) => l.trim() !== '' && l !== '@SIGTERM' && !NOISE.some((r) => r.test(l)))
      .map((l) => maskLine(l, appDir, ports));
    lines.push(timedOut ? '@TIMEOUT' : `@exit ${exitCode}`);
    return { lines, exitCode, timedOut, portTaken };
  } finally {
    if (peer && peer.exitCode === null) peer.kill('SIGKILL');
    rmSync(work, { recursive: true, force: true });
  }
}

/** A unified-style listing of the differences (empty when equal). */
export function diffLines(expected: string[], actual: string[]): string {
  if (expected.length === actual.length && expected.every((l, i) => l === actual[i])) return '';
  const out: string[] = [];
  const n = Math.max(expected.length, actual.length);
  for (let i = 0; i < n; i++) {
    const e = expected[i];
    const a = actual[i];
    if (e === a) out.push(`  ${e}`);
    else {
      if (e !== undefined) out.push(`- ${e}`);
      if (a !== undefined) out.push(`+ ${a}`);
    }
  }
  return out.join('\n');
}
