// Issue 14 item 1: an app whose .preload raises is not mounted (its pages 404, as in Mako),
// the error is traced with file:line, and start-up names the app that failed.
import test from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { get, startServer, whileProbing } from './harness.js';

// The app installs a login check in .preload (as RealTimeLogic's authentication example
// does) and then fails; before issue 14 its pages were served without the check.
const FAILING = {
  'secret.txt': 'secret\n',
  'page.lsp': '<?lsp response:write("secret page") ?>',
  '.preload': 'function onunload() print("onunload of a failed app") end\nlocal x = nil\nlocal y = x.field\n',
};
const SYNTAX = { 'secret.txt': 'secret\n', '.preload': 'local function (\n' };

test('a .preload that raises leaves its app unmounted (404), traced with file:line; the others are served', async () => {
  const srv = await startServer(
    {
      'create.lsp': `<?lsp
local env, err = mako.createapp("late", 0, request:data"dir")
response:write(tostring(env), " | ", tostring(err))
?>`,
    },
    '',
    { apps: { secure: FAILING, broken: SYNTAX, fine: { 'open.txt': 'open\n' } } },
  );
  try {
    // Requests wait until every .preload has run.
    assert.equal((await get(srv.port, '/health.txt')).status, 200);
    const out = srv.out();
    assert.match(out, /\.preload:3: attempt to index a nil value \(local 'x'\)/);
    assert.match(out, /Loading \S+secure as "secure" : failed: \.preload:3: attempt to index a nil value/);
    assert.match(out, /Loading \S+broken as "broken" : failed: \.preload:1: /);
    assert.match(out, /app \S+secure not loaded: its \.preload failed/);
    await whileProbing(srv.port, async () => {
      assert.equal((await get(srv.port, '/secure/secret.txt')).status, 404);
      assert.equal((await get(srv.port, '/secure/page.lsp')).status, 404);
      assert.equal((await get(srv.port, '/broken/secret.txt')).status, 404);
      assert.equal((await get(srv.port, '/fine/open.txt')).body, 'open\n');
      // mako.createapp of the same kind of app: nil and the error; not mounted either.
      const r = await get(srv.port, `/create.lsp?dir=${encodeURIComponent(join(srv.dir, 'secure'))}`);
      assert.match(r.body, /^nil \| \.preload:3: attempt to index a nil value/);
      assert.equal((await get(srv.port, '/late/secret.txt')).status, 404);
    });
    // The failed app's onunload is not run at shutdown.
    srv.child.kill('SIGTERM');
    await srv.exited;
    assert.doesNotMatch(srv.out(), /onunload of a failed app/);
  } finally {
    await srv.stop();
  }
});
