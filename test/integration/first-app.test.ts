// docs/guide.md, checked: its file listings are the files of examples/first-app, and that app,
// run by the real `remora` command, does what the guide says (page, cosocket greeter,
// WebSocket echo of a 100,000-character message as one message, JSON API, error trace, onunload).
import test from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { WebSocket } from 'ws';
import { freePort, startCliEnv } from '../harness/net-util.js';

const guide = readFileSync('docs/guide.md', 'utf8');

test('every file listing in docs/guide.md is the file it names', () => {
  const re = /<!-- file: (\S+) -->\n```lua\n([\s\S]*?)\n```/g;
  let n = 0;
  for (const m of guide.matchAll(re)) {
    n++;
    assert.equal(m[2], readFileSync(m[1]!, 'utf8').replace(/\n$/, ''), `${m[1]} differs from its listing in docs/guide.md`);
  }
  assert.equal(n, 5);
});

function talk(port: number, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = net.connect(port, '127.0.0.1');
    let out = '';
    c.on('data', (d) => {
      out += d.toString();
      if (out.endsWith('name?\n')) c.write(line);
    });
    c.on('end', () => resolve(out));
    c.on('error', reject);
  });
}

test('the first app runs as the guide says', { timeout: 60_000 }, async () => {
  const greeter = await freePort();
  const p = await startCliEnv(['-p', '0', '--no-https', '--host', '127.0.0.1', 'examples/first-app'], { FIRST_APP_PORT: String(greeter) });
  let stopped = false;
  try {
    const base = `http://127.0.0.1:${p.port}`;
    const page = await (await fetch(`${base}/?name=you`)).text();
    assert.equal(page, 'Hello, you!\nYou asked for / with GET.\nWebSocket messages echoed so far: 0');

    assert.equal(await talk(greeter, 'Ada\n'), 'hello, what is your name?\nnice to meet you, Ada\n');

    const ws = new WebSocket(`ws://127.0.0.1:${p.port}/ws.lsp`);
    const big = 'x'.repeat(100_000);
    const got = await new Promise<string[]>((resolve, reject) => {
      const msgs: string[] = [];
      ws.on('open', () => ws.send(big));
      ws.on('message', (d) => {
        msgs.push(d.toString());
        if (msgs.length === 1) setTimeout(() => resolve(msgs), 200).unref();
      });
      ws.on('error', reject);
    });
    assert.deepEqual(got.map((m) => m.length), [100_000]);
    ws.close();
    assert.match(await (await fetch(`${base}/`)).text(), /echoed so far: 1$/);

    const sum = await fetch(`${base}/sum.lsp`, { method: 'POST', body: '{"numbers":[1,2,3]}' });
    assert.deepEqual(await sum.json(), { sum: 6 });
    assert.equal((await fetch(`${base}/sum.lsp`, { method: 'POST', body: 'nope' })).status, 400);

    const broken = await fetch(`${base}/broken.lsp`);
    assert.equal(broken.status, 500);
    assert.match(
      p.out(),
      /-------- Lua error in LSP: broken\.lsp:4: attempt to index a nil value \(local 't'\)\nstack traceback:\n\tbroken\.lsp:4: in main chunk\n/,
    );
    // The guide shows this trace; keep it in step.
    assert.ok(guide.includes("broken.lsp:4: attempt to index a nil value (local 't')\nstack traceback:\n\tbroken.lsp:4: in main chunk\n"));

    p.child.kill('SIGTERM');
    assert.equal(await p.exited, 0);
    stopped = true;
    assert.match(p.out(), /first-app: stopping after 1 WebSocket messages/);
  } finally {
    if (!stopped) {
      p.child.kill('SIGKILL');
      await p.exited;
    }
  }
});
