// Issue 14 item 6: a WASM trap (here: malformed bytecode, loaded with binarychunks = true,
// whose first instruction jumps 2^24 instructions back and reads outside the WASM memory) is
// contained in a page, a timer, a cosocket and a thread job: the coroutine fails with a
// traced error, its slot is released, and the server goes on serving.
import test from 'node:test';
import assert from 'node:assert/strict';
import { get, startServer, until, whileProbing } from './harness.js';
import { chosenVm } from '../../src/vm/vm-module.js';

const ownVm = process.env.REMORA_VM !== 'wasmoon' && chosenVm() === 'remora';

const TRAP = `local function trap()
  local bc = string.dump(function() return end, true)
  local i = bc:find("\\x47\\x00\\x01\\x00", 20, true)
  local f = assert(load(bc:sub(1, i - 1) .. "\\x38\\0\\0\\0" .. bc:sub(i + 4), "bad", "b"))
  f()
end`;

const PAGE = `<?lsp ${TRAP}
local where = request:data("in")
if where == "page" then trap() end
if where == "timer" then ba.timer(function() trap() end):set(10, true) end
if where == "cosocket" then ba.socket.event(function() trap() end) end
if where == "job" then
  local th = ba.thread.create()
  th:run(function() trap() end)
  th:run(function() trace("job after trap ran") end)
end
?>ok`;

test('a WASM trap in a page, a timer, a cosocket and a job fails only that coroutine; the server keeps serving', { skip: !ownVm && "wasmoon's VM fails its self-check after a trap (next test)" }, async () => {
  const srv = await startServer({ 'trap.lsp': PAGE }, 'binarychunks = true\nconncnt = 4');
  try {
    await whileProbing(srv.port, async () => {
      // More page traps than page slots: each releases its slot.
      for (let i = 0; i < 8; i++) assert.equal((await get(srv.port, '/trap.lsp?in=page')).status, 500, srv.out());
      for (const where of ['timer', 'cosocket', 'job']) {
        assert.equal((await get(srv.port, `/trap.lsp?in=${where}`)).status, 200);
      }
      assert.ok(await until(() => (srv.out().match(/WASM trap in the Lua VM/g) ?? []).length >= 11, 10_000), srv.out());
      assert.ok(await until(() => /job after trap ran/.test(srv.out()), 10_000), srv.out());
      assert.equal((await get(srv.port, '/trap.lsp?in=none')).body, 'ok');
    });
    assert.doesNotMatch(srv.out(), /self-check/);
    assert.equal(srv.child.exitCode, null);
  } finally {
    await srv.stop();
  }
});

test("on wasmoon's VM a trap fails the page, the self-check fails and the server shuts down gracefully, saying why", { skip: ownVm && 'runs on wasmoon only' }, async () => {
  const srv = await startServer({ 'trap.lsp': PAGE }, 'binarychunks = true');
  try {
    await get(srv.port, '/trap.lsp?in=page');
    await srv.exited;
    assert.match(srv.out(), /Lua error in LSP: WASM trap in the Lua VM: /);
    assert.match(srv.out(), /the Lua VM failed its self-check after a WASM trap \(.*\): shutting down/);
  } finally {
    await srv.stop();
  }
});
