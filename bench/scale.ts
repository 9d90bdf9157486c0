// npm run bench:scale — how many cosocket connections one remora process holds: the seed's
// cosocket echo server (bench/apps/echo) in one process, a client process opening N
// connections (default 10,000; this machine allows 20,000 open files per process), one echo
// on each, then one more round on all at once. Prints the server's memory per connection.
//   node dist/bench/scale.js [conns]
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';

const conns = Number(process.argv[2] ?? 10000);

function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

const probe = net.createServer();
await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
const port = (probe.address() as net.AddressInfo).port;
await new Promise((r) => probe.close(r));

const srv = spawn(process.execPath, ['dist/src/cli/main.js', '-p', '0', '-l', '::bench/apps/echo'], {
  env: { ...process.env, ECHO_PORT: String(port) },
  stdio: ['ignore', 'ignore', 'ignore'],
});
try {
  await new Promise((r) => setTimeout(r, 1500));
  const rss0 = rssKb(srv.pid!);
  const client = spawn(process.execPath, ['dist/bench/scale-client.js', String(port), String(conns), '120000'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  let rssPeak = rss0;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssKb(srv.pid!))), 100);
  client.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise((r) => client.on('exit', r));
  clearInterval(sampler);
  const r = JSON.parse(out.trim()) as { open: number; failed: number; secondRoundOk: number; connectMs: number; roundMs: number };
  console.log(`# connection scale: ${conns} connections to one remora process (cosocket echo)`);
  console.log(`open ${r.open}, failed ${r.failed}, second round echoed ${r.secondRoundOk}/${r.open}`);
  console.log(`connect + first echo: ${(r.connectMs / 1000).toFixed(1)} s; one echo on every connection at once: ${r.roundMs.toFixed(0)} ms`);
  console.log(`server RSS ${(rss0 / 1024).toFixed(0)} MiB idle, ${(rssPeak / 1024).toFixed(0)} MiB peak: ${((rssPeak - rss0) / Math.max(1, r.open)).toFixed(1)} KiB per connection`);
} finally {
  srv.kill('SIGKILL');
}
