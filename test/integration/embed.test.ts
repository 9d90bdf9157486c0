// Embedding from TypeScript: the example program examples/embed/main.ts run as users run it,
// and RemoraServer's conversions, errors and suspension in-process.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { RemoraServer, LuaError, MemoryLog, type LuaValue } from '../../src/index.js';

test('examples/embed: started with node, serves a page calling sync and async TypeScript functions, stops on SIGTERM', { timeout: 60_000 }, async () => {
  const child = spawn(process.execPath, ['dist/examples/embed/main.js'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d));
  child.stderr.on('data', (d: Buffer) => (out += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  try {
    const deadline = Date.now() + 20_000;
    let m: RegExpExecArray | null;
    while (!(m = /listening on (\d+)/.exec(out))) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`example did not start: ${out}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const base = `http://127.0.0.1:${m[1]}`;
    assert.match(out, /preload: node\.add\(20, 22\) = 42\n/);
    assert.match(out, /script: 1 \+ 2 =\t3\n/);
    // Two pages wait for the async function at the same time.
    const [a, b] = await Promise.all([fetch(`${base}/?id=42`), fetch(`${base}/?id=43`)]);
    assert.deepEqual(await a.json(), { sum: 5, user: { id: '42', name: 'user 42', tags: ['lua', 'node'] } });
    assert.deepEqual(await b.json(), { sum: 5, user: { id: '43', name: 'user 43', tags: ['lua', 'node'] } });
    const fail = await fetch(`${base}/fail.lsp`);
    assert.equal(fail.status, 500);
    assert.match(out, /-------- Lua error in LSP: fail\.lsp:5: node\.lookup: id must be a non-empty string\n/);
  } finally {
    child.kill('SIGTERM');
  }
  assert.equal(await exited, 0);
  assert.match(out, /onunload: the app stops\n(.|\n)*stopped\n$/);
});

test('RemoraServer.register: values converted both ways; errors raised at the calling line; async waits only its coroutine', async () => {
  const log = new MemoryLog();
  const seen: LuaValue[][] = [];
  const server = await RemoraServer.start({
    log,
    functions: {
      echo: (...args) => {
        seen.push(args);
        return args;
      },
      'js.deep.later': async (ms) => {
        await new Promise((r) => setTimeout(r, Number(ms)));
        return { waited: ms };
      },
      boom: () => {
        throw new Error('no such thing');
      },
    },
  });
  try {
    await server.run(`
local r = echo(nil, true, 3, 2.5, "héllo", {1, 2, {x = "y"}}, {})
print(#r, r[2], r[3], math.type(r[3]), r[4], r[5], r[6][3].x, next(r[7]))
print(pcall(boom))
print(pcall(echo, print))
local order = {}
ba.socket.event(function() order[#order + 1] = "cosocket runs while the script waits" end)
local v = js.deep.later(30)
order[#order + 1] = "script resumed with " .. v.waited
print(table.concat(order, "; "))
print(select("#", echo()), echo() == nil)
`);
    assert.deepEqual(seen[0], [null, true, 3, 2.5, 'héllo', [1, 2, { x: 'y' }], {}]);
    assert.equal(
      log.text().replace(/^HTTP server listening on port \d+\n/, ''),
      [
        '7\ttrue\t3\tinteger\t2.5\théllo\ty\tnil',
        'false\tboom: no such thing',
        'false\techo: a function cannot be passed to JavaScript',
        'cosocket runs while the script waits; script resumed with 30',
        '1\tfalse',
        '',
      ].join('\n'),
    );
    await assert.rejects(server.run('boom()', '=chunk'), (e: unknown) => e instanceof LuaError && /^chunk:1: boom: no such thing$/.test(e.message));
    assert.throws(() => server.register('not a name', () => 1), /not a Lua name/);
  } finally {
    await server.stop();
  }
});
