// A real browser against remora's WebSocket server (issue 7): headless chromium opens the demo
// page of examples/websocket with ?selftest=1000, which exchanges 1,000 messages (text and
// binary, some longer than a read chunk or 64 KiB) with the cosocket echo behind
// ba.socket.req2sock and checks each, then runs a two-client chat exchange. The page reports in
// #result, read over the DevTools protocol (driven with the `ws` package). The endpoints enable
// permessage-deflate, so the browser's messages are compressed both ways; the page reports the
// extension the server accepted.
import test from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer } from '../harness/app-server.js';
import { chromiumSkip, startChromium, type Browser } from '../harness/chromium.js';

test('headless chromium exchanges 1,000 messages with a cosocket echo and chats through chat.lsp', { skip: chromiumSkip, timeout: 120_000 }, async () => {
  const s = await startTestServer([{ name: '', prio: 0, path: 'examples/websocket' }]);
  let browser: Browser | null = null;
  try {
    browser = await startChromium();
    await browser.open(`http://127.0.0.1:${s.port}/index.html?selftest=1000`);
    // The page writes a JSON object into #result when it is done.
    let result = '';
    try {
      result = await browser.waitFor('(() => { const e = document.getElementById("result"); return e && e.textContent.startsWith("{") ? e.textContent : ""; })()', 'the self-test result', 90_000);
    } catch {
      result = await browser.evaluate('document.getElementById("result") && document.getElementById("result").textContent');
    }
    // echo.lsp and chat.lsp enable permessage-deflate: chromium talks compressed (issue 16).
    assert.deepEqual(JSON.parse(result.startsWith('{') ? result : '{}'), { echo: 'ok 1000', chat: 'ok', extensions: 'permessage-deflate' }, `page result: ${result}\nserver log:\n${s.log.text()}`);
    assert.doesNotMatch(s.log.text(), /Lua error/);
  } finally {
    await browser?.close();
    s.close();
  }
});
