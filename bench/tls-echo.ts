// npm run bench:tls — a Lua TLS cosocket echo server (seed example 9 behind a TLS listener
// with the built-in demo certificate, bench/apps/tls-echo) against a plain node:tls echo
// server, both driven by the same load client (bench/loadgen.c, TLS through OpenSSL) in the same run.
// Server and client run in separate processes. Prints messages/s, MB/s, server CPU per
// message and the ratios.
import { runEchoComparison } from './echo-harness.js';
import { REMORA_NODE_FLAGS } from '../src/cli/node-flags.js';

const quick = process.argv.includes('--quick');
await runEchoComparison({
  title: 'TLS echo (100 connections)',
  servers: [
    { name: 'node:tls', cmd: [process.execPath, 'dist/bench/node-tls-echo-server.js'] },
    { name: 'remora TLS cosocket', cmd: [process.execPath, ...REMORA_NODE_FLAGS, 'dist/src/cli/main.js', '-l', '::bench/apps/tls-echo'] },
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
  mode: 'tls',
});
