// The seed's promise for WebSocket entry pages: "a browser that has previously been
// authenticated using form based authentication will automatically authenticate when opening a
// WebSocket connection". Headless chromium opens index.lsp of test/fixtures/apps/ba-auth (a page
// protected by a form authenticator), gets the login page, submits it, is redirected back with
// BAS's session cookie, and the page then opens a WebSocket on ws.lsp (protected by the same
// authenticator): the upgrade request carries the cookie, the server greets the logged-in user.
import test from 'node:test';
import assert from 'node:assert/strict';
import { request, startTestServer } from '../harness/app-server.js';
import { chromiumSkip, startChromium, type Browser } from '../harness/chromium.js';

test('chromium: form login, then a WebSocket on a form-protected page is authenticated by the session cookie', { skip: chromiumSkip, timeout: 120_000 }, async () => {
  const s = await startTestServer([{ name: '', prio: 0, path: 'test/fixtures/apps/ba-auth' }]);
  let browser: Browser | null = null;
  try {
    // Without the cookie the WebSocket entry page answers the login page, not an upgrade.
    const noCookie = await request(s.port, '/ws.lsp', { headers: { Upgrade: 'websocket', Connection: 'Upgrade', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version': '13' } });
    assert.equal(noCookie.status, 200);
    assert.match(noCookie.body, /name="ba_username"/);
    browser = await startChromium();
    await browser.open(`http://127.0.0.1:${s.port}/index.lsp`);
    await browser.waitFor('document.querySelector("form#login") ? "yes" : ""', 'the login form');
    await browser.evaluate(`(() => { const f = document.querySelector("form#login"); f.ba_username.value = "admin"; f.ba_password.value = "admin"; f.submit(); return "sent"; })()`);
    const result = await browser.waitFor('document.getElementById("result") && document.getElementById("result").textContent', 'the WebSocket greeting');
    assert.equal(result, 'ws: hello admin form', `server log:\n${s.log.text()}`);
    assert.doesNotMatch(s.log.text(), /Lua error/);
  } finally {
    await browser?.close();
    s.close();
  }
});
