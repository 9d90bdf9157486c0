// The cost contract of a page request (, issue 5 benchmark): a compiled page
// that never waits runs in exactly one resume of its coroutine, on keep-alive connections and
// with several requests at once; a page that waits costs one more resume per wait. Counted on
// the scheduler of an in-process server.
import test from 'node:test';
import assert from 'node:assert/strict';
import { RawClient, request, startTestServer } from '../harness/app-server.js';

const BASIC = 'test/fixtures/apps/basic';

function countResumes(s: Awaited<ReturnType<typeof startTestServer>>): () => number {
  const sched = s.rt.sched;
  const orig = sched.resume.bind(sched);
  let n = 0;
  sched.resume = (task, nargs) => {
    if (task.kind === 'page') n++;
    orig(task, nargs);
  };
  return () => n;
}

test('a page that never waits: one resume per request, also 20 at once on keep-alive connections', async () => {
  const s = await startTestServer([{ name: '', prio: 0, path: BASIC }]);
  try {
    assert.equal((await request(s.port, '/index.lsp')).body, 'A42B\n'); // compiled now
    const resumes = countResumes(s);
    const clients = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const c = new RawClient(s.port);
        await c.connected();
        return c;
      }),
    );
    for (let round = 0; round < 5; round++) {
      for (const c of clients) c.send('GET /index.lsp HTTP/1.1\r\nHost: x\r\n\r\n');
      for (const c of clients) {
        await c.until(/A42B\n\r\n0\r\n\r\n$/);
        c.take();
      }
    }
    assert.equal(resumes(), 100);
    for (const c of clients) c.destroy();
  } finally {
    s.close();
  }
});

test('a page that waits once (ba.sleep) costs two resumes', async () => {
  const s = await startTestServer([{ name: '', prio: 0, path: BASIC }]);
  try {
    await request(s.port, '/sleep.lsp?ms=1&tag=a');
    const resumes = countResumes(s);
    assert.equal((await request(s.port, '/sleep.lsp?ms=1&tag=b')).body, 'slept\tb\n');
    assert.equal(resumes(), 2);
  } finally {
    s.close();
  }
});

test('commandcnt=1: a page that could run at once still waits behind queued pages (FIFO)', async () => {
  const s = await startTestServer([{ name: '', prio: 0, path: BASIC }], { commandcnt: 1 });
  try {
    // Both pages found and compiled first: a first request of sleep.lsp waits for the file
    // system before it asks for a slot, and on a busy machine index.lsp could overtake it.
    await request(s.port, '/index.lsp');
    await request(s.port, '/sleep.lsp?ms=1&tag=w');
    const order: string[] = [];
    // Each request is sent once the one before holds the slot or waits for it (a fixed pause
    // was not always enough on a busy machine).
    const pool = s.server.http.pages.pool;
    const until = async (ok: () => boolean): Promise<void> => {
      for (let n = 0; n < 1000 && !ok(); n++) await new Promise((r) => setTimeout(r, 5));
      assert.ok(ok());
    };
    const a = request(s.port, '/sleep.lsp?ms=150&tag=a').then(() => order.push('a'));
    await until(() => pool.running.size === 1);
    const b = request(s.port, '/sleep.lsp?ms=50&tag=b').then(() => order.push('b'));
    await until(() => pool.queue.length === 1);
    const i = request(s.port, '/index.lsp').then(() => order.push('index'));
    await Promise.all([a, b, i]);
    assert.deepEqual(order, ['a', 'b', 'index']);
  } finally {
    s.close();
  }
});
