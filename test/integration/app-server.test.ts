// The app server in-process: LSP environment and request methods, errors,
// recompiling, app mounts and priorities, .preload/.lua hidden, commandcnt, sessions.
import test from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { copyApp, request, startTestServer, waitFor, RawClient } from '../harness/app-server.js';

const BASIC = 'test/fixtures/apps/basic';
const SECOND = 'test/fixtures/apps/second';

test('LSP page environment', async () => {
  const s = await startTestServer([{ name: '', prio: 0, path: BASIC }]);
  try {
    const r1 = await request(s.port, '/env.lsp');
    assert.equal(r1.status, 200);
    assert.equal(
      r1.body,
      [
        'same\ttrue',
        'page.n\t1',
        'greeting global\tnil',
        'app.greeting\thello from preload',
        'helper\thelper loaded from .lua',
        'io\tuserdata\ttrue',
        'pathname\tenv.lsp',
        'string lib\tfunction',
        'x in _G\tnil',
        '',
      ].join('\n'),
    );
    const r2 = await request(s.port, '/env.lsp');
    assert.match(r2.body, /page\.n\t2\n/);
    const idx = await request(s.port, '/');
    assert.equal(idx.body, 'A42B\n');
  } finally {
    s.close();
  }
});

test('request methods: header, data, url, method, uri, peername, sockname, cookie', async () => {
  const s = await startTestServer([{ name: '', prio: 0, path: BASIC }]);
  try {
    const r = await request(s.port, '/req.lsp?q=hi%20there&n=1', { headers: { 'X-Test': 't1', Cookie: 'flavour=vanilla; other=1' } });
    assert.equal(
      r.body,
      [
        'method\tGET',
        'uri\t/req.lsp',
        `url\thttp://127.0.0.1:${s.port}/req.lsp`,
        `host\t127.0.0.1:${s.port}`,
        `HOST\t127.0.0.1:${s.port}`,
        'missing\tnil',
        'q\thi there',
        'd.q\thi there\t1',
        'peer\t127.0.0.1\tnumber\tfalse',
        'sock\t127.0.0.1\ttrue',
        'cookie\tvanilla',
        'header table\ttable\tt1',
        '',
      ].join('\n'),
    );
    const p = await request(s.port, '/post.lsp?q=fromquery', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'name=J%C3%BCrgen+X',
    });
    assert.equal(p.body, 'POST\tJürgen X\tfromquery\n'.replace('ü', '\xc3\xbc'));
  } finally {
    s.close();
  }
});

test('LSP cookie objects: fields, Set-Cookie as Mako writes it, received values, errors', async () => {
  const s = await startTestServer([{ name: '', prio: 0, path: BASIC }]);
  try {
    const set = await request(s.port, '/cookies.lsp?op=set');
    assert.equal(set.body, 'userdata\tn\tnil\tnil\t0\tfalse\tnil\na b;c,d\t60\ttrue\ttrue\thi there\n');
    const fields = set.headers['set-cookie']!;
    assert.equal(fields.length, 2);
    // Mako: the value and the attributes percent-encoded, maxage sent as an expires date, "; "
    // after each cookie that is not the last of the response's list.
    assert.match(fields[0]!, /^n=a%20b%3bc%2cd; domain=example\.com; path=\/p; expires=\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT; secure; HttpOnly; comment=hi%20there;$/);
    const expires = Date.parse(/expires=([^;]+)/.exec(fields[0]!)![1]!);
    assert.ok(Math.abs(expires - Date.now() - 60_000) < 120_000);
    assert.equal(fields[1], 'plain=1');

    const del = await request(s.port, '/cookies.lsp?op=delete');
    assert.deepEqual(del.headers['set-cookie'], ['old=; expires=Thu, 01 Jan 1970 00:00:00 GMT']);

    const recv = await request(s.port, '/cookies.lsp?op=recv', { headers: { Cookie: 'xq=0; q="a%20b+c%u00e9"; x; e=; other=1' } });
    assert.equal(recv.body, 'q\t"a b c\xc3\xa9"\tnil\ttrue\n"a b c\xc3\xa9"\tnil\nv\n');
    assert.equal(recv.headers['set-cookie'], undefined);

    const errs = await request(s.port, '/cookies.lsp?op=errors');
    assert.equal(
      errs.body,
      [
        "false\tbad argument #2 to '?' (string expected, got no value)",
        "false\tbad argument #2 to '?' (invalid cookie name)",
        "false\tbad argument #2 to '?' (number expected, got string)",
        "false\tbad argument #1 to '?' (COOKIE expected, got table)",
        '',
      ].join('\n'),
    );
    const late = await request(s.port, '/cookies.lsp?op=late');
    assert.match(late.body, /^false\t.*the request has ended\n$/);

    const after = await request(s.port, '/cookies.lsp?op=afterhead');
    assert.equal(after.headers['set-cookie'], undefined);
    assert.equal(after.body, 'x\n');

    // The session cookie is one of the response's list, after the page's (node's client trims
    // the trailing blank; the raw head has it).
    const c = new RawClient(s.port);
    c.send('GET /cookies.lsp?op=session HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    await c.closed();
    assert.match(c.text, /\r\nSet-Cookie: a=1; \r\nSet-Cookie: z9ZAqJtI=[0-9a-f]{24}; path=\/; HttpOnly\r\n/);
    c.destroy();
  } finally {
    s.close();
  }
});

test('response methods: setstatus/setheader/setcontenttype/write, flush, senderror, sendredirect, abort', async () => {
  const s = await startTestServer([{ name: '', prio: 0, path: BASIC }]);
  try {
    const st = await request(s.port, '/status.lsp');
    assert.equal(st.status, 201);
    assert.equal(st.headers['x-page'], 'yes');
    assert.equal(st.headers['content-type'], 'text/plain');
    assert.equal(st.body, 'one2\n');
    const fl = await request(s.port, '/flush.lsp');
    assert.equal(fl.headers['transfer-encoding'], 'chunked');
    assert.equal(fl.body, 'part1;part2');
    const se = await request(s.port, '/senderror.lsp');
    assert.equal(se.status, 418);
    assert.match(se.body, /short and stout/);
    const rd = await request(s.port, '/redirect.lsp');
    assert.equal(rd.status, 302);
    assert.equal(rd.headers.location, `http://127.0.0.1:${s.port}/index.lsp`); // absolute, as Mako sends it
    // As in Mako: abort stops the page; what it wrote is the response.
    assert.equal((await request(s.port, '/abort.lsp')).body, 'written before abort');
    assert.doesNotMatch(s.log.text(), /must not run/);
    // The server still serves after all of that.
    assert.equal((await request(s.port, '/index.lsp')).body, 'A42B\n');
  } finally {
    s.close();
  }
});

test('a Lua error in a page: 500, traced with the page line, server keeps serving', async () => {
  const s = await startTestServer([{ name: '', prio: 0, path: BASIC }]);
  try {
    const r = await request(s.port, '/error.lsp');
    assert.equal(r.status, 500);
    assert.match(s.log.text(), /-------- Lua error in LSP: error\.lsp:2: page failed on purpose\nstack traceback:/);
    assert.equal((await request(s.port, '/index.lsp')).status, 200);
  } finally {
    s.close();
  }
});

test('pages are compiled once and recompiled when the file changes', async () => {
  const app = copyApp(BASIC);
  const s = await startTestServer([{ name: '', prio: 0, path: app.dir }]);
  try {
    const file = join(app.dir, 'live.lsp');
    writeFileSync(file, '<?lsp page.k = (page.k or 0) + 1 ?>v1 <?lsp= page.k ?>');
    utimesSync(file, new Date(1_000_000), new Date(1_000_000));
    assert.equal((await request(s.port, '/live.lsp')).body, 'v1 1');
    assert.equal((await request(s.port, '/live.lsp')).body, 'v1 2');
    writeFileSync(file, '<?lsp page.k = (page.k or 0) + 1 ?>v2 <?lsp= page.k ?>');
    utimesSync(file, new Date(2_000_000), new Date(2_000_000));
    // The page table persists across the recompile.
    assert.equal((await request(s.port, '/live.lsp')).body, 'v2 3');
    writeFileSync(file, '<?lsp if then ?>');
    utimesSync(file, new Date(3_000_000), new Date(3_000_000));
    assert.equal((await request(s.port, '/live.lsp')).status, 500);
    assert.match(s.log.text(), /live\.lsp:1:/);
  } finally {
    s.close();
    app.remove();
  }
});

test('apps: named mount, root fallback, priority, hidden files, redirects', async () => {
  const s = await startTestServer([
    { name: '', prio: 0, path: BASIC },
    { name: 'second', prio: 0, path: SECOND },
    { name: '', prio: 5, path: SECOND },
  ]);
  try {
    // Root apps: the higher priority is searched first.
    assert.equal((await request(s.port, '/static.txt')).body, 'second static\n');
    // Files only the lower-priority root app has are still found.
    assert.equal((await request(s.port, '/env.lsp')).status, 200);
    assert.equal((await request(s.port, '/second/index.lsp')).body, 'second app\tindex.lsp\n');
    assert.equal((await request(s.port, '/second/')).body, 'second app\tindex.lsp\n');
    // Mako: 302 with an absolute Location.
    const r = await request(s.port, '/second');
    assert.equal(r.status, 302);
    assert.match(String(r.headers.location), /^http:\/\/[^/]+\/second\/$/);
    for (const p of ['/.preload', '/.lua/helper.lua', '/.lua/', '/%2e%2e/%2e%2e/etc/passwd', '/sub/../.preload', '/second/.hidden']) {
      assert.equal((await request(s.port, p)).status, 404, p);
    }
    assert.equal((await request(s.port, '/a%2fb')).status, 400);
  } finally {
    s.close();
  }
});

test('commandcnt=1: a second page waits until a sleeping first page has finished', async () => {
  const s = await startTestServer([{ name: '', prio: 0, path: BASIC }], { commandcnt: 1 });
  try {
    const a = request(s.port, '/sleep.lsp?ms=300&tag=A');
    await waitFor(() => s.log.text().includes('start A'), 5000, 'page A');
    const b = request(s.port, '/sleep.lsp?ms=10&tag=B');
    const [ra, rb] = await Promise.all([a, b]);
    assert.equal(ra.body, 'slept\tA\n');
    assert.equal(rb.body, 'slept\tB\n');
    assert.match(s.log.text(), / 4: start A\n 6: end A\n 4: start B\n 6: end B\n/);
  } finally {
    s.close();
  }
});

test('with commandcnt=3 pages overlap; a static file is served while pages sleep', async () => {
  const s = await startTestServer([{ name: '', prio: 0, path: BASIC }]);
  try {
    const pages = ['A', 'B', 'C'].map((t) => request(s.port, `/sleep.lsp?ms=300&tag=${t}`));
    await waitFor(() => /start C/.test(s.log.text()), 5000, 'three pages');
    assert.doesNotMatch(s.log.text(), /end A/);
    assert.equal((await request(s.port, '/static.txt')).body, 'static text\n');
    await Promise.all(pages);
  } finally {
    s.close();
  }
});

test('sessions: request:session(true) keeps a table per cookie', async () => {
  const s = await startTestServer([{ name: '', prio: 0, path: BASIC }]);
  try {
    const r1 = await request(s.port, '/session.lsp');
    assert.equal(r1.body, 'count\t1\n');
    const cookie = String(r1.headers['set-cookie']).split(';')[0]!;
    assert.match(cookie, /^z9ZAqJtI=/);
    assert.equal((await request(s.port, '/session.lsp', { headers: { Cookie: cookie } })).body, 'count\t2\n');
    assert.equal((await request(s.port, '/session.lsp')).body, 'count\t1\n');
  } finally {
    s.close();
  }
});

test('.preload finishes before the first request is served', async () => {
  const app = copyApp(BASIC);
  writeFileSync(join(app.dir, '.preload'), 'ba.sleep(300)\nready = "yes"\n');
  writeFileSync(join(app.dir, 'ready.lsp'), '<?lsp= app.ready ?>');
  const { Runtime } = await import('../../src/app/runtime.js');
  const { MemoryLog } = await import('../../src/sched/trace-log.js');
  const { startAppServer } = await import('../../src/server/app-server.js');
  const { defaultServerConfig } = await import('../../src/app/config.js');
  const rt = await Runtime.create({ log: new MemoryLog(), onExit: () => {} });
  const srv = await startAppServer(rt, { ...defaultServerConfig(), port: 0 }, [{ name: '', prio: 0, path: app.dir }], { host: '127.0.0.1', fallbackPorts: null });
  try {
    // The listener is open before the .preload has finished; the request waits for it.
    const c = new RawClient(srv.http.port);
    c.send('GET /ready.lsp HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const text = await c.until(/\r\n\r\n.*yes\r\n0\r\n\r\n$/s);
    assert.match(text, /^HTTP\/1\.1 200/);
    await srv.ready;
    c.destroy();
  } finally {
    srv.http.close();
    rt.dispose();
    app.remove();
  }
});

test('a page sees request:user() after Basic authentication', async () => {
  const s = await startTestServer([{ name: '', prio: 0, path: BASIC }], {
    raw: { users: { admin: 'secret' }, auth: { '1': { path: '/user.lsp', type: 'basic' } } },
  });
  try {
    assert.equal((await request(s.port, '/user.lsp')).status, 401);
    const ok = await request(s.port, '/user.lsp', { headers: { Authorization: 'Basic ' + Buffer.from('admin:secret').toString('base64') } });
    // name, password, type as in BAS; users of the configuration file show no password.
    assert.equal(ok.body, 'user\tadmin\t\tbasic\n');
  } finally {
    s.close();
  }
});
