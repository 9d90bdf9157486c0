// Shared driver for the echo benchmarks: starts each server in its own process, waits for its
// port, runs the load client process against it and samples the server's CPU time from
// /proc during the measured window. Ratios are against the first server (the baseline).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';

export interface ServerSpec {
  name: string;
  /** Command line; a function gets the port chosen for the run (also in $ECHO_PORT). */
  cmd: string[] | ((port: number) => string[]);
  /** Extra load-client arguments for this server (a request path, say). */
  clientArgs?: string[];
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
  /** Load client script (default dist/bench/load-client.js) and its extra arguments. */
  client?: string;
  clientArgs?: string[];
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
  const srv: ChildProcess = spawn(cmd[0]!, cmd.slice(1), { env, stdio: ['ignore', 'ignore', 'ignore'] });
  try {
    await waitPort(port, 10000);
    const args = [String(port), String(cmp.conns), String(c.size), String(cmp.warmMs), String(cmp.measureMs), String(c.depth), ...(cmp.clientArgs ?? []), ...(server.clientArgs ?? [])];
    const client = spawn(process.execPath, [cmp.client ?? 'dist/bench/load-client.js', ...args], {
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
    const r = JSON.parse(out.trim().split('\n').pop()!) as { msgs: number; ms: number; bytes: number; errors: number; bad: number; open: number };
    if (r.errors || r.bad || r.open !== cmp.conns) throw new Error(`${server.name}: ${r.errors} errors, ${r.bad} wrong echoes, ${r.open}/${cmp.conns} connections open`);
    const secs = r.ms / 1000;
    return { msgsPerSec: r.msgs / secs, mbPerSec: r.bytes / secs / 1e6, cpuUsPerMsg: ((cpu1 - cpu0) * 1000) / Math.max(1, r.msgs) };
  } finally {
    srv.kill('SIGKILL');
  }
}

export async function runEchoComparison(cmp: Comparison): Promise<void> {
  console.log(`# ${cmp.title}: ${cmp.rounds} round(s), ${cmp.measureMs} ms each`);
  const rows: string[] = [];
  for (const c of cmp.cases) {
    const acc = cmp.servers.map(() => ({ msgsPerSec: 0, mbPerSec: 0, cpuUsPerMsg: 0 }));
    for (let round = 0; round < cmp.rounds; round++) {
      // Alternate the order each round so drift on a noisy machine hits both alike.
      const order = cmp.servers.map((_, i) => i);
      if (round % 2) order.reverse();
      for (const i of order) {
        const r = await runOne(cmp.servers[i]!, c, cmp);
        acc[i]!.msgsPerSec += r.msgsPerSec / cmp.rounds;
        acc[i]!.mbPerSec += r.mbPerSec / cmp.rounds;
        acc[i]!.cpuUsPerMsg += r.cpuUsPerMsg / cmp.rounds;
      }
    }
    const base = acc[0]!;
    cmp.servers.forEach((s, i) => {
      const a = acc[i]!;
      const line =
        `${String(c.size).padStart(6)} B x depth ${c.depth}  ${s.name.padEnd(22)} ` +
        `${a.msgsPerSec.toFixed(0).padStart(9)} msg/s ${a.mbPerSec.toFixed(1).padStart(8)} MB/s ` +
        `cpu ${a.cpuUsPerMsg.toFixed(2).padStart(6)} us/msg` +
        (i === 0 ? '  (baseline)' : `  ratio msg/s ${(a.msgsPerSec / base.msgsPerSec).toFixed(2)}x  MB/s ${base.mbPerSec ? (a.mbPerSec / base.mbPerSec).toFixed(2) + "x" : "-"}  cpu/msg ${(a.cpuUsPerMsg / base.cpuUsPerMsg).toFixed(2)}x`);
      console.log(line);
      rows.push(line);
    });
  }
}
