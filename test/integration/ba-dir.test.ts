// Resource directories on a running server: apps and ba.create.dir objects in one tree,
// directory functions that wait, unnamed siblings, a resource reader with lspfilter, and
// unlink/insert at run time. (The exact walk is recorded from Mako in the compat probe ba-dir.)
import test from 'node:test';
import assert from 'node:assert/strict';
import { request, startTestServer } from '../harness/app-server.js';

const DIRS = 'test/fixtures/apps/dirs';
const BASIC = 'test/fixtures/apps/basic';

test('ba.create.dir: directory functions beside apps, siblings, resrdr pages, unlink/insert', async () => {
  const s = await startTestServer([
    { name: '', prio: 0, path: DIRS },
    { name: 'basic', prio: 0, path: BASIC },
  ]);
  try {
    const a = await request(s.port, '/api/users/7?x=1');
    assert.equal(a.status, 200);
    assert.equal(a.body, 'GET\tusers/7\n');
    // A directory function that waits does not hold up other requests.
    const slow = request(s.port, '/api/slow');
    const fast = await request(s.port, '/basic/static.txt');
    assert.equal(fast.status, 200);
    assert.equal((await slow).body, 'GET\tslow\n');
    // false: not found here; the app's unnamed sibling (priority -1) does not take it either.
    const miss = await request(s.port, '/api/missing');
    assert.equal(miss.status, 302);
    assert.match(String(miss.headers.location), /^http:\/\/[^/]+\/api\/missing\/$/);
    assert.equal((await request(s.port, '/api/missing.txt')).status, 404);
    // The app's unnamed sibling gets what the app does not have.
    const nf = await request(s.port, '/nf/x.txt');
    assert.equal(nf.status, 404);
    assert.equal(nf.body, 'fallback\tnf/x.txt\n');
    // A directory function forwards to a hidden page (Dynamic-Nav-Menu's 404 handling).
    const fw = await request(s.port, '/fw/page');
    assert.equal(fw.status, 404);
    assert.equal(fw.body, 'not found page\t/fw/page\ttrue\t1\n');
    const hidden = await request(s.port, '/.404.lsp');
    assert.equal(hidden.status, 404);
    assert.doesNotMatch(hidden.body, /not found page/);
    // A resource reader with lspfilter: app is the table given, io the reader's IO.
    assert.equal((await request(s.port, '/www/page.lsp')).body, 'from lspfilter\tuserdata\n');
    assert.equal((await request(s.port, '/www/sub/f.txt')).body, 'plain\n');
    // unlink takes it off the URL space, insert puts it back.
    assert.equal((await request(s.port, '/toggle.lsp?op=unlink')).body, 'true\n');
    assert.equal((await request(s.port, '/www/sub/f.txt')).status, 404);
    assert.equal((await request(s.port, '/toggle.lsp?op=insert')).body, 'true\n');
    assert.equal((await request(s.port, '/www/sub/f.txt')).body, 'plain\n');
    // dir:setauth: the authenticator answers before the directory function runs.
    const denied = await request(s.port, '/prot/x');
    assert.equal(denied.status, 401);
    assert.match(String(denied.headers['www-authenticate']), /^Basic realm="dirs"/);
    const auth = { Authorization: 'Basic ' + Buffer.from('alice:secret').toString('base64') };
    const allowed = await request(s.port, '/prot/x', { headers: auth });
    assert.equal(allowed.status, 200);
    assert.equal(allowed.body, 'hello\talice\tx\n');
    // Apps are in the same tree: the named app and the root app's files.
    assert.equal((await request(s.port, '/basic/static.txt')).body, 'static text\n');
  } finally {
    s.close();
  }
});
