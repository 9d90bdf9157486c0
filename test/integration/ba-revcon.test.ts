// ba.revcon against a Node broker: the server dials out with GET and the token's header fields;
// on 202 the broker sends HTTP requests over that same connection and the server answers them as
// it answers its own clients (pages of the app), then dials again; a refusal (403 + X-Reason) and
// an untrusted TLS broker are reported by status() and traced; close() ends the held connection.
import test from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request, startTestServer, waitFor } from '../harness/app-server.js';
import { testPki } from '../harness/tls-certs.js';

interface Broker {
  port: number;
  gets: string[];
  /** Connections answered 202, in order. */
  held: net.Socket[];
  close(): void;
}

/** A broker: answers every GET head with `status` (202 keeps the connection). */
function startBroker(status: number, secure = false): Promise<Broker> {
  const gets: string[] = [];
  const held: net.Socket[] = [];
  const onConn = (s: net.Socket): void => {
    let buf = '';
    s.on('error', () => {});
    const onData = (d: Buffer): void => {
      buf += d.toString('latin1');
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      s.removeListener('data', onData);
      gets.push(buf.slice(0, end));
      if (status === 202) {
        s.write('HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n');
        held.push(s);
      } else s.end(`HTTP/1.1 ${status} No\r\nX-Reason: not today\r\nContent-Length: 0\r\n\r\n`);
    };
    s.on('data', onData);
  };
  const pki = secure ? testPki() : null;
  const srv = pki ? tls.createServer({ cert: pki.pem('server'), key: pki.key('server') }, onConn) : net.createServer(onConn);
  return new Promise((resolve) =>
    srv.listen(0, '127.0.0.1', () =>
      resolve({
        port: (srv.address() as net.AddressInfo).port,
        gets,
        held,
        close() {
          for (const s of held) s.destroy();
          srv.close();
        },
      }),
    ),
  );
}

/** Sends `req` over the broker's connection and collects the answer until `done(text)`. */
function exchange(s: net.Socket, req: string, done: (t: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (d: Buffer): void => {
      text += d.toString('latin1');
      if (done(text)) {
        s.removeListener('data', onData);
        resolve(text);
      }
    };
    s.on('data', onData);
    s.once('error', reject);
    s.write(req);
  });
}

async function withApp(url: string, opts: string, fn: (port: number, log: () => string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'remora-revcon-'));
  writeFileSync(
    join(dir, '.preload'),
    `rc = ba.revcon{url = ${JSON.stringify(url)}${opts}}\nrc:token{["X-Key"] = "abc", ["X-Command"] = "RevCon"}\n`,
  );
  writeFileSync(join(dir, 'hello.lsp'), '<?lsp response:setcontenttype"text/plain" print("hello", request:header"Host", request:data"x") ?>');
  writeFileSync(join(dir, 'status.lsp'), '<?lsp local s, n = app.rc:status() print(s, n) ?>');
  writeFileSync(join(dir, 'close.lsp'), '<?lsp print(app.rc:close(), pcall(app.rc.status, app.rc)) ?>');
  const s = await startTestServer([{ name: '', prio: 0, path: dir }]);
  try {
    await fn(s.port, () => s.log.text());
  } finally {
    s.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the broker sends requests over the accepted connection; the server dials again', async () => {
  const b = await startBroker(202);
  try {
    await withApp(`http://127.0.0.1:${b.port}/rc?id=1`, ', trusted = false', async (port) => {
      await waitFor(() => b.held.length >= 1, 10_000, 'the first GET');
      assert.match(b.gets[0]!, /^GET \/rc\?id=1 HTTP\/1.1\r\nHost: 127.0.0.1:\d+\r\n/);
      assert.match(b.gets[0]!, /\r\nX-Key: abc/);
      assert.match(b.gets[0]!, /\r\nX-Command: RevCon/);
      const c = b.held[0]!;
      const r1 = await exchange(c, 'GET /hello.lsp?x=1 HTTP/1.1\r\nHost: broker\r\n\r\n', (t) => t.endsWith('0\r\n\r\n'));
      assert.match(r1, /^HTTP\/1.1 200 OK\r\n/);
      assert.ok(r1.includes('hello\tbroker\t1'));
      // The first byte made it a server connection: a new GET is waiting at the broker.
      await waitFor(() => b.held.length >= 2, 10_000, 'the second GET');
      const r2 = await exchange(c, 'GET /hello.lsp?x=2 HTTP/1.1\r\nHost: broker\r\n\r\n', (t) => t.endsWith('0\r\n\r\n'));
      assert.ok(r2.includes('hello\tbroker\t2'), 'keep-alive on the reverse connection');
      const st = await request(port, '/status.lsp');
      assert.equal(st.body, '202\t2\n');
      // close(): the held connection is dropped and no new GET comes.
      const held = b.held[1]!;
      const closed = new Promise((r) => held.once('close', r));
      assert.equal((await request(port, '/close.lsp')).body, 'true\tfalse\tClosed\n');
      await closed;
      assert.equal(b.held.length, 2);
    });
  } finally {
    b.close();
  }
});

test('a refusal is reported by status() and traced once', async () => {
  const b = await startBroker(403);
  try {
    await withApp(`http://127.0.0.1:${b.port}/rc`, ', trusted = false', async (port, log) => {
      await waitFor(() => log().includes('RevCon: HTTP Status: 403 not today'), 10_000, 'the trace');
      assert.equal((await request(port, '/status.lsp')).body, '403\t0\n');
    });
  } finally {
    b.close();
  }
});

test('TLS: an untrusted broker is refused unless trusted = false', async () => {
  const b = await startBroker(202, true);
  try {
    await withApp(`https://127.0.0.1:${b.port}/rc`, '', async (port, log) => {
      await waitFor(() => log().includes('RevCon sock error: sslnottrusted'), 10_000, 'the trace');
      assert.equal((await request(port, '/status.lsp')).body, '-396\t0\n');
      assert.equal(b.held.length, 0);
    });
    await withApp(`https://127.0.0.1:${b.port}/rc`, ', trusted = false', async () => {
      await waitFor(() => b.held.length >= 1, 10_000, 'the GET over TLS');
      const r = await exchange(b.held[0]!, 'GET /hello.lsp?x=tls HTTP/1.1\r\nHost: broker\r\nConnection: close\r\n\r\n', (t) => t.includes('0\r\n\r\n'));
      assert.ok(r.includes('hello\tbroker\ttls'));
    });
  } finally {
    b.close();
  }
});
