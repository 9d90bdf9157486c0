// npm run bench:echo — a Lua cosocket echo server (seed example 9) against a plain node:net
// echo server, both driven by the same load client in the same run. Server and client run in
// separate processes. Prints messages/s, MB/s, server CPU per message and the ratios.
// A second table compares remora's socket modes (cosocket, asynchronous, example 8's
// thread-job writes, blocking sockets in thread jobs) with 16 connections, so users can see
// which mode to pick; it has no target.
import { runEchoComparison } from './echo-harness.js';
import { REMORA_NODE_FLAGS } from '../src/cli/node-flags.js';

const quick = process.argv.includes('--quick');
const remora = (app: string) => [process.execPath, ...REMORA_NODE_FLAGS, 'dist/src/cli/main.js', '-l', `::bench/apps/${app}`];
const timing = { warmMs: quick ? 500 : 1000, measureMs: quick ? 1500 : 4000, rounds: quick ? 1 : 2 };

await runEchoComparison({
  title: 'TCP echo, 100 connections: remora cosocket vs node:net',
  servers: [
    { name: 'node:net', cmd: [process.execPath, 'dist/bench/node-echo-server.js'] },
    { name: 'remora cosocket', cmd: remora('echo') },
  ],
  cases: [
    { size: 64, depth: 1 },
    { size: 64, depth: 8 },
    { size: 16384, depth: 4 },
  ],
  conns: 100,
  mode: 'tcp',
  ...timing,
});

if (!process.argv.includes('--no-modes')) {
  await runEchoComparison({
    title: 'remora socket modes, 16 connections (ratios against the cosocket server)',
    servers: [
      { name: 'cosocket ("s")', cmd: remora('echo') },
      { name: 'asynchronous ("r")', cmd: remora('echo-async') },
      { name: 'thread-job writes', cmd: remora('echo-thread-write') },
      { name: 'blocking in jobs', cmd: remora('echo-jobs') },
    ],
    cases: [
      { size: 64, depth: 1 },
      { size: 16384, depth: 4 },
    ],
    conns: 16,
  mode: 'tcp',
    ...timing,
    rounds: 1,
  });
}
