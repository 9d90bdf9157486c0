/**
 * `npm run stress` (not in CI): the long versions of test/hostile/ (issue 14) against one
 * `remora` server process on 127.0.0.1, each attack with a health probe running (a GET of a
 * static file on a fresh connection every 50 ms), and a table at the end: probe success rate,
 * RSS and file descriptors of the server before and after each attack.
 *
 *   tls-close   20,000 connect-then-close connections to the HTTPS port in ~15 s from 4
 *               client processes
 *   tls-stall   silent connections to the HTTPS port up to the server's descriptor limit
 *               (minus a margin), held until the handshake deadline closes them
 *   slowloris   1,000 connections trickling a request head for 60 s (reconnecting when closed)
 *   churn       50,000 connect / GET / close cycles (RSS sampled every second)
 *
 * `--quick` divides the counts and durations by 10. Client work runs in child processes
 * (this file with `--client <attack> ...`) so that the clients' own descriptors and CPU do
 * not count against the measuring process.
 */
import http from 'node:http';
import net from 'node:net';
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---- client processes ------------------------------------------------------------------------

async function clientMain(args: string[]): Promise<void> {
  const [attack, portS, countS, durS] = args;
  const port = Number(portS);
  const count = Number(countS);
  const durationMs = Number(durS);
  let done = 0;
  let failed = 0;
  if (attack === 'tls-close' || attack === 'churn') {
    // `count` cycles, at most 100 in flight, spread over about durationMs.
    const started = Date.now();
    let next = 0;
    const one = (): Promise<void> =>
      new Promise((resolve) => {
        const s = net.connect(port, '127.0.0.1', () => {
          if (attack === 'churn') s.write('GET /health.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
          else s.end();
        });
        s.resume();
        const fin = (ok: boolean): void => {
          if (!ok) failed++;
          done++;
          s.destroy();
          resolve();
        };
        s.on('end', () => fin(true));
        s.on('error', () => fin(false));
        s.setTimeout(10_000, () => fin(false));
      });
    const lanes = Array.from({ length: 100 }, async () => {
      while (next < count) {
        next++;
        // Pace: do not run ahead of the schedule.
        const due = started + (next / count) * durationMs;
        if (Date.now() < due) await sleep(due - Date.now());
        await one();
      }
    });
    await Promise.all(lanes);
  } else if (attack === 'tls-stall') {
    const socks: net.Socket[] = [];
    for (let i = 0; i < count; i += 500) {
      const oks = await Promise.all(
        Array.from(
          { length: Math.min(500, count - i) },
          () =>
            new Promise<boolean>((resolve) => {
              const s = net.connect(port, '127.0.0.1', () => resolve(true));
              s.on('error', () => resolve(false));
              s.resume();
              socks.push(s);
            }),
        ),
      );
      for (const ok of oks) ok ? done++ : failed++;
    }
    process.send?.({ opened: done });
    // Hold them until the server closes them (or the time is up).
    const end = Date.now() + durationMs;
    while (Date.now() < end && socks.some((s) => !s.destroyed && !s.readableEnded)) await sleep(200);
    for (const s of socks) s.destroy();
  } else if (attack === 'slowloris') {
    const end = Date.now() + durationMs;
    const socks = new Set<net.Socket>();
    const open = (): void => {
      if (Date.now() >= end) return;
      const s = net.connect(port, '127.0.0.1', () => s.write('GET /health.txt HTTP/1.1\r\nHost: x\r\n'));
      s.on('error', () => {});
      s.on('close', () => {
        socks.delete(s);
        done++;
        open();
      });
      s.resume();
      socks.add(s);
    };
    for (let i = 0; i < count; i++) open();
    while (Date.now() < end) {
      await sleep(1000);
      for (const s of socks) if (!s.destroyed) s.write('X-a: b\r\n');
    }
    for (const s of socks) s.destroy();
  }
  process.send?.({ done, failed });
}

// ---- the server and the probe ----------------------------------------------------------------

interface Server {
  child: ChildProcess;
  port: number;
  sslport: number;
  dir: string;
  out(): string;
}

async function startServer(): Promise<Server> {
  const dir = mkdtempSync(join(tmpdir(), 'remora-stress-'));
  mkdirSync(join(dir, 'app'));
  writeFileSync(join(dir, 'app', 'health.txt'), 'ok\n');
  writeFileSync(join(dir, 'mako.conf'), 'port = 0\nsslport = 0\nhost = "127.0.0.1"\nsslhost = "127.0.0.1"\n');
  const main = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
  const child = spawn(process.execPath, [main, '-c', join(dir, 'mako.conf'), '-l::' + join(dir, 'app')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout!.on('data', (b: Buffer) => (text += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (text += b.toString()));
  const deadline = Date.now() + 20_000;
  let m: RegExpExecArray | null = null;
  while (!(m = /HTTP server listening on port (\d+), HTTPS on port (\d+)/.exec(text))) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`server did not start: ${text}`);
    await sleep(50);
  }
  return { child, port: Number(m[1]), sslport: Number(m[2]), dir, out: () => text };
}

function rssMB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

function fds(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return 0;
  }
}

function probeOnce(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/health.txt', agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(res.statusCode === 200 && body === 'ok\n'));
      res.on('error', () => resolve(false));
    });
    req.on('error', () => resolve(false));
    req.setTimeout(5000, () => req.destroy());
  });
}

interface Row {
  attack: string;
  what: string;
  seconds: number;
  probeOk: number;
  probeTotal: number;
  rssBefore: number;
  rssMax: number;
  rssAfter: number;
  fdsBefore: number;
  fdsMax: number;
  fdsAfter: number;
}

function runClients(attack: string, port: number, procs: number, perProc: number, durationMs: number, onMsg?: (m: Record<string, number>) => void): Promise<Array<Record<string, number>>> {
  const self = fileURLToPath(import.meta.url);
  return Promise.all(
    Array.from(
      { length: procs },
      () =>
        new Promise<Record<string, number>>((resolve) => {
          const c = fork(self, ['--client', attack, String(port), String(perProc), String(durationMs)], { stdio: 'inherit' });
          let last: Record<string, number> = {};
          c.on('message', (m: Record<string, number>) => {
            if ('done' in m) last = m;
            else onMsg?.(m);
          });
          c.on('exit', () => resolve(last));
        }),
    ),
  );
}

async function attack(srv: Server, name: string, what: string, run: () => Promise<void>, settleMs: number): Promise<Row> {
  const pid = srv.child.pid!;
  await sleep(1000);
  const row: Row = { attack: name, what, seconds: 0, probeOk: 0, probeTotal: 0, rssBefore: rssMB(pid), rssMax: 0, rssAfter: 0, fdsBefore: fds(pid), fdsMax: 0, fdsAfter: 0 };
  let running = true;
  const sampler = setInterval(() => {
    row.rssMax = Math.max(row.rssMax, rssMB(pid));
    row.fdsMax = Math.max(row.fdsMax, fds(pid));
  }, 1000);
  const probe = (async () => {
    while (running) {
      const ok = await probeOnce(srv.port);
      row.probeTotal++;
      if (ok) row.probeOk++;
      await sleep(50);
    }
  })();
  const t0 = Date.now();
  await run();
  row.seconds = (Date.now() - t0) / 1000;
  // The probe keeps going while the server cleans up (deadlines).
  await sleep(settleMs);
  running = false;
  await probe;
  clearInterval(sampler);
  row.rssAfter = rssMB(pid);
  row.fdsAfter = fds(pid);
  row.rssMax = Math.max(row.rssMax, row.rssAfter);
  row.fdsMax = Math.max(row.fdsMax, row.fdsAfter);
  process.stderr.write(`stress: ${name} done (${row.seconds.toFixed(1)} s)\n`);
  return row;
}

function fdLimit(pid: number): number {
  try {
    const m = /Max open files\s+(\d+)/.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'));
    return m ? Number(m[1]) : 1024;
  } catch {
    return 1024;
  }
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const q = (n: number): number => (quick ? Math.max(1, Math.round(n / 10)) : n);
  const srv = await startServer();
  const rows: Row[] = [];
  try {
    const pid = srv.child.pid!;
    rows.push(
      await attack(srv, 'tls-close', `${q(20_000)} connect-then-close TLS connections, 4 processes`, async () => {
        const r = await runClients('tls-close', srv.sslport, 4, q(5000), q(15_000));
        const done = r.reduce((a, m) => a + (m.done ?? 0), 0);
        process.stderr.write(`stress: tls-close: ${done} connections closed by the server\n`);
      }, 2000),
    );
    const limit = fdLimit(pid);
    const stall = Math.max(100, limit - 1000);
    const procs = Math.ceil(stall / 4000);
    let opened = 0;
    rows.push(
      await attack(srv, 'tls-stall', `${quick ? q(stall) : stall} silent TLS connections (server fd limit ${limit})`, async () => {
        await runClients('tls-stall', srv.sslport, quick ? 1 : procs, quick ? q(stall) : Math.ceil(stall / procs), 30_000, (m) => (opened += m.opened ?? 0));
        process.stderr.write(`stress: tls-stall: ${opened} opened\n`);
      }, 1000),
    );
    rows.push(
      await attack(srv, 'slowloris', `${q(1000)} slowloris connections for ${q(60)} s`, async () => {
        await runClients('slowloris', srv.port, 2, q(500), q(60_000));
      }, 1000),
    );
    rows.push(
      await attack(srv, 'churn', `${q(50_000)} connect/GET/close cycles`, async () => {
        await runClients('churn', srv.port, 2, q(25_000), 0);
      }, 1000),
    );
  } finally {
    srv.child.kill('SIGKILL');
    rmSync(srv.dir, { recursive: true, force: true });
  }
  const head = ['attack', 'what', 's', 'probe ok', 'RSS before', 'RSS max', 'RSS after', 'fds before', 'fds max', 'fds after'];
  const lines = rows.map((r) => [
    r.attack,
    r.what,
    r.seconds.toFixed(1),
    `${r.probeOk}/${r.probeTotal} (${r.probeTotal ? ((100 * r.probeOk) / r.probeTotal).toFixed(1) : '0'}%)`,
    `${r.rssBefore.toFixed(0)} MB`,
    `${r.rssMax.toFixed(0)} MB`,
    `${r.rssAfter.toFixed(0)} MB`,
    String(r.fdsBefore),
    String(r.fdsMax),
    String(r.fdsAfter),
  ]);
  console.log(`| ${head.join(' | ')} |\n|${head.map(() => '---').join('|')}|`);
  for (const l of lines) console.log(`| ${l.join(' | ')} |`);
}

if (process.argv[2] === '--client') {
  clientMain(process.argv.slice(3)).then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
} else {
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
