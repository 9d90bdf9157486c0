import test from 'node:test';
import assert from 'node:assert/strict';
import { mimeType, DEFAULT_MIME_TYPE } from '../../../src/http/mime-types.js';

test('common web types, text with charset', () => {
  const cases: Array<[string, string]> = [
    ['index.html', 'text/html; charset=utf-8'],
    ['a.HTM', 'text/html; charset=utf-8'],
    ['style.css', 'text/css; charset=utf-8'],
    ['app.js', 'text/javascript; charset=utf-8'],
    ['mod.mjs', 'text/javascript; charset=utf-8'],
    ['data.json', 'application/json; charset=utf-8'],
    ['notes.txt', 'text/plain; charset=utf-8'],
    ['logo.svg', 'image/svg+xml'],
    ['photo.JPG', 'image/jpeg'],
    ['x.png', 'image/png'],
    ['x.gif', 'image/gif'],
    ['x.webp', 'image/webp'],
    ['favicon.ico', 'image/vnd.microsoft.icon'],
    ['f.woff2', 'font/woff2'],
    ['m.wasm', 'application/wasm'],
    ['doc.pdf', 'application/pdf'],
    ['v.mp4', 'video/mp4'],
    ['/dir.with.dots/file.css', 'text/css; charset=utf-8'],
  ];
  for (const [name, type] of cases) assert.equal(mimeType(name), type, name);
});

test('unknown, missing and hidden extensions get the default', () => {
  for (const name of ['file', 'file.unknownext', '.htaccess', 'dir.d/file', 'trailing.']) {
    assert.equal(mimeType(name), DEFAULT_MIME_TYPE, name);
  }
  assert.equal(DEFAULT_MIME_TYPE, 'application/octet-stream');
});
