// npm run bench:lsp — a "hello" LSP page served by remora against a plain node:http handler,
// both driven by the same HTTP load client (32 keep-alive connections, one request in flight
// each) in the same run; server and client in separate processes. The "size" column is 0:
// read requests/s in the msg/s column. The machine is noisy: compare ratios.
import { runEchoComparison } from './echo-harness.js';
import { REMORA_NODE_FLAGS } from '../src/cli/node-flags.js';

const quick = process.argv.includes('--quick');
await runEchoComparison({
  title: 'LSP "hello" page vs node:http (32 keep-alive connections; msg/s = requests/s)',
  servers: [
    { name: 'node:http handler', cmd: [process.execPath, 'dist/bench/node-http-hello.js'], path: '/' },
    { name: 'remora hello.lsp', cmd: (port) => [process.execPath, ...REMORA_NODE_FLAGS, 'dist/src/cli/main.js', '-p', String(port), '-l', '::bench/apps/hello'], path: '/hello.lsp' },
  ],
  cases: [{ size: 0, depth: 1 }],
  conns: 32,
  warmMs: quick ? 500 : 1000,
  measureMs: quick ? 1500 : 4000,
  rounds: quick ? 1 : 2,
  mode: 'http',
});
