// npm run bench:scale — what one idle connection costs: the seed's cosocket echo server
// (bench/apps/echo) and, as the baseline, a plain node:net echo server, each in its own
// process, against a client process that opens N connections (default 10,000), sends one
// echo on each, and holds them idle. The server's RSS is read from /proc once the connections
// have been idle for two seconds, and again after a full garbage collection (bench/gc-probe.ts,
// preloaded into both servers): live memory per idle connection, the number that matters,
// since V8 leaves the garbage of the connection storm uncollected while nothing runs. Then
// one more echo runs on all connections at once (peak RSS, and the time it took).
//
// Method (printed with the results): the RSS before the connections is the median of
// `--samples` readings, each after a full GC; the idle RSS is the median of as many readings
// 200 ms apart; live RSS the median of as many readings each after its own full GC. A single
// reading moved by ±0.3 KiB per connection from run to run (malloc and V8 page slack).
//   node dist/bench/scale.js [conns] [--samples N] [--no-baseline]
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { REMORA_NODE_FLAGS } from '../src/cli/node-flags.js';

if (process.argv.includes('--help')) {
  console.log('node dist/bench/scale.js [conns (10000)] [--samples N (3)] [--no-baseline]: RSS per idle connection, remora cosocket echo vs node:net echo');
  process.exit(0);
}
const sIdx = process.argv.indexOf('--samples');
const samples = sIdx > 0 ? Math.max(1, Number(process.argv[sIdx + 1]) || 3) : 3;
const conns = Number(process.argv.find((a, i) => /^\d+$/.test(a) && process.argv[i - 1] !== '--samples') ?? 10000);

function median(xs: number[]): number {
  const a = [...xs].sort((x, y) => x - y);
  const m = a.length >> 1;
  return a.length % 2 ? a[m]! : (a[m - 1]! + a[m]!) / 2;
}

function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise((r) => probe.close(r));
  return port;
}

interface ScaleResult {
  name: string;
  open: number;
  failed: number;
  secondOk: number;
  connectMs: number;
  roundMs: number;
  rss0: number;
  rssIdle: number;
  rssLive: number;
  rssPeak: number;
  /** V8's heapUsed after a full GC, before the connections and with them idle (median). */
  heap0: number;
  heapLive: number;
}

async function measure(name: string, cmd: string[]): Promise<ScaleResult> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'remora-scale-'));
  const probe = path.join(dir, 'gc');
  const srv = spawn(cmd[0]!, ['--import', './dist/bench/gc-probe.js', ...cmd.slice(1)], {
    env: { ...process.env, ECHO_PORT: String(port), GC_PROBE_OUT: probe },
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  const probeText = (): string => (existsSync(probe) ? readFileSync(probe, 'utf8') : '');
  /** A full GC in the server; returns its V8 heapUsed afterwards (bytes). */
  const fullGc = async (): Promise<number> => {
    const before = probeText().length;
    srv.kill('SIGUSR2');
    for (let i = 0; i < 100 && probeText().length === before; i++) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 200));
    const last = probeText().trim().split('\n').pop() ?? '';
    return Number(last.split(' ')[1] ?? 0);
  };
  /** Median RSS (kB) and heapUsed over `samples` readings, each after a full GC. */
  const liveSample = async (): Promise<[number, number]> => {
    const rss: number[] = [];
    const heap: number[] = [];
    for (let i = 0; i < samples; i++) {
      heap.push(await fullGc());
      rss.push(rssKb(srv.pid!));
    }
    return [median(rss), median(heap)];
  };
  try {
    await new Promise((r) => setTimeout(r, 1500));
    const [rss0, heap0] = await liveSample();
    const client = spawn(process.execPath, ['dist/bench/scale-client.js', String(port), String(conns), '120000'], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    let rssIdle = 0;
    let rssLive = 0;
    let rssPeak = 0;
    let heapLive = 0;
    let sampler: NodeJS.Timeout | null = null;
    client.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('idle\n') && !rssIdle && !sampler) {
        // Idle for two seconds: whatever the connection storm left behind has been collected.
        setTimeout(async () => {
          const idle: number[] = [];
          for (let i = 0; i < samples; i++) {
            if (i) await new Promise((r) => setTimeout(r, 200));
            idle.push(rssKb(srv.pid!));
          }
          rssIdle = median(idle);
          [rssLive, heapLive] = await liveSample();
          rssPeak = rssLive;
          sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssKb(srv.pid!))), 50);
          client.stdin!.write('go\n');
        }, 2000);
      }
    });
    await new Promise((r) => client.on('exit', r));
    if (sampler) clearInterval(sampler);
    const r = JSON.parse(out.trim().split('\n').pop()!) as { open: number; failed: number; secondRoundOk: number; connectMs: number; roundMs: number };
    return { name, open: r.open, failed: r.failed, secondOk: r.secondRoundOk, connectMs: r.connectMs, roundMs: r.roundMs, rss0, rssIdle, rssLive, rssPeak, heap0, heapLive };
  } finally {
    srv.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

const runs: Array<[string, string[]]> = [['remora cosocket', [process.execPath, ...REMORA_NODE_FLAGS, 'dist/src/cli/main.js', '-p', '0', '-l', '::bench/apps/echo']]];
if (!process.argv.includes('--no-baseline')) runs.unshift(['node:net', [process.execPath, 'dist/bench/node-echo-server.js']]);
console.log(
  `# connection scale: ${conns} idle connections to one server process (RSS from /proc/<pid>/status; ` +
    `medians of ${samples} readings: before the connections and with them idle after a full GC each, idle before any GC 200 ms apart)`,
);
for (const [name, cmd] of runs) {
  const r = await measure(name, cmd);
  const per = (kb: number): string => ((kb - r.rss0) / Math.max(1, r.open)).toFixed(2);
  console.log(
    `${name.padEnd(16)} open ${r.open} (failed ${r.failed}), second round ${r.secondOk}/${r.open} in ${r.roundMs.toFixed(0)} ms; ` +
      `RSS ${(r.rssIdle / 1024).toFixed(0)} MiB idle: ${per(r.rssIdle)} KiB per connection; ` +
      `after a full GC ${(r.rssLive / 1024).toFixed(0)} MiB: ${per(r.rssLive)} KiB per idle connection (${((r.rssLive - r.rss0) * 1024 / Math.max(1, r.open)).toFixed(0)} bytes; ` +
      `V8 heap ${((r.heapLive - r.heap0) / Math.max(1, r.open)).toFixed(0)} bytes of it); ` +
      `peak ${(r.rssPeak / 1024).toFixed(0)} MiB (RSS before: ${(r.rss0 / 1024).toFixed(0)} MiB, after a full GC)`,
  );
}
