import test from 'node:test';
import assert from 'node:assert/strict';
import { errorPage, escapeHtml } from '../../../src/http/error-page.js';
import { statusText } from '../../../src/http/status-text.js';

test('error pages name the status and escape the message', () => {
  for (const status of [400, 404, 405, 414, 431, 500, 501, 505]) {
    const p = errorPage(status);
    assert.equal(p.contentType, 'text/html; charset=utf-8');
    assert.ok(p.body.toString().includes(`<h1>${status} ${statusText(status)}</h1>`), String(status));
  }
  assert.match(errorPage(404, '/<script>').body.toString(), /<p>\/&lt;script&gt;<\/p>/);
  assert.equal(escapeHtml(`&<>"'`), '&amp;&lt;&gt;&quot;&#39;');
});

test('status text', () => {
  assert.equal(statusText(431), 'Request Header Fields Too Large');
  assert.equal(statusText(505), 'HTTP Version Not Supported');
  assert.equal(statusText(299), 'Success');
  assert.equal(statusText(499), 'Client Error');
});
