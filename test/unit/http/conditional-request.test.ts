import test from 'node:test';
import assert from 'node:assert/strict';
import { HeaderList } from '../../../src/http/header-list.js';
import { httpDate } from '../../../src/http/http-date.js';
import { etagFor, evaluatePreconditions, evaluateRange } from '../../../src/http/conditional-request.js';

const MTIME = Date.UTC(2024, 4, 1, 12, 0, 0) + 456; // sub-second part is not sent
const FILE = { size: 1000, mtimeMs: MTIME };
const ETAG = etagFor(FILE);
const h = (...fields: Array<[string, string]>): HeaderList => new HeaderList(fields);
const at = (ms: number): string => httpDate(new Date(ms));

test('the ETag is weak and changes with size or mtime', () => {
  assert.match(ETAG, /^W\/"[0-9a-f]+-[0-9a-f]+"$/);
  assert.notEqual(etagFor({ size: 1001, mtimeMs: MTIME }), ETAG);
  assert.notEqual(etagFor({ size: 1000, mtimeMs: MTIME + 1 }), ETAG);
});

test('If-None-Match', () => {
  assert.equal(evaluatePreconditions('GET', h(['If-None-Match', ETAG]), ETAG, MTIME), 'not-modified');
  assert.equal(evaluatePreconditions('HEAD', h(['If-None-Match', `"x", ${ETAG}`]), ETAG, MTIME), 'not-modified');
  assert.equal(evaluatePreconditions('GET', h(['If-None-Match', ETAG.slice(2)]), ETAG, MTIME), 'not-modified', 'weak comparison ignores W/');
  assert.equal(evaluatePreconditions('GET', h(['If-None-Match', '*']), ETAG, MTIME), 'not-modified');
  assert.equal(evaluatePreconditions('GET', h(['If-None-Match', '"other"']), ETAG, MTIME), 'proceed');
  assert.equal(evaluatePreconditions('POST', h(['If-None-Match', ETAG]), ETAG, MTIME), 'failed');
});

test('If-Modified-Since, and If-None-Match takes precedence', () => {
  assert.equal(evaluatePreconditions('GET', h(['If-Modified-Since', at(MTIME)]), ETAG, MTIME), 'not-modified');
  assert.equal(evaluatePreconditions('GET', h(['If-Modified-Since', at(MTIME + 60_000)]), ETAG, MTIME), 'not-modified');
  assert.equal(evaluatePreconditions('GET', h(['If-Modified-Since', at(MTIME - 1000)]), ETAG, MTIME), 'proceed');
  assert.equal(evaluatePreconditions('GET', h(['If-Modified-Since', 'garbage']), ETAG, MTIME), 'proceed');
  assert.equal(evaluatePreconditions('POST', h(['If-Modified-Since', at(MTIME)]), ETAG, MTIME), 'proceed');
  assert.equal(evaluatePreconditions('GET', h(['If-None-Match', '"other"'], ['If-Modified-Since', at(MTIME)]), ETAG, MTIME), 'proceed');
});

test('If-Match and If-Unmodified-Since', () => {
  assert.equal(evaluatePreconditions('GET', h(['If-Match', '*']), ETAG, MTIME), 'proceed');
  assert.equal(evaluatePreconditions('GET', h(['If-Match', ETAG]), ETAG, MTIME), 'failed', 'weak tags never match strongly');
  assert.equal(evaluatePreconditions('GET', h(['If-Unmodified-Since', at(MTIME - 1000)]), ETAG, MTIME), 'failed');
  assert.equal(evaluatePreconditions('GET', h(['If-Unmodified-Since', at(MTIME)]), ETAG, MTIME), 'proceed');
});

test('Range', () => {
  const r = (range: string, ...more: Array<[string, string]>) => evaluateRange(h(['Range', range], ...more), 1000, ETAG, MTIME);
  assert.deepEqual(evaluateRange(h(), 1000, ETAG, MTIME), { kind: 'full' });
  assert.deepEqual(r('bytes=0-99'), { kind: 'partial', start: 0, end: 100 });
  assert.deepEqual(r('bytes=900-'), { kind: 'partial', start: 900, end: 1000 });
  assert.deepEqual(r('bytes=-10'), { kind: 'partial', start: 990, end: 1000 });
  assert.deepEqual(r('bytes=-5000'), { kind: 'partial', start: 0, end: 1000 });
  assert.deepEqual(r('bytes=990-5000'), { kind: 'partial', start: 990, end: 1000 });
  assert.deepEqual(r('bytes=1000-'), { kind: 'unsatisfiable' });
  assert.deepEqual(r('bytes=-0'), { kind: 'unsatisfiable' });
  assert.deepEqual(r('bytes=5-3'), { kind: 'full' });
  assert.deepEqual(r('bytes=0-1,5-6'), { kind: 'full' });
  assert.deepEqual(r('items=0-1'), { kind: 'full' });
  assert.deepEqual(r('bytes=-'), { kind: 'full' });
  assert.deepEqual(r('bytes=0-9', ['If-Range', at(MTIME)]), { kind: 'partial', start: 0, end: 10 });
  assert.deepEqual(r('bytes=0-9', ['If-Range', at(MTIME - 1000)]), { kind: 'full' });
  assert.deepEqual(r('bytes=0-9', ['If-Range', ETAG]), { kind: 'full' });
});
