// npm run bench:scale — what one idle connection costs: the seed's cosocket echo server
// (bench/apps/echo) and, as the baseline, a plain node:net echo server, each in its own
// process, against a client process that opens N connections (default 10,000), sends one
// echo on each, and holds them idle. The server's RSS is read from /proc once the connections
// have been idle for two seconds, and again after a full garbage collection (bench/gc-probe.ts,
// preloaded into both servers): live memory per idle connection, the number that matters,
// since V8 leaves the garbage of the connection storm uncollected while nothing runs. Then
// one more echo runs on all connections at once (peak RSS, and the time it took).
//   node dist/bench/scale.js [conns] [--no-baseline]
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { REMORA_NODE_FLAGS } from '../src/cli/node-flags.js';

const conns = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 10000);

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
}

async function measure(name: string, cmd: string[]): Promise<ScaleResult> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'remora-scale-'));
  const probe = path.join(dir, 'gc');
  const srv = spawn(cmd[0]!, ['--import', './dist/bench/gc-probe.js', ...cmd.slice(1)], {
    env: { ...process.env, ECHO_PORT: String(port), GC_PROBE_OUT: probe },
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  const fullGc = async (): Promise<void> => {
    const before = existsSync(probe) ? readFileSync(probe, 'utf8').length : 0;
    srv.kill('SIGUSR2');
    for (let i = 0; i < 100 && (existsSync(probe) ? readFileSync(probe, 'utf8').length : 0) === before; i++) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 200));
  };
  try {
    await new Promise((r) => setTimeout(r, 1500));
    await fullGc();
    const rss0 = rssKb(srv.pid!);
    const client = spawn(process.execPath, ['dist/bench/scale-client.js', String(port), String(conns), '120000'], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    let rssIdle = 0;
    let rssLive = 0;
    let rssPeak = 0;
    let sampler: NodeJS.Timeout | null = null;
    client.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('idle\n') && !rssIdle && !sampler) {
        // Idle for two seconds: whatever the connection storm left behind has been collected.
        setTimeout(async () => {
          rssIdle = rssKb(srv.pid!);
          await fullGc();
          rssLive = rssKb(srv.pid!);
          rssPeak = rssLive;
          sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssKb(srv.pid!))), 50);
          client.stdin!.write('go\n');
        }, 2000);
      }
    });
    await new Promise((r) => client.on('exit', r));
    if (sampler) clearInterval(sampler);
    const r = JSON.parse(out.trim().split('\n').pop()!) as { open: number; failed: number; secondRoundOk: number; connectMs: number; roundMs: number };
    return { name, open: r.open, failed: r.failed, secondOk: r.secondRoundOk, connectMs: r.connectMs, roundMs: r.roundMs, rss0, rssIdle, rssLive, rssPeak };
  } finally {
    srv.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

const runs: Array<[string, string[]]> = [['remora cosocket', [process.execPath, ...REMORA_NODE_FLAGS, 'dist/src/cli/main.js', '-p', '0', '-l', '::bench/apps/echo']]];
if (!process.argv.includes('--no-baseline')) runs.unshift(['node:net', [process.execPath, 'dist/bench/node-echo-server.js']]);
console.log(`# connection scale: ${conns} idle connections to one server process (RSS from /proc/<pid>/status)`);
for (const [name, cmd] of runs) {
  const r = await measure(name, cmd);
  const per = (kb: number): string => ((kb - r.rss0) / Math.max(1, r.open)).toFixed(2);
  console.log(
    `${name.padEnd(16)} open ${r.open} (failed ${r.failed}), second round ${r.secondOk}/${r.open} in ${r.roundMs.toFixed(0)} ms; ` +
      `RSS ${(r.rssIdle / 1024).toFixed(0)} MiB idle: ${per(r.rssIdle)} KiB per connection; ` +
      `after a full GC ${(r.rssLive / 1024).toFixed(0)} MiB: ${per(r.rssLive)} KiB per idle connection (${((r.rssLive - r.rss0) * 1024 / Math.max(1, r.open)).toFixed(0)} bytes); ` +
      `peak ${(r.rssPeak / 1024).toFixed(0)} MiB (RSS before: ${(r.rss0 / 1024).toFixed(0)} MiB, after a full GC)`,
  );
}
