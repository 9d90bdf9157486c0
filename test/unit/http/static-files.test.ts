/** Page and file lookup in an app directory, and static response headers. */
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, symlinkSync, rmSync, realpathSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lookupStatic, staticResponse } from '../../../src/http/static-files.js';
import { HeaderList } from '../../../src/http/header-list.js';
import { httpDate } from '../../../src/http/http-date.js';

const base = mkdtempSync(join(tmpdir(), 'remora-static-'));
const root = join(base, 'www');
const outside = join(base, 'outside');
mkdirSync(root);
mkdirSync(outside);
for (const dir of ['sub', 'both', 'htmlonly', 'empty', '.lua', 'idx-out']) mkdirSync(join(root, dir));
writeFileSync(join(root, 'index.lsp'), '<?lsp ?>');
writeFileSync(join(root, 'page.lsp'), 'x');
writeFileSync(join(root, 'UPPER.LSP'), 'x');
writeFileSync(join(root, 'style.css'), 'body{}');
writeFileSync(join(root, '.preload'), 'secret');
writeFileSync(join(root, '.lua', 'x.lua'), 'secret');
writeFileSync(join(root, 'sub', 'index.lsp'), 'x');
writeFileSync(join(root, 'both', 'index.lsp'), 'x');
writeFileSync(join(root, 'both', 'index.html'), 'x');
writeFileSync(join(root, 'htmlonly', 'index.html'), 'x');
writeFileSync(join(outside, 'index.html'), 'secret');
symlinkSync(join(outside, 'index.html'), join(root, 'idx-out', 'index.html'));
writeFileSync(join(root, 'sp ace.txt'), 'x');
const DATA = Buffer.alloc(1000, 0x61);
writeFileSync(join(root, 'data.bin'), DATA);
const MTIME = new Date(Date.UTC(2023, 0, 1));
utimesSync(join(root, 'data.bin'), MTIME, MTIME);
test.after(() => rmSync(base, { recursive: true, force: true }));

const real = (p: string): string => realpathSync(join(root, p));

test('files and pages', async () => {
  const css = await lookupStatic(root, '/style.css');
  assert.equal(css.kind, 'file');
  if (css.kind === 'file') {
    assert.equal(css.path, real('style.css'));
    assert.equal(css.isLsp, false);
    assert.equal(css.pathname, '/style.css');
    assert.equal(css.stat.size, 6);
  }
  const page = await lookupStatic(root, '/page.lsp');
  assert.equal(page.kind === 'file' && page.isLsp, true);
  const upper = await lookupStatic(root, '/UPPER.LSP');
  assert.equal(upper.kind === 'file' && upper.isLsp, true, 'never serve page source whatever its case');
  const spaced = await lookupStatic(root, '/sp%20ace.txt');
  assert.equal(spaced.kind === 'file' && spaced.pathname, '/sp ace.txt');
});

test('directories serve index.lsp, then index.html', async () => {
  const cases: Array<[string, string]> = [
    ['/', '/index.lsp'],
    ['/sub/', '/sub/index.lsp'],
    ['/both/', '/both/index.lsp'],
    ['/htmlonly/', '/htmlonly/index.html'],
  ];
  for (const [url, pathname] of cases) {
    const r = await lookupStatic(root, url);
    assert.equal(r.kind, 'file', url);
    if (r.kind === 'file') {
      assert.equal(r.pathname, pathname);
      assert.equal(r.path, real(pathname.slice(1)));
      assert.equal(r.isLsp, pathname.endsWith('.lsp'));
    }
  }
  assert.deepEqual(await lookupStatic(root, '/empty/'), { kind: 'error', status: 404, reason: 'directory without index' });
  assert.equal((await lookupStatic(root, '/idx-out/')).kind, 'error', 'an index symlinked outside is refused');
});

test('a directory without trailing slash redirects', async () => {
  assert.deepEqual(await lookupStatic(root, '/sub'), { kind: 'redirect', location: '/sub/' });
  assert.deepEqual(await lookupStatic(root, '/sub', { requestPath: '/app/sub', query: 'a=1' }), { kind: 'redirect', location: '/app/sub/?a=1' });
  assert.deepEqual(await lookupStatic(root, '', { requestPath: '/app' }), { kind: 'redirect', location: '/app/' });
});

test('hidden files, traversal and bad paths', async () => {
  for (const p of ['/.preload', '/.lua/x.lua', '/.lua/', '/%2elua/x.lua', '/../outside/index.html', '/missing', '/style.css/']) {
    const r = await lookupStatic(root, p);
    assert.equal(r.kind === 'error' && r.status, 404, p);
  }
  for (const p of ['/a%00b', '/..%2foutside', '/a\\b']) {
    const r = await lookupStatic(root, p);
    assert.equal(r.kind === 'error' && r.status, 400, p);
  }
});

test('static response: 200, HEAD, 304, 405, OPTIONS, 206, 416', async () => {
  const r = await lookupStatic(root, '/data.bin');
  assert.ok(r.kind === 'file');
  if (r.kind !== 'file') return;
  const get = staticResponse('GET', new HeaderList(), r);
  assert.equal(get.status, 200);
  assert.deepEqual(get.body, { start: 0, end: 1000 });
  const fields = new HeaderList(get.headers);
  assert.equal(fields.get('content-type'), 'application/octet-stream');
  assert.equal(fields.get('content-length'), '1000');
  assert.equal(fields.get('last-modified'), httpDate(MTIME));
  const etag = fields.get('etag') as string;
  assert.match(etag, /^W\//);

  const head = staticResponse('HEAD', new HeaderList(), r);
  assert.equal(head.status, 200);
  assert.equal(head.body, null);
  assert.equal(new HeaderList(head.headers).get('content-length'), '1000');

  const inm = staticResponse('GET', new HeaderList([['If-None-Match', etag]]), r);
  assert.equal(inm.status, 304);
  assert.equal(inm.body, null);
  assert.equal(new HeaderList(inm.headers).get('etag'), etag);
  assert.equal(staticResponse('GET', new HeaderList([['If-Modified-Since', httpDate(MTIME)]]), r).status, 304);
  assert.equal(staticResponse('GET', new HeaderList([['If-Modified-Since', httpDate(new Date(MTIME.getTime() - 1000))]]), r).status, 200);

  const post = staticResponse('POST', new HeaderList(), r);
  assert.equal(post.status, 405);
  assert.deepEqual(post.headers, [['Allow', 'OPTIONS, GET, HEAD']]);
  const options = staticResponse('OPTIONS', new HeaderList(), r);
  assert.deepEqual(options, { status: 200, headers: [['Allow', 'OPTIONS, GET, HEAD']], body: null });

  const part = staticResponse('GET', new HeaderList([['Range', 'bytes=10-19']]), r);
  assert.equal(part.status, 206);
  assert.deepEqual(part.body, { start: 10, end: 20 });
  assert.equal(new HeaderList(part.headers).get('content-range'), 'bytes 10-19/1000');
  assert.equal(new HeaderList(part.headers).get('content-length'), '10');
  assert.equal(staticResponse('HEAD', new HeaderList([['Range', 'bytes=10-19']]), r).status, 200, 'Range applies to GET only');

  const bad = staticResponse('GET', new HeaderList([['Range', 'bytes=5000-']]), r);
  assert.equal(bad.status, 416);
  assert.deepEqual(bad.headers, [['Content-Range', 'bytes */1000']]);
  assert.equal(staticResponse('GET', new HeaderList([['If-Match', '"nope"']]), r).status, 412);
});

test('content types follow the file name', async () => {
  const r = await lookupStatic(root, '/style.css');
  if (r.kind !== 'file') return assert.fail('not found');
  assert.equal(new HeaderList(staticResponse('GET', new HeaderList(), r).headers).get('content-type'), 'text/css; charset=utf-8');
});
