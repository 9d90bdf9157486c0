// The BAS authentication API (ba.create.authenticator and friends) against real HTTP clients:
// Basic, Digest (the response computed here, RFC 7616 with MD5), form login with the session
// cookie, the login tracker's ban, a replayed Digest Authorization refused, request:login/
// logout, the user limit of a user database, and a JSON user database with its authorizer.
// The app is test/fixtures/apps/ba-auth.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { request, startTestServer, type TestServer } from '../harness/app-server.js';

import https from 'node:https';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCli } from '../harness/net-util.js';
const APP = 'test/fixtures/apps/ba-auth';
const md5 = (s: string): string => createHash('md5').update(s).digest('hex');
const b64 = (u: string, p: string): string => 'Basic ' + Buffer.from(`${u}:${p}`).toString('base64');
const cookieOf = (h: string | string[] | undefined, name = 'z9ZAqJtI'): string | undefined =>
  ([] as string[])
    .concat(h ?? [])
    .map((c) => c.split(';')[0]!)
    .find((c) => c.startsWith(`${name}=`));

async function withServer(fn: (s: TestServer) => Promise<void>): Promise<void> {
  const s = await startTestServer([{ name: '', prio: 0, path: APP }]);
  try {
    await fn(s);
  } finally {
    s.close();
  }
}

/** Parses a Digest challenge's parameters. */
function challengeOf(h: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of h.replace(/^Digest\s+/i, '').matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]*))/g)) out[m[1]!] = m[2] ?? m[3]!;
  return out;
}

function digestHeader(user: string, pwd: string, ch: Record<string, string>, method: string, uri: string, nc: number): string {
  const cnonce = 'c0ffee' + nc;
  const ncs = nc.toString(16).padStart(8, '0');
  const ha1 = md5(`${user}:${ch.realm}:${pwd}`);
  const ha2 = md5(`${method}:${uri}`);
  const response = md5(`${ha1}:${ch.nonce}:${ncs}:${cnonce}:auth:${ha2}`);
  return `Digest username="${user}", realm="${ch.realm}", nonce="${ch.nonce}", uri="${uri}", qop=auth, nc=${ncs}, cnonce="${cnonce}", response="${response}"`;
}

test('basic: challenge, wrong and right password, session cookie afterwards', async () => {
  await withServer(async (s) => {
    const ch = await request(s.port, '/page.lsp');
    assert.equal(ch.status, 401);
    assert.equal(ch.headers['www-authenticate'], 'Basic realm="R1"');
    assert.equal(ch.body, 'RESP\tbasic\tnil\tfalse\t0\n');
    const bad = await request(s.port, '/page.lsp', { headers: { Authorization: b64('admin', 'nope') } });
    assert.equal(bad.status, 401);
    assert.equal(bad.body, 'RESP\tbasic\tadmin\tfalse\t0\n');
    const ok = await request(s.port, '/page.lsp', { headers: { Authorization: b64('admin', 'admin') } });
    assert.equal(ok.status, 200);
    assert.equal(ok.body, 'OK\tadmin\tadmin\tbasic\n');
    const cookie = cookieOf(ok.headers['set-cookie']);
    assert.match(cookie ?? '', /^z9ZAqJtI=[0-9a-f]{24}$/);
    // The session now carries the login: no Authorization needed.
    const again = await request(s.port, '/who.lsp', { headers: { Cookie: cookie! } });
    assert.equal(again.body, 'user\tadmin\tadmin\tbasic\nsession\tuserdata\n');
    assert.doesNotMatch(s.log.text(), /Lua error/);
  });
});

test('digest: computed response accepted, wrong password, a replayed header, another URI and a forged nonce refused', async () => {
  await withServer(async (s) => {
    const first = await request(s.port, '/page.lsp?a=digest');
    assert.equal(first.status, 401);
    const ch = challengeOf(String(first.headers['www-authenticate']));
    assert.equal(ch.realm, 'R2');
    assert.equal(ch.qop, 'auth');
    assert.match(ch.nonce!, /^[0-9a-f]{32}$/);
    const uri = '/page.lsp?a=digest';
    const wrong = await request(s.port, uri, { headers: { Authorization: digestHeader('admin', 'nope', ch, 'GET', uri, 1) } });
    assert.equal(wrong.status, 401);
    const good = digestHeader('admin', 'admin', ch, 'GET', uri, 2);
    const ok = await request(s.port, uri, { headers: { Authorization: good } });
    assert.equal(ok.status, 200);
    assert.equal(ok.body, 'OK\tadmin\tadmin\tdigest\n');
    // The same Authorization again (same nonce and count), without the session cookie: refused.
    const replay = await request(s.port, uri, { headers: { Authorization: good } });
    assert.equal(replay.status, 401);
    assert.match(String(replay.headers['www-authenticate']), /^Digest realm="R2"/);
    // The next count of the same nonce is fine.
    const next = await request(s.port, uri, { headers: { Authorization: digestHeader('admin', 'admin', ch, 'GET', uri, 3) } });
    assert.equal(next.status, 200);
    // A response computed for another URI does not authenticate this one.
    const other = await request(s.port, uri, { headers: { Authorization: digestHeader('admin', 'admin', ch, 'GET', '/other.lsp', 4) } });
    assert.equal(other.status, 401);
    // A forged nonce (right format, no valid MAC) is refused.
    const forged = { ...ch, nonce: '0'.repeat(32) };
    assert.equal((await request(s.port, uri, { headers: { Authorization: digestHeader('admin', 'admin', forged, 'GET', uri, 1) } })).status, 401);
  });
});

test('form: login page, failed login, 302 with the session cookie, return URL cookie', async () => {
  await withServer(async (s) => {
    const page = await request(s.port, '/page.lsp?a=form');
    assert.equal(page.status, 200);
    assert.equal(page.body, 'RESP\tform\tnil\tfalse\t0\n');
    // A request with parameters remembers where to return (BAS's _zFL cookie).
    assert.equal(cookieOf(page.headers['set-cookie'], '_zFL'), `_zFL=http://127.0.0.1:${s.port}/page.lsp%3fa%3dform`);
    const post = (body: string): ReturnType<typeof request> =>
      request(s.port, '/page.lsp', { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body });
    const bad = await post('a=form&ba_username=admin&ba_password=nope');
    assert.equal(bad.body, 'RESP\tform\tadmin\tfalse\t0\n');
    assert.equal(cookieOf(bad.headers['set-cookie']), undefined);
    const ok = await post('a=form&ba_username=admin&ba_password=admin');
    assert.equal(ok.status, 302);
    assert.equal(ok.headers.location, `http://127.0.0.1:${s.port}/page.lsp`);
    const cookie = cookieOf(ok.headers['set-cookie'])!;
    assert.ok(cookie);
    const after = await request(s.port, '/page.lsp?a=form', { headers: { Cookie: cookie } });
    assert.equal(after.body, 'OK\tadmin\tadmin\tform\n');
    // logout ends the session: the cookie no longer authenticates.
    assert.equal((await request(s.port, '/who.lsp?logout=1', { headers: { Cookie: cookie } })).body, 'user\tadmin\tadmin\tform\nsession\tuserdata\nlogout\ttrue\n');
    assert.equal((await request(s.port, '/who.lsp', { headers: { Cookie: cookie } })).body, 'user\tnil\nsession\tboolean\n');
  });
});

test('tracker: four failures ban the address; the ban holds for the right password too', async () => {
  await withServer(async (s) => {
    const codes: number[] = [];
    for (let i = 0; i < 4; i++) codes.push((await request(s.port, '/page.lsp?a=tracked', { headers: { Authorization: b64('admin', `bad${i}`) } })).status);
    assert.deepEqual(codes, [401, 401, 401, 401]);
    const banned = await request(s.port, '/page.lsp?a=tracked', { headers: { Authorization: b64('admin', 'admin') } });
    assert.equal(banned.status, 200); // BAS: no challenge, the login response only
    assert.equal(banned.body, 'RESP\tbasic\tadmin\ttrue\t5\n');
    // Authenticators without tracker=true are not affected.
    assert.equal((await request(s.port, '/page.lsp', { headers: { Authorization: b64('admin', 'admin') } })).status, 200);
    assert.match(s.log.text(), /LOGH\tfalse\tadmin\t127\.0\.0\.1/);
  });
});

test('request:login/logout, the user limit, and a JSON user database with its authorizer', async () => {
  await withServer(async (s) => {
    const login = await request(s.port, '/who.lsp?login=bob');
    assert.equal(login.body, 'user\tnil\nsession\tboolean\nlogin\ttrue\n');
    const cookie = cookieOf(login.headers['set-cookie'])!;
    assert.equal((await request(s.port, '/who.lsp', { headers: { Cookie: cookie } })).body, 'user\tbob\t_autologin_\t?\nsession\tuserdata\n');
    // "limited" may hold one session: a second login is refused while the first is in use.
    const l1 = await request(s.port, '/page.lsp', { headers: { Authorization: b64('limited', 'pw') } });
    assert.equal(l1.status, 200);
    const c1 = cookieOf(l1.headers['set-cookie'])!;
    await request(s.port, '/who.lsp', { headers: { Cookie: c1 } });
    const l2 = await request(s.port, '/page.lsp', { headers: { Authorization: b64('limited', 'pw') } });
    assert.equal(l2.status, 403);
    // JSON users: roles decide what the authorizer allows.
    const j = await request(s.port, '/page.lsp?a=json', { headers: { Authorization: b64('json', 'jpw') } });
    assert.equal(j.body, 'OK\tjson\tjpw\tbasic\nauthorize\ttrue\tfalse\n');
    const o = await request(s.port, '/page.lsp?a=json', { headers: { Authorization: b64('other', 'opw') } });
    assert.equal(o.body, 'OK\tother\topw\tbasic\nauthorize\tfalse\tfalse\n');
    assert.equal((await request(s.port, '/page.lsp?a=json', { headers: { Authorization: b64('json', 'nope') } })).status, 401);
  });
});

test('form login over HTTPS: the session cookie is marked secure; the return-URL cookie is deleted (as Mako)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'remora-formtls-'));
  writeFileSync(join(dir, 'tls.conf'), 'port = 0\nsslport = 0\nhost = "127.0.0.1"\nsslhost = "127.0.0.1"\n');
  const srv = await startCli(['-c', join(dir, 'tls.conf'), '-l::' + APP]);
  try {
    const post = (cookie?: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined> }> =>
      new Promise((resolve, reject) => {
        const body = 'a=form&ba_username=admin&ba_password=admin';
        const headers: Record<string, string> = { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': String(body.length) };
        if (cookie) headers.Cookie = cookie;
        const req = https.request({ host: '127.0.0.1', port: srv.sslport, path: '/page.lsp', method: 'POST', headers, rejectUnauthorized: false, agent: false }, (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
        });
        req.on('error', reject);
        req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
        req.end(body);
      });
    const ok = await post();
    assert.equal(ok.status, 302);
    assert.match(String(ok.headers['set-cookie']), /^z9ZAqJtI=[0-9a-f]{24}; path=\/; secure; HttpOnly$/);
    const back = `https://127.0.0.1:${srv.sslport}/page.lsp%3fa%3dform`;
    const r = await post(`_zFL=${back}`);
    assert.equal(r.headers.location, `https://127.0.0.1:${srv.sslport}/page.lsp?a=form`);
    const sc = r.headers['set-cookie'] as string[];
    assert.match(sc[0]!, /^z9ZAqJtI=[0-9a-f]{24}; path=\/; secure; HttpOnly;$/);
    assert.equal(sc[1], `_zFL=${back}; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT`);
  } finally {
    srv.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('dir:setauth: form login through a forwarded hidden page, public/ open, a prolog directory with Basic and an authorizer', async () => {
  const s = await startTestServer([{ name: '', prio: 0, path: 'test/fixtures/apps/ba-auth-dir' }]);
  try {
    assert.equal((await request(s.port, '/public/style.css')).status, 200);
    const page = await request(s.port, '/');
    assert.equal(page.status, 200);
    assert.equal(page.body, 'login form\t/\n');
    const post = (body: string): ReturnType<typeof request> =>
      request(s.port, '/', { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body });
    assert.equal((await post('ba_username=admin&ba_password=nope')).body, 'login failed\n');
    const ok = await post('ba_username=admin&ba_password=admin');
    assert.equal(ok.status, 302);
    const cookie = cookieOf(ok.headers['set-cookie'])!;
    assert.equal((await request(s.port, '/', { headers: { Cookie: cookie } })).body, 'index\tadmin\tform\n');
    // The hidden login page is not served to clients directly.
    assert.equal((await request(s.port, '/.login/form.lsp', { headers: { Cookie: cookie } })).status, 404);
    // "sub": its own Basic authenticator (the failed page is included after the challenge).
    const ch = await request(s.port, '/sub/');
    assert.equal(ch.status, 401);
    assert.equal(ch.headers['www-authenticate'], 'Basic realm="Sub"');
    assert.equal(ch.body, 'login failed\n');
    const sub = await request(s.port, '/sub/', { headers: { Authorization: b64('admin', 'admin') } });
    assert.equal(sub.body, 'sub page\tadmin\tadmin\tbasic\n');
    // The authorizer allows GET only; a refusal forwards to dir:p403's page.
    const denied = await request(s.port, '/sub/', { method: 'POST', headers: { Authorization: b64('admin', 'admin') } });
    assert.equal(denied.status, 403);
    assert.equal(denied.body, 'denied page\n');
    assert.doesNotMatch(s.log.text(), /Lua error/);
  } finally {
    s.close();
  }
});
