// npm run bench:ws — a remora cosocket WebSocket echo (an LSP page turns the upgrade into a
// socket with ba.socket.req2sock and starts an "s"-mode cosocket, bench/apps/ws-echo) against a
// `ws` package echo server, both driven by the same `ws` load client in the same run, 100
// connections, 64 B and 16 KiB messages. Server and client run in separate processes. Prints
// messages/s, MB/s, server CPU per message and the ratios (baseline: ws).
//
//   node dist/bench/ws.js [--quick]
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';

interface ServerSpec {
  name: string;
  cmd: (port: number) => string[];
  /** Request path of the WebSocket endpoint. */
  path: string;
}

interface Result {
  msgsPerSec: number;
  mbPerSec: number;
  cpuUsPerMsg: number;
}

const quick = process.argv.includes('--quick');
const CONNS = 100;
const WARM_MS = quick ? 500 : 1500;
const MEASURE_MS = quick ? 1500 : 4000;
const ROUNDS = quick ? 1 : 2;
const SIZES = [64, 16384];

const servers: ServerSpec[] = [
  { name: 'ws (node)', cmd: () => [process.execPath, 'dist/bench/ws-echo-server.js'], path: '/' },
  { name: 'remora cosocket', cmd: (port) => [process.execPath, 'dist/src/cli/main.js', '-c', 'bench/apps/ws-echo.conf', '-p', String(port), '-l', '::bench/apps/ws-echo'], path: '/index.lsp' },
];

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

/** utime+stime of a process in ms (USER_HZ = 100). */
function cpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const parts = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return ((Number(parts[11]) + Number(parts[12])) * 1000) / 100;
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

async function runOne(server: ServerSpec, size: number): Promise<Result> {
  const port = await freePort();
  const env = { ...process.env, ECHO_PORT: String(port) };
  const [cmd, ...args] = server.cmd(port);
  const srv: ChildProcess = spawn(cmd!, args, { env, stdio: ['ignore', 'ignore', 'ignore'] });
  try {
    await waitPort(port, 10_000);
    const client = spawn(process.execPath, ['dist/bench/ws-load-client.js', String(port), String(CONNS), String(size), String(WARM_MS), String(MEASURE_MS), '1', server.path], {
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
    if (r.errors || r.bad || r.open !== CONNS) throw new Error(`${server.name}: ${r.errors} errors, ${r.bad} wrong echoes, ${r.open}/${CONNS} connections open`);
    const secs = r.ms / 1000;
    return { msgsPerSec: r.msgs / secs, mbPerSec: r.bytes / secs / 1e6, cpuUsPerMsg: ((cpu1 - cpu0) * 1000) / Math.max(1, r.msgs) };
  } finally {
    srv.kill('SIGKILL');
  }
}

console.log(`# WebSocket echo (${CONNS} connections, one message in flight each): ${ROUNDS} round(s), ${MEASURE_MS} ms each`);
for (const size of SIZES) {
  const acc = servers.map(() => ({ msgsPerSec: 0, mbPerSec: 0, cpuUsPerMsg: 0 }));
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate the order each round so drift on a noisy machine hits both alike.
    const order = servers.map((_, i) => i);
    if (round % 2) order.reverse();
    for (const i of order) {
      const r = await runOne(servers[i]!, size);
      acc[i]!.msgsPerSec += r.msgsPerSec / ROUNDS;
      acc[i]!.mbPerSec += r.mbPerSec / ROUNDS;
      acc[i]!.cpuUsPerMsg += r.cpuUsPerMsg / ROUNDS;
    }
  }
  const base = acc[0]!;
  servers.forEach((s, i) => {
    const a = acc[i]!;
    console.log(
      `${String(size).padStart(6)} B  ${s.name.padEnd(16)} ` +
        `${a.msgsPerSec.toFixed(0).padStart(9)} msg/s ${a.mbPerSec.toFixed(1).padStart(8)} MB/s ` +
        `cpu ${a.cpuUsPerMsg.toFixed(2).padStart(6)} us/msg` +
        (i === 0 ? '  (baseline)' : `  ratio msg/s ${(a.msgsPerSec / base.msgsPerSec).toFixed(2)}x  MB/s ${(a.mbPerSec / base.mbPerSec).toFixed(2)}x  cpu/msg ${(a.cpuUsPerMsg / base.cpuUsPerMsg).toFixed(2)}x`),
    );
  });
}
