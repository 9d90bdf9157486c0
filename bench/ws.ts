// npm run bench:ws — a remora cosocket WebSocket echo (an LSP page turns the upgrade into a
// socket with ba.socket.req2sock and starts an "s"-mode cosocket, bench/apps/ws-echo) against a
// `ws` package echo server, both driven by the same load client in the same run, 100
// connections, 64 B and 16 KiB messages, one and eight in flight per connection. Server and
// client run in separate processes. Prints messages/s, MB/s, server CPU per message and the
// ratios (baseline: ws). The load client is bench/loadgen.c (masked client frames, the
// upgrade by hand); `--node-client` uses bench/ws-raw-load-client.ts instead. A second table
// compares the two with permessage-deflate on: both servers compress every message, and the
// client is the `ws` package with compression, sending JSON-like text
// (bench/ws-deflate-load-client.ts).
import { runEchoComparison } from './echo-harness.js';
import { REMORA_NODE_FLAGS } from '../src/cli/node-flags.js';

const quick = process.argv.includes('--quick');
await runEchoComparison({
  title: 'WebSocket echo (100 connections)',
  servers: [
    { name: 'ws (node)', cmd: [process.execPath, 'dist/bench/ws-echo-server.js'], path: '/' },
    {
      name: 'remora cosocket',
      cmd: (port) => [process.execPath, ...REMORA_NODE_FLAGS, 'dist/src/cli/main.js', '-c', 'bench/apps/ws-echo.conf', '-p', String(port), '-l', '::bench/apps/ws-echo'],
      path: '/index.lsp',
    },
  ],
  cases: [
    { size: 64, depth: 1 },
    { size: 64, depth: 8 },
    { size: 16384, depth: 1 },
    { size: 16384, depth: 4 },
  ],
  conns: 100,
  warmMs: quick ? 500 : 1500,
  measureMs: quick ? 1500 : 4000,
  rounds: quick ? 1 : 2,
  mode: 'ws',
});

await runEchoComparison({
  title: 'WebSocket echo with permessage-deflate (100 connections, ws clients compressing JSON-like text)',
  servers: [
    { name: 'ws (node) deflate', cmd: [process.execPath, 'dist/bench/ws-echo-server.js', 'deflate'], path: '/', client: 'dist/bench/ws-deflate-load-client.js' },
    {
      name: 'remora deflate',
      cmd: (port) => [process.execPath, ...REMORA_NODE_FLAGS, 'dist/src/cli/main.js', '-c', 'bench/apps/ws-echo.conf', '-p', String(port), '-l', '::bench/apps/ws-echo'],
      path: '/index.lsp?deflate=1',
      client: 'dist/bench/ws-deflate-load-client.js',
    },
  ],
  cases: [
    { size: 64, depth: 1 },
    { size: 64, depth: 8 },
    { size: 16384, depth: 1 },
  ],
  conns: 100,
  warmMs: quick ? 500 : 1500,
  measureMs: quick ? 1500 : 4000,
  rounds: quick ? 1 : 2,
  mode: 'ws',
});
