// remora embedded in a TypeScript program: the HTTP server with one app, TypeScript functions
// that Lua calls (one synchronous, one async that suspends only the calling coroutine, one
// that fails), a Lua script run from TypeScript, and a graceful stop on SIGINT/SIGTERM.
//
//   npm run build && node dist/examples/embed/main.js [port]
//
// Outside this repository, import from 'remora' instead of '../../src/index.js'.
import { setTimeout as sleep } from 'node:timers/promises';
import { RemoraServer, type LuaValue } from '../../src/index.js';

interface User {
  id: string;
  name: string;
  tags: string[];
}

// Stands in for a database or a web service: answers after a while.
async function lookupUser(id: LuaValue): Promise<User> {
  await sleep(50);
  if (typeof id !== 'string' || id === '') throw new Error('id must be a non-empty string');
  return { id, name: `user ${id}`, tags: ['lua', 'node'] };
}

const server = await RemoraServer.start({
  apps: [{ path: 'examples/embed/www' }],
  port: Number(process.argv[2] ?? 0),
  host: '127.0.0.1',
  functions: {
    // node.add(2, 3) --> 5
    'node.add': (a, b) => Number(a) + Number(b),
    // node.lookup("7") --> {id = "7", name = "user 7", tags = {"lua", "node"}}, after 50 ms
    'node.lookup': (id) => lookupUser(id) as unknown as Promise<LuaValue>,
  },
});

// Functions can also be registered later, for code that runs after this point.
server.register('node.uptime', () => Math.round(process.uptime() * 1000));

await server.run('print("script: 1 + 2 =", node.add(1, 2))');
console.log(`listening on ${server.port}`);

const stop = async (): Promise<void> => {
  await server.stop(); // onunload runs, cosockets get "sysshutdown", listeners close
  console.log('stopped');
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
