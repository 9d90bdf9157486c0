// npm run bench:lsp — a "hello" LSP page served by remora against a plain node:http handler,
// both driven by the same HTTP load client in the same run; server and client in separate
// processes. Prints requests/s and the ratio (the machine is noisy: compare ratios).
import { spawn, type ChildProcess } from 'node:child_process';

const quick = process.argv.includes('--quick');
const CONNS = 32;
const WARM = quick ? 500 : 1000;
const MEASURE = quick ? 1500 : 4000;

async function startServer(cmd: string[]): Promise<{ child: ChildProcess; port: number }> {
  // remora announces its port on stderr, the node:http baseline on stdout.
  const child = spawn(cmd[0]!, cmd.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start: ${out}`));
    }, 15_000);
    child.stderr!.on('data', (b: Buffer) => process.stderr.write(b));
    const onData = (b: Buffer): void => {
      out += b.toString();
      const m = /listening on port (\d+)/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve({ child, port: Number(m[1]) });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
  });
}

function load(port: number, path: string): Promise<{ responses: number; ms: number; errors: number }> {
  const child = spawn(process.execPath, ['dist/bench/http-load-client.js', String(port), String(CONNS), String(WARM), String(MEASURE), path], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  return new Promise((resolve, reject) => {
    child.on('exit', () => {
      const line = out.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(line));
      } catch {
        reject(new Error(`load client output: ${out}`));
      }
    });
  });
}

const servers = [
  { name: 'node:http handler', cmd: [process.execPath, 'dist/bench/node-http-hello.js'], path: '/' },
  { name: 'remora hello.lsp', cmd: [process.execPath, 'dist/src/cli/main.js', '-p', '0', '-l', '::bench/apps/hello'], path: '/hello.lsp' },
];
const results: number[] = [];
console.log(`LSP "hello" page vs node:http (${CONNS} keep-alive connections, one request in flight each, ${MEASURE} ms)`);
for (const s of servers) {
  const srv = await startServer(s.cmd);
  try {
    const r = await load(srv.port, s.path);
    const rps = (r.responses / r.ms) * 1000;
    results.push(rps);
    console.log(`  ${s.name.padEnd(20)} ${rps.toFixed(0).padStart(8)} req/s  (errors ${r.errors})`);
  } finally {
    srv.child.kill('SIGTERM');
  }
}
console.log(`  ratio remora/node:http: ${(results[1]! / results[0]!).toFixed(2)}`);
