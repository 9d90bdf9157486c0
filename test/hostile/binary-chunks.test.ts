// Issue 14 item 6: precompiled (binary) chunks are refused unless the configuration allows
// them (binarychunks = true): malformed bytecode could otherwise trap or corrupt the VM.
import test from 'node:test';
import assert from 'node:assert/strict';
import { get, startServer, whileProbing } from './harness.js';

const PAGE = `<?lsp
local bc = string.dump(function(a) return a + 1 end)
local f, err = load(bc)
local g, err2 = load(bc, "x", "b")
-- Malformed bytecode: a valid header with garbage after it.
local h, err3 = load(bc:sub(1, 40) .. string.rep("\\255", 200), "y", "bt")
response:write(tostring(f and f(1)), "|", tostring(err), "|", tostring(g and g(2)), "|", tostring(err2), "|", tostring(err3))
?>`;

test('binary chunks: refused by default in load (any mode); allowed with binarychunks = true', async () => {
  const srv = await startServer({ 'bc.lsp': PAGE });
  try {
    await whileProbing(srv.port, async () => {
      const r = await get(srv.port, '/bc.lsp');
      assert.equal(r.status, 200);
      assert.equal(
        r.body,
        "nil|attempt to load a binary chunk (mode is 't')|nil|attempt to load a binary chunk (mode is 't')|attempt to load a binary chunk (mode is 't')",
      );
    });
  } finally {
    await srv.stop();
  }
  const open = await startServer({ 'bc.lsp': PAGE }, 'binarychunks = true');
  try {
    const r = await get(open.port, '/bc.lsp');
    assert.match(r.body, /^2\|nil\|3\|nil\|/);
  } finally {
    await open.stop();
  }
});
