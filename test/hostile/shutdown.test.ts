// Issue 14 item 7: shutdown always ends. An onunload that waits forever is cut off by the
// grace time (shutdowngrace); a second SIGINT/SIGTERM exits at once with 130/143.
import test from 'node:test';
import assert from 'node:assert/strict';
import { get, startServer } from './harness.js';

const STUCK = { '.preload': 'function onunload() print("onunload waits") ba.sleep(600000) print("never") end\n' };

test('an onunload that sleeps for ten minutes: the grace time ends the shutdown and says why', async () => {
  const srv = await startServer(STUCK, 'shutdowngrace = 1000');
  try {
    assert.equal((await get(srv.port, '/health.txt')).status, 200);
    srv.child.kill('SIGTERM');
    const code = await srv.exited;
    assert.equal(code, 0);
    assert.match(srv.out(), /onunload waits/);
    assert.match(srv.out(), /remora: shutdown did not finish within 1000 ms \(onunload of the root app still running\); exiting/);
    assert.doesNotMatch(srv.out(), /never/);
  } finally {
    await srv.stop();
  }
});

for (const [sig, status] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  test(`a second ${sig} during a stuck shutdown exits at once with ${status}`, async () => {
    // The default grace time (5 s) is longer than this test waits for the second signal.
    const srv = await startServer(STUCK, 'shutdowngrace = 60000');
    try {
      assert.equal((await get(srv.port, '/health.txt')).status, 200);
      srv.child.kill(sig);
      const deadline = Date.now() + 10_000;
      while (!/onunload waits/.test(srv.out()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      srv.child.kill(sig);
      const code = await srv.exited;
      assert.equal(code, status);
      assert.match(srv.out(), new RegExp(`remora: second ${sig}: exiting now`));
    } finally {
      await srv.stop();
    }
  });
}
