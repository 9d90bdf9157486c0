// ba.pipe with real processes on the other end of the FIFOs: Node writes into a FIFO that a
// Lua cosocket (ba.pipe.open with a function) reads; a page writes into a FIFO (write-only
// ba.pipe.open) that Node reads; opening a FIFO for writing with no reader fails at once.
import test from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { constants, createWriteStream, mkdirSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request, startTestServer, waitFor } from '../harness/app-server.js';

test('a Lua cosocket reads what a Node writer sends; a page writes to a Node reader', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'remora-pipe-'));
  const app = join(dir, 'app');
  const fin = join(dir, 'in');
  const fout = join(dir, 'out');
  mkdirSync(app);
  writeFileSync(
    join(app, '.preload'),
    [
      `assert(ba.pipe.mkfifo(${JSON.stringify(fin)}))`,
      `assert(ba.pipe.mkfifo(${JSON.stringify(fout)}, tonumber("600", 8)))`,
      `got = {}`,
      `reader = ba.pipe.open(${JSON.stringify(fin)}, function(s, tag)`,
      `  while true do`,
      `    local d, e = s:read()`,
      `    if not d then break end`,
      `    got[#got + 1] = d`,
      `    if table.concat(got):find("end\\n", 1, true) then trace(tag .. " " .. #table.concat(got)) break end`,
      `  end`,
      `end, "reader")`,
    ].join('\n'),
  );
  writeFileSync(
    join(app, 'write.lsp'),
    `<?lsp local w, e = ba.pipe.open(${JSON.stringify(fout)}) if not w then print("open", e) return end ` +
      `for i = 1, 100 do w:write(("line %d\\n"):format(i)) end w:write("end\\n") w:close() print("written") ?>`,
  );
  writeFileSync(join(app, 'got.lsp'), `<?lsp print(#table.concat(app.got)) ?>`);
  const s = await startTestServer([{ name: '', prio: 0, path: app }]);
  try {
    assert.ok(statSync(fin).isFIFO());
    assert.equal(statSync(fout).mode & 0o777, 0o600);
    // No reader on "out" yet: a write-only open fails at once.
    assert.equal((await request(s.port, '/write.lsp')).body, 'open\tNo such device or address\n');
    // Node -> Lua: 64 KiB and a marker, in pieces.
    const w = createWriteStream(fin);
    const big = 'x'.repeat(65536) + 'end\n';
    for (let i = 0; i < big.length; i += 4096) w.write(big.slice(i, i + 4096));
    await waitFor(() => s.log.text().includes(`reader ${big.length}`), 10_000, 'the reader cosocket');
    assert.equal((await request(s.port, '/got.lsp')).body, `${big.length}\n`);
    w.destroy();
    // Lua -> Node.
    // The Node reader opens read-write (so it sees no end of file while no writer is there).
    const chunks: Buffer[] = [];
    const r = new net.Socket({ fd: openSync(fout, constants.O_RDWR | constants.O_NONBLOCK), readable: true, writable: false });
    r.on('data', (c: Buffer) => chunks.push(c));
    assert.equal((await request(s.port, '/write.lsp')).body, 'written\n');
    await waitFor(() => Buffer.concat(chunks).toString().endsWith('end\n'), 10_000, 'the text in the FIFO');
    r.destroy();
    const text = Buffer.concat(chunks).toString();
    assert.ok(text.startsWith('line 1\nline 2\n'));
    assert.ok(text.endsWith('line 100\nend\n'));
  } finally {
    s.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
