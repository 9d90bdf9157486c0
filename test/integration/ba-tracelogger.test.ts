// The TraceLogger service (ba.create.tracelogger and the configuration key tracelogger) with a
// real WebSocket client (the ws package): the availability check, the settings message, trace
// output as it is written, the level command (tracep obeys it), a second client taking over,
// onclient, and the browser page at /rtl/tracelogger/.
import test from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { request, startTestServer } from '../harness/app-server.js';

const APP = { name: '', prio: 0, path: 'test/fixtures/apps/tracelog' };

class Client {
  readonly ws: WebSocket;
  readonly messages: Buffer[] = [];
  closeCode: number | null = null;
  private wake: (() => void) | null = null;

  constructor(port: number) {
    this.ws = new WebSocket(`ws://127.0.0.1:${port}/rtl/tracelogger.service/`);
    this.ws.on('message', (d: Buffer, isBinary: boolean) => {
      assert.ok(isBinary, 'TraceLogger messages are binary');
      this.messages.push(d);
      this.wake?.();
    });
    this.ws.on('close', (code) => {
      this.closeCode = code;
      this.wake?.();
    });
  }

  opened(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
  }

  /** The trace text received so far (the [2] messages). */
  get text(): string {
    return this.messages
      .filter((m) => m[0] === 2)
      .map((m) => m.subarray(1).toString('latin1'))
      .join('');
  }

  async until(what: string, ok: () => boolean): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!ok()) {
      if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}; got ${JSON.stringify(this.text)}`);
      await new Promise<void>((r) => {
        this.wake = r;
        setTimeout(r, 100);
      });
    }
  }
}

test('TraceLogger: availability, settings, trace output, level, takeover, onclient, page', async () => {
  const s = await startTestServer([APP], { raw: { tracelogger: true } });
  try {
    // The client's availability check.
    const free = await request(s.port, '/rtl/tracelogger.service/', { headers: { 'x-requested-with': 'test' } });
    assert.equal(free.status, 204);
    assert.equal(free.headers.tracelogger, '1.0');
    // Neither a check nor an upgrade.
    assert.equal((await request(s.port, '/rtl/tracelogger.service/')).status, 405);

    const a = new Client(s.port);
    await a.opened();
    await a.until('the settings message', () => a.messages.length > 0);
    assert.deepEqual([...a.messages[0]!], [1, 0, 0, 0, 0, 0, 5]);
    await a.until('onclient 1', () => a.text.includes('onclient\t1'));

    // A page's trace output arrives as it is written; level 4 is shown at level 5.
    assert.equal((await request(s.port, '/')).body, 'ok\n');
    await a.until('the page trace', () => a.text.includes('hello from the page') && a.text.includes('at level four'));

    // Level 3: tracep(false, 4, ...) is no longer written.
    a.ws.send(Buffer.of(7, 3));
    a.ws.send(Buffer.of(2, 1)); // the "request" flag: kept, reported by configure
    await new Promise((r) => setTimeout(r, 100));
    const before = a.text.length;
    await request(s.port, '/');
    await a.until('the second page trace', () => a.text.slice(before).includes('hello from the page'));
    assert.ok(!a.text.slice(before).includes('at level four'));

    // Busy now.
    const busy = await request(s.port, '/rtl/tracelogger.service/', { headers: { 'x-requested-with': 'test' } });
    assert.equal(busy.status, 503);

    // A second client takes over: the first gets [3] and a close.
    const b = new Client(s.port);
    await b.opened();
    await a.until('the takeover', () => a.closeCode !== null);
    assert.ok(a.messages.some((m) => m.length === 1 && m[0] === 3));
    assert.equal(a.closeCode, 1000);
    await b.until('the settings message', () => b.messages.length > 0);
    assert.deepEqual([...b.messages[0]!], [1, 1, 0, 0, 0, 0, 3]);
    b.ws.close();
    await b.until('the close', () => b.closeCode !== null);
    for (let i = 0; i < 100 && !s.log.text().includes('onclient\t0'); i++) await new Promise((r) => setTimeout(r, 50));
    assert.match(s.log.text(), /onclient\t0/);

    // The browser page.
    const page = await request(s.port, '/rtl/tracelogger/');
    assert.equal(page.status, 200);
    assert.match(page.body, /tracelogger\.service/);
    assert.match(page.headers['content-type'] ?? '', /text\/html/);
  } finally {
    s.close();
  }
});

test('without the configuration key the app\'s TraceLogger serves; a bad client message closes 1003', async () => {
  const s = await startTestServer([APP]);
  try {
    const a = new Client(s.port);
    await a.opened();
    a.ws.send(Buffer.of(9, 9));
    await a.until('the close', () => a.closeCode !== null);
    assert.equal(a.closeCode, 1003);
  } finally {
    s.close();
  }
});
