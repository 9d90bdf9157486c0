/** A Lua VM of the given kind (REMORA_VM set for the creation only), for tests that compare the two. */
import { LuaVM } from '../../src/vm/lua-vm.js';

export async function vmOf(name: 'remora' | 'wasmoon'): Promise<LuaVM> {
  const prev = process.env.REMORA_VM;
  process.env.REMORA_VM = name;
  try {
    return await LuaVM.create();
  } finally {
    if (prev === undefined) delete process.env.REMORA_VM;
    else process.env.REMORA_VM = prev;
  }
}
