/**
 * Helpers for the hostile suite (issue 14): a `remora` server in its own process with a
 * throw-away configuration and app, its file-descriptor count and RSS from /proc, and a
 * health probe that keeps fetching a static file while an attack runs. Every attack loop in
 * test/hostile/ is bounded; the long versions are `npm run stress` (bench/stress.ts).
 */
import http from 'node:http';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { startCli, type CliProc } from '../harness/net-util.js';

export interface HostileServer extends CliProc {
  dir: string;
  /** Open file descriptors of the server process. */
  fds(): number;
  /** Resident set size of the server process in MB. */
  rssMB(): number;
  stop(): Promise<void>;
}

function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
}

export interface ServerOptions {
  /** More apps: name -> files, mounted as `-l<name>::<dir>/<name>` before the root app. */
  apps?: Record<string, Record<string, string>>;
  /** More command-line arguments (before the -l options). */
  args?: string[];
}

/**
 * Starts `remora -c <dir>/mako.conf -l::<dir>/app` with `files` (paths relative to the app;
 * `health.txt` is added) and `conf` as the configuration file (HTTP and HTTPS on 127.0.0.1,
 * ports chosen by the OS).
 */
export async function startServer(files: Record<string, string> = {}, conf = '', opts: ServerOptions = {}): Promise<HostileServer> {
  const dir = mkdtempSync(join(tmpdir(), 'remora-hostile-'));
  const app = join(dir, 'app');
  writeFiles(app, { 'health.txt': 'ok\n', ...files });
  const mounts: string[] = [];
  for (const [name, appFiles] of Object.entries(opts.apps ?? {})) {
    writeFiles(join(dir, name), { '.keep': '', ...appFiles });
    mounts.push(`-l${name}::${join(dir, name)}`);
  }
  writeFileSync(join(dir, 'mako.conf'), `port = 0\nsslport = 0\nhost = "127.0.0.1"\nsslhost = "127.0.0.1"\n${conf}\n`);
  const p = await startCli(['-c', join(dir, 'mako.conf'), ...(opts.args ?? []), ...mounts, '-l::' + app]);
  const pid = p.child.pid!;
  return {
    ...p,
    dir,
    fds: () => readdirSync(`/proc/${pid}/fd`).length,
    rssMB: () => {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      return m ? Number(m[1]) / 1024 : 0;
    },
    async stop() {
      if (p.child.exitCode === null) {
        p.child.kill('SIGKILL');
        await p.exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One GET on a fresh connection; resolves with the status, or 0 on a failure/timeout. */
export function get(port: number, path: string, timeoutMs = 10_000): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', () => resolve({ status: 0, body }));
    });
    req.on('error', () => resolve({ status: 0, body: '' }));
    req.setTimeout(timeoutMs, () => req.destroy());
  });
}

export interface ProbeResult {
  ok: number;
  failed: number;
}

/**
 * Fetches /health.txt one request after the other (a fresh connection each, 50 ms apart)
 * until stopped (at most `maxMs`). An attack is survived when every probe succeeds.
 */
export function healthProbe(port: number, maxMs = 180_000): { stop(): Promise<ProbeResult> } {
  const r: ProbeResult = { ok: 0, failed: 0 };
  let running = true;
  const end = Date.now() + maxMs;
  const loop = (async () => {
    while (running && Date.now() < end) {
      const res = await get(port, '/health.txt');
      if (res.status === 200 && res.body === 'ok\n') r.ok++;
      else r.failed++;
      await sleep(50);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return r;
    },
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` every 50 ms until it holds or `ms` passed; returns whether it held. */
export async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) return false;
    await sleep(50);
  }
  return true;
}

/** Runs `attack` while a health probe runs; the probe has succeeded every time. */
export async function whileProbing(port: number, attack: () => Promise<void>): Promise<ProbeResult> {
  const probe = healthProbe(port);
  let r: ProbeResult;
  try {
    await attack();
  } finally {
    r = await probe.stop();
  }
  if (r.failed !== 0 || r.ok === 0) throw new Error(`health probe: ${r.failed} of ${r.ok + r.failed} failed`);
  return r;
}
