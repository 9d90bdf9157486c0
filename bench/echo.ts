// npm run bench:echo — a Lua cosocket echo server (seed example 9) against a plain node:net
// echo server, both driven by the same load client in the same run. Server and client run in
// separate processes. Prints messages/s, MB/s, server CPU per message and the ratios.
import { runEchoComparison } from './echo-harness.js';

const quick = process.argv.includes('--quick');
await runEchoComparison({
  title: 'TCP echo (100 connections)',
  servers: [
    { name: 'node:net', cmd: [process.execPath, 'dist/bench/node-echo-server.js'] },
    { name: 'remora cosocket', cmd: [process.execPath, 'dist/src/cli/main.js', '-l', '::bench/apps/echo'] },
  ],
  cases: [
    { size: 64, depth: 1 },
    { size: 64, depth: 8 },
    { size: 16384, depth: 4 },
  ],
  conns: 100,
  warmMs: quick ? 500 : 1000,
  measureMs: quick ? 1500 : 4000,
  rounds: quick ? 1 : 2,
});
