// Shared driver for the echo benchmarks: starts each server in its own process, waits for its
// port, runs the load client process against it and takes the server's CPU time from /proc
// over the measured window. Ratios are against the first server (the baseline).
// The load client is bench/loadgen.c (built at bench time, see loadgen-build.ts); without a C
// compiler, or with --node-client, the Node clients are used instead. On a machine with two or
// more cores the server is pinned to one core and the client to another with taskset
// (BENCH_CPUS="server,client" picks them; BENCH_CPUS=none turns pinning off).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { buildLoadgen } from './loadgen-build.js';

export type LoadMode = 'tcp' | 'ws' | 'http' | 'tls';

export interface ServerSpec {
  name: string;
  /** Command line; a function gets the port chosen for the run (also in $ECHO_PORT). */
  cmd: string[] | ((port: number) => string[]);
  /** Request path (WebSocket upgrade or HTTP GET). */
  path?: string;
  /**
   * A Node load client script used instead of the harness's (bench:ws's compressed case); it
   * gets the load-driver arguments: port conns size warmMs measureMs depth path.
   */
  client?: string;
}
export interface EchoCase {
  size: number;
  depth: number;
}
export interface Comparison {
  title: string;
  servers: ServerSpec[];
  cases: EchoCase[];
  conns: number;
  warmMs: number;
  measureMs: number;
  rounds: number;
  mode: LoadMode;
}

function pinning(): [string[], string[]] {
  const env = process.env.BENCH_CPUS;
  if (env === 'none') return [[], []];
  const cpus = env ? env.split(',') : os.availableParallelism() >= 2 ? ['0', '1'] : null;
  if (!cpus || spawnSync('taskset', ['-c', cpus[0]!, 'true']).status !== 0) return [[], []];
  return [
    ['taskset', '-c', cpus[0]!],
    ['taskset', '-c', cpus[1]!],
  ];
}
const [pinServer, pinClient] = pinning();
const loadgen = process.argv.includes('--node-client') ? null : buildLoadgen();

/** The load client's command line for one run. */
function clientCmd(mode: LoadMode, port: number, conns: number, c: EchoCase, cmp: Comparison, path: string, pid: number): string[] {
  if (loadgen && (mode !== 'tls' || loadgen.tls)) {
    return [loadgen.path, '--mode', mode, '--port', String(port), '--conns', String(conns), '--size', String(c.size), '--depth', String(c.depth),
      '--warm', String(cmp.warmMs), '--measure', String(cmp.measureMs), '--path', path, '--server-pid', String(pid)];
  }
  const script = { tcp: 'load-client.js', tls: 'load-client.js', ws: 'ws-raw-load-client.js', http: 'http-load-client.js' }[mode];
  const extra = mode === 'tls' ? ['--tls'] : mode === 'tcp' ? [] : [path];
  return [process.execPath, `dist/bench/${script}`, String(port), String(conns), String(c.size), String(cmp.warmMs), String(cmp.measureMs), String(c.depth), ...extra];
}

export function clientDescription(mode: LoadMode): string {
  const which = loadgen && (mode !== 'tls' || loadgen.tls) ? 'C epoll load client (bench/loadgen.c)' : 'Node load client';
  return `${which}; ${pinServer.length ? `server pinned to CPU ${pinServer[2]}, client to CPU ${pinClient[2]}` : 'no CPU pinning'}`;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

function cpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const parts = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return ((Number(parts[11]) + Number(parts[12])) * 1000) / 100; // utime+stime, USER_HZ=100
}

async function waitPort(port: number, ms: number): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((r) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), r(true)));
      s.once('error', () => r(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`server did not open port ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Result {
  msgsPerSec: number;
  mbPerSec: number;
  cpuUsPerMsg: number;
}

async function runOne(server: ServerSpec, c: EchoCase, cmp: Comparison): Promise<Result> {
  const port = await freePort();
  const env = { ...process.env, ECHO_PORT: String(port) };
  const cmd = typeof server.cmd === 'function' ? server.cmd(port) : server.cmd;
  const full = [...pinServer, ...cmd];
  const srv: ChildProcess = spawn(full[0]!, full.slice(1), { env, stdio: ['ignore', 'ignore', 'ignore'] });
  try {
    await waitPort(port, 10000);
    const own = server.client
      ? [process.execPath, server.client, String(port), String(cmp.conns), String(c.size), String(cmp.warmMs), String(cmp.measureMs), String(c.depth), server.path ?? '/']
      : null;
    const cc = [...pinClient, ...(own ?? clientCmd(cmp.mode, port, cmp.conns, c, cmp, server.path ?? '/', srv.pid!))];
    const client = spawn(cc[0]!, cc.slice(1), {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    let cpu0 = 0;
    let cpu1 = 0;
    await new Promise<void>((resolve, reject) => {
      client.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('warm\n') && cpu0 === 0) cpu0 = cpuMs(srv.pid!) || 1e-9;
        if (out.trim().endsWith('}') && cpu1 === 0) cpu1 = cpuMs(srv.pid!);
      });
      client.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`load client exited ${code}`))));
    });
    const r = JSON.parse(out.trim().split('\n').pop()!) as { msgs: number; ms: number; bytes: number; errors: number; bad: number; open: number; srvCpuMs?: number };
    // The C client reads the server's CPU time itself, exactly at the window's edges.
    if (r.srvCpuMs !== undefined && r.srvCpuMs >= 0) (cpu0 = 1), (cpu1 = 1 + r.srvCpuMs);
    if (r.errors || r.bad || r.open !== cmp.conns) throw new Error(`${server.name}: ${r.errors} errors, ${r.bad} wrong echoes, ${r.open}/${cmp.conns} connections open`);
    const secs = r.ms / 1000;
    return { msgsPerSec: r.msgs / secs, mbPerSec: r.bytes / secs / 1e6, cpuUsPerMsg: ((cpu1 - cpu0) * 1000) / Math.max(1, r.msgs) };
  } finally {
    srv.kill('SIGKILL');
  }
}

/** `--rounds N` on the command line: the number of alternating rounds of every comparison. */
function roundsOverride(): number | null {
  const i = process.argv.indexOf('--rounds');
  const n = i >= 0 ? Number(process.argv[i + 1]) : NaN;
  return Number.isInteger(n) && n > 0 ? n : null;
}

function median(xs: number[]): number {
  const a = [...xs].sort((x, y) => x - y);
  const m = a.length >> 1;
  return a.length % 2 ? a[m]! : (a[m - 1]! + a[m]!) / 2;
}

/** A ratio over the rounds: its median, and its range when there was more than one round. */
function ratioText(rs: number[]): string {
  const med = `${median(rs).toFixed(2)}x`;
  if (rs.length < 2) return med;
  return `${med} (${Math.min(...rs).toFixed(2)}-${Math.max(...rs).toFixed(2)})`;
}

/**
 * Runs every case against every server, `rounds` times, alternating the order each round.
 * Each line gives a server's medians over the rounds; a ratio is the median of the ratios of
 * the same round (both servers measured minutes apart at most), with their range.
 */
export async function runEchoComparison(cmp: Comparison): Promise<void> {
  const rounds = roundsOverride() ?? cmp.rounds;
  console.log(`# ${cmp.title}: ${rounds} round(s), ${cmp.measureMs} ms each; ${clientDescription(cmp.mode)}`);
  for (const c of cmp.cases) {
    const runs: Result[][] = cmp.servers.map(() => []);
    for (let round = 0; round < rounds; round++) {
      // Alternate the order each round so drift on a noisy machine hits both alike.
      const order = cmp.servers.map((_, i) => i);
      if (round % 2) order.reverse();
      for (const i of order) runs[i]!.push(await runOne(cmp.servers[i]!, c, cmp));
    }
    const base = runs[0]!;
    cmp.servers.forEach((s, i) => {
      const rs = runs[i]!;
      const msgs = median(rs.map((r) => r.msgsPerSec));
      const mb = median(rs.map((r) => r.mbPerSec));
      const cpu = median(rs.map((r) => r.cpuUsPerMsg));
      const per = (f: (r: Result) => number): number[] => rs.map((r, k) => f(r) / f(base[k]!));
      const line =
        `${String(c.size).padStart(6)} B x depth ${c.depth}  ${s.name.padEnd(22)} ` +
        `${msgs.toFixed(0).padStart(9)} msg/s ${mb.toFixed(1).padStart(8)} MB/s ` +
        `cpu ${cpu.toFixed(2).padStart(6)} us/msg` +
        (i === 0
          ? '  (baseline)'
          : `  ratio msg/s ${ratioText(per((r) => r.msgsPerSec))}  MB/s ${base[0]!.mbPerSec ? ratioText(per((r) => r.mbPerSec)) : '-'}  cpu/msg ${ratioText(per((r) => r.cpuUsPerMsg))}`);
      console.log(line);
    });
  }
}
