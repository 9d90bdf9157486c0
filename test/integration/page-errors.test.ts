// How page errors look: in the trace log always (chunk:line, traceback), in the 500 page only
// with the development setting showerrors = true.
import test from 'node:test';
import assert from 'node:assert/strict';
import { request, startTestServer } from '../harness/app-server.js';

const APP = { name: '', prio: 0, path: 'test/fixtures/apps/errors' };
const BARE = '<!DOCTYPE html>\n<html><head><title>500 Internal Server Error</title></head><body><h1>500 Internal Server Error</h1></body></html>\n';

test('by default the 500 page is bare; the trace log has file:line, error({}) included, and no stray space', async () => {
  const s = await startTestServer([APP]);
  try {
    for (const p of ['boom', 'table', 'unterminated', 'syntax']) {
      const r = await request(s.port, `/${p}.lsp`);
      assert.equal(r.status, 500, p);
      assert.equal(r.body, BARE, p);
    }
    const log = s.log.text();
    assert.match(log, /^-------- Lua error in LSP: boom\.lsp:3: <b>boom<\/b>\nstack traceback:\n\t\[C\]: in function 'error'\n\tboom\.lsp:3: in local 'f'/m);
    assert.match(log, /^-------- Lua error in LSP: table\.lsp:3: \(error object is a table value\)\nstack traceback:/m);
    assert.match(log, /^-------- Lua error in LSP: unterminated\.lsp:2: '<\?lsp' block without '\?>'$/m);
    assert.match(log, /^-------- Lua error in LSP: syntax\.lsp:1: unexpected symbol near 'then'$/m);
  } finally {
    s.close();
  }
});

test('an error in an included page: the traceback has the lines of the included page, then the including page', async () => {
  const s = await startTestServer([APP]);
  try {
    const r = await request(s.port, '/includer.lsp');
    assert.equal(r.status, 500);
    assert.match(s.log.text(), /^-------- Lua error in LSP: boom\.lsp:3: <b>boom<\/b>\nstack traceback:\n\t\[C\]: in function 'error'\n\tboom\.lsp:3: in local 'f'\n\tboom\.lsp:5: in main chunk\n(\t.*\n)*\tincluder\.lsp:3: in main chunk\n/m);
  } finally {
    s.close();
  }
});

test('showerrors = true: the 500 page shows the error and traceback, HTML-escaped', async () => {
  const s = await startTestServer([APP], { raw: { showerrors: true } });
  try {
    const boom = await request(s.port, '/boom.lsp');
    assert.equal(boom.status, 500);
    assert.match(boom.body, /<pre>boom\.lsp:3: &lt;b&gt;boom&lt;\/b&gt;\nstack traceback:\n[^<]*boom\.lsp:5: in main chunk<\/pre>/);
    assert.match((await request(s.port, '/table.lsp')).body, /<pre>table\.lsp:3: \(error object is a table value\)\n/);
    assert.match((await request(s.port, '/unterminated.lsp')).body, /<pre>unterminated\.lsp:2: &#39;&lt;\?lsp&#39; block without &#39;\?&gt;&#39;<\/pre>/);
  } finally {
    s.close();
  }
});
