// IO methods beyond files on real files and a real HTTP peer: WinZip-AES zip entries
// (setpasswd, encrypted), io:close on a zip IO, io:netconf's credentials on the net IO.
import test from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { binaryPassword } from '../../../src/fs/zip-archive.js';
import { writeZip } from '../../harness/zip-writer.js';
import { runLua } from '../../harness/lua-run.js';


test('AES entries of every strength and method read back once the password is set', async () => {
  const root = mkdtempSync(join(tmpdir(), 'remora-io-methods-'));
  try {
    // Random data larger than many counter blocks, text that deflates well, an empty file.
    const rnd = randomBytes(200_000);
    const text = 'line of text\n'.repeat(10_000);
    const pw = 'pässwörd ' + randomBytes(8).toString('hex');
    writeFileSync(join(root, 'rnd.bin'), rnd);
    writeFileSync(join(root, 'text.txt'), text);
    writeFileSync(
      join(root, 'a.zip'),
      writeZip([
        { name: 'r256', data: rnd, aes: { password: pw } },
        { name: 'r128', data: rnd, method: 0, aes: { password: pw, strength: 1, version: 1 } },
        { name: 't256', data: text, aes: { password: pw, version: 1 } },
        { name: 't128', data: text, aes: { password: pw, strength: 1 } },
        { name: 'empty', data: '', aes: { password: pw } },
        { name: 'clear', data: 'clear\n' },
      ]),
    );
    const P = (p: string): string => JSON.stringify(join(root, p));
    const out = await runLua(`
      local d = ba.openio"disk"
      local z = assert(ba.mkio(d, ${P('a.zip')}))
      local rnd = d:open(${P('rnd.bin')}):read("a")
      local text = d:open(${P('text.txt')}):read("a")
      print(z:encrypted("r256"), z:encrypted("clear"), z:open("r256"))
      print(z:setpasswd(${JSON.stringify(pw)}))
      for _, n in ipairs{"r256", "r128"} do print(n, z:open(n):read("a") == rnd) end
      for _, n in ipairs{"t256", "t128"} do print(n, z:open(n):read("a") == text) end
      print("empty", z:open("empty"):read("a") == "", z:stat("empty").size)
      print("clear", z:open("clear"):read("a"))
      -- Reading in pieces crosses the counter blocks.
      local f, parts = z:open("r128"), {}
      while true do local s = f:read(1000) if not s then break end parts[#parts + 1] = s end
      print("pieces", table.concat(parts) == rnd)
      z:close()
      print("closed", z:open("t256"):read("a"), z:loadfile("t256"))
    `);
    assert.equal(
      out,
      [
        'true\tfalse\tnil\tnopassword\tnil\tr256',
        'true',
        'r256\ttrue',
        'r128\ttrue',
        't256\ttrue',
        't128\ttrue',
        'empty\ttrue\t0',
        'clear\tclear',
        '',
        'pieces\ttrue',
        'closed\t\tnil\tcannot read t256: ioerror ',
        '',
      ].join('\n'),
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a binary password is used in BAS text form; required refuses plain entries', async () => {
  const root = mkdtempSync(join(tmpdir(), 'remora-io-methods-'));
  try {
    const bin = Buffer.from([...Array(64).keys()].map((i) => (i * 37 + 11) & 0xff));
    writeFileSync(
      join(root, 'b.zip'),
      writeZip([
        { name: 'b', data: 'binary\n', aes: { password: binaryPassword(bin) } },
        { name: 'plain', data: 'plain\n' },
      ]),
    );
    const luaBin = `string.char(${[...bin].join(',')})`;
    const out = await runLua(`
      local z = ba.mkio(ba.openio"disk", ${JSON.stringify(join(root, 'b.zip'))})
      print(z:setpasswd(${luaBin}))
      print(z:open("b"))
      print(z:setpasswd(${luaBin}, true, true))
      print(z:open("b"):read("a"))
      print(z:open("plain"))
      print(z:setpasswd(${luaBin}, true))
      print(z:open("plain"):read("a"))
    `);
    assert.equal(
      out,
      ['true', 'nil\twrongpassword\tnil\tb', 'true', 'binary', '', 'nil\taescompromised\tnil\tplain', 'true', 'plain', '', ''].join('\n'),
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('io:netconf user and pass reach a real HTTP peer as basic authentication', async () => {
  const seen: (string | undefined)[] = [];
  const server = http.createServer((req, res) => {
    seen.push(req.headers.authorization);
    res.writeHead(200, { 'content-length': '4' });
    res.end(req.method === 'HEAD' ? undefined : 'body');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/f.txt`;
  try {
    const out = await runLua(`
      local net = ba.openio"net"
      print(net:open(${JSON.stringify(url)}):read("a"))
      print(net:netconf({user = "alice", pass = "s3cret:x", proxyport = 1}))
      print(net:open(${JSON.stringify(url)}):read("a"))
      print(net:stat(${JSON.stringify(url)}).size)
      print(net:netconf({user = "bob"}))
      print(net:loadfile(${JSON.stringify(url)}) == nil)
      local home = ba.openio"home"
      print(pcall(home.netconf, home, {user = "x"}))
    `);
    assert.equal(out, ['body', 'true', 'body', '4', 'true', 'true', 'false\tNot a NetIo object', ''].join('\n'));
    const basic = (s: string): string => 'Basic ' + Buffer.from(s).toString('base64');
    assert.deepEqual(seen, [undefined, basic('alice:s3cret:x'), basic('alice:s3cret:x'), basic('bob:')]);
  } finally {
    server.close();
  }
});
