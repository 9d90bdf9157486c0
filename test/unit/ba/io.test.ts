// The app IO hook, ba.openio"home" with homeio, and the fs-op driver in both modes.
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Runtime } from '../../../src/app/runtime.js';
import { loadApp } from '../../../src/app/app-loader.js';
import { MemoryLog } from '../../../src/sched/trace-log.js';
import { runAsync, runSync, ioErrorOf, IoError } from '../../../src/fs/fs-op.js';
import { LFile, closeFile, openFile, readBytes, readLine, writeData, flushWrites, seek } from '../../../src/fs/buffered-file.js';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'remora-io-unit-'));
}

test('each app gets an io rooted at its directory, confined to it', async () => {
  const root = tmp();
  try {
    const app = join(root, 'app');
    mkdirSync(app);
    writeFileSync(join(root, 'outside.txt'), 'secret');
    writeFileSync(join(app, 'data.txt'), 'inside');
    writeFileSync(
      join(app, '.preload'),
      [
        'print(io:resourcetype())',
        'local f = io:open("data.txt") print(f:read("a")) f:close()',
        'print(io:open("../outside.txt"))',
        'print(io:realpath(""))',
        'local w = io:open("/made.txt", "w") w:write("by app") w:close()',
        'print(rawget(_G, "io") ~= io, type(_G.io.open))',
      ].join('\n'),
    );
    const log = new MemoryLog();
    const rt = await Runtime.create({ log, onExit: () => {} });
    try {
      await loadApp(rt, { name: 'a', prio: 0, path: app }, rt.appHooks);
      assert.equal(
        log.text(),
        ['disk\tPOSIX', 'inside', 'nil\tnoaccess\tName outside of the IO\t../outside.txt', app + '/', 'true\tfunction', ''].join('\n'),
      );
      assert.equal(readFileSync(join(app, 'made.txt'), 'utf8'), 'by app');
    } finally {
      rt.dispose();
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('ba.openio"home" is the working directory, or config homeio', async () => {
  const root = tmp();
  try {
    writeFileSync(join(root, 'h.txt'), 'home file');
    const log = new MemoryLog();
    const rt = await Runtime.create({ log, onExit: () => {}, config: { homeio: root } });
    try {
      await rt.run('local f = ba.openio"home":open("h.txt") print(f:read("a")) f:close()', '=t');
      await rt.run('print(ba.openio"home":realpath("x"))', '=t');
      assert.equal(log.text(), `home file\n${join(root, 'x')}\n`);
    } finally {
      rt.dispose();
    }
    const log2 = new MemoryLog();
    const rt3 = await Runtime.create({ log: log2, onExit: () => {} });
    try {
      await rt3.run('print(ba.openio"home":realpath(""))', '=t');
      assert.equal(log2.text(), process.cwd() + '/\n');
    } finally {
      rt3.dispose();
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a file still open at shutdown gets its buffered data written', async () => {
  const root = tmp();
  try {
    const rt = await Runtime.create({ log: new MemoryLog(), onExit: () => {} });
    await rt.run(`F = ba.openio"disk":open(${JSON.stringify(join(root, 'late.txt'))}, "w") F:write("buffered")`, '=t');
    await rt.shutdown(0);
    assert.equal(readFileSync(join(root, 'late.txt'), 'utf8'), 'buffered');
    rt.dispose();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('fs-op operations give the same results synchronously and asynchronously', async () => {
  const root = tmp();
  try {
    const p = join(root, 'f.txt');
    const content = 'one\ntwo\n' + 'x'.repeat(70_000) + '\nlast';
    writeFileSync(p, content);
    const script = function* () {
      const f = yield* openFile(p, 'r+', false);
      const l1 = yield* readLine(f, false);
      const l2 = yield* readLine(f, true);
      const big = yield* readLine(f, false);
      const last = yield* readLine(f, false);
      const eof = yield* readLine(f, false);
      yield* seek(f, 'set', 0);
      yield* writeData(f, Buffer.from('ONE'));
      yield* flushWrites(f);
      const after = yield* readBytes(f, 4);
      yield* closeFile(f);
      return [l1?.toString(), l2?.toString(), big?.length, last?.toString(), eof, after?.toString(), f.closed];
    };
    const expected = ['one', 'two\n', 70_000, 'last', null, '\ntwo', true];
    assert.deepEqual(runSync(script()), expected);
    writeFileSync(p, content);
    const asyncResult = await new Promise((res, rej) => runAsync(script(), (e, v) => (e ? rej(e) : res(v))));
    assert.deepEqual(asyncResult, expected);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('errors map to BAS codes; non-OS errors are not swallowed', () => {
  const root = tmp();
  try {
    assert.throws(() => runSync(openFile(join(root, 'none'), 'r', false)), (e: unknown) => {
      assert.deepEqual(ioErrorOf(e), { code: 'enoent', message: 'No such file or directory', errno: 2 });
      return true;
    });
    assert.throws(() => runSync(openFile(root, 'r', false)), (e: unknown) => ioErrorOf(e).code === 'noaccess');
    assert.deepEqual(ioErrorOf(new IoError('exist', 'x')), { code: 'exist', message: 'x', errno: 0 });
    assert.throws(() => ioErrorOf(new TypeError('bug')), TypeError);
    const f = new LFile(-1, false);
    assert.equal(f.avail, 0);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
