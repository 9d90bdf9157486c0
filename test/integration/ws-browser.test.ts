// A real browser against remora's WebSocket server (issue 7): headless chromium opens the demo
// page of examples/websocket with ?selftest=1000, which exchanges 1,000 messages (text and
// binary, some longer than a read chunk or 64 KiB) with the cosocket echo behind
// ba.socket.req2sock and checks each, then runs a two-client chat exchange. The page reports in
// #result, read over the DevTools protocol (driven with the `ws` package). The endpoints enable
// permessage-deflate, so the browser's messages are compressed both ways; the page reports the
// extension the server accepted.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { startTestServer } from '../harness/app-server.js';

const CHROMIUM = '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed (apt-get install chromium); skipping the browser test`;

/** A minimal DevTools protocol client: one browser connection, flattened target sessions. */
class Cdp {
  private id = 0;
  private pending = new Map<number, { resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void }>();
  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (d) => {
      const m = JSON.parse(d.toString()) as { id?: number; result?: Record<string, unknown>; error?: { message: string } };
      if (m.id === undefined) return;
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.error) p.reject(new Error(m.error.message));
      else p.resolve(m.result ?? {});
    });
  }
  static async connect(url: string): Promise<Cdp> {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    return new Cdp(ws);
  }
  send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, unknown>> {
    const id = ++this.id;
    this.ws.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
  }
  close(): void {
    this.ws.close();
  }
}

test('headless chromium exchanges 1,000 messages with a cosocket echo and chats through chat.lsp', { skip, timeout: 120_000 }, async () => {
  const s = await startTestServer([{ name: '', prio: 0, path: 'examples/websocket' }]);
  const profile = mkdtempSync(join(tmpdir(), 'remora-chromium-'));
  const browser = spawn(
    CHROMIUM,
    ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', `--user-data-dir=${profile}`, '--remote-debugging-port=0', 'about:blank'],
    // Its own process group: chromium's helper processes end with it.
    { stdio: ['ignore', 'ignore', 'pipe'], detached: true },
  );
  let cdp: Cdp | null = null;
  try {
    const devtools = await new Promise<string>((resolve, reject) => {
      let err = '';
      const timer = setTimeout(() => reject(new Error(`chromium did not start:\n${err}`)), 30_000);
      browser.stderr!.on('data', (d: Buffer) => {
        err += d.toString();
        const m = /DevTools listening on (ws:\/\/\S+)/.exec(err);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      browser.once('exit', (code) => reject(new Error(`chromium exited with ${code}:\n${err}`)));
    });
    cdp = await Cdp.connect(devtools);
    const { targetId } = (await cdp.send('Target.createTarget', { url: `http://127.0.0.1:${s.port}/index.html?selftest=1000` })) as { targetId: string };
    const { sessionId } = (await cdp.send('Target.attachToTarget', { targetId, flatten: true })) as { sessionId: string };
    let result = '';
    const end = Date.now() + 90_000;
    while (Date.now() < end) {
      const r = (await cdp.send('Runtime.evaluate', { expression: 'document.getElementById("result") && document.getElementById("result").textContent', returnByValue: true }, sessionId)) as {
        result: { value?: string | null };
      };
      result = r.result.value ?? '';
      if (result.startsWith('{')) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    // echo.lsp and chat.lsp enable permessage-deflate: chromium talks compressed (issue 16).
    assert.deepEqual(JSON.parse(result || '{}'), { echo: 'ok 1000', chat: 'ok', extensions: 'permessage-deflate' }, `page result: ${result}\nserver log:\n${s.log.text()}`);
    assert.doesNotMatch(s.log.text(), /Lua error/);
  } finally {
    cdp?.close();
    const exited = new Promise((r) => (browser.exitCode !== null ? r(null) : browser.once('exit', r)));
    try {
      process.kill(-browser.pid!, 'SIGKILL');
    } catch {
      browser.kill('SIGKILL');
    }
    await exited;
    s.close();
    rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  }
});
