/**
 * The module `opcua_ns0`: OPC UA's standard namespace 0 for RealTimeLogic's Lua OPC UA stack,
 * which the Mako Server compiles in (its `model/address_space.lua` does `require"opcua_ns0"`).
 *
 * As in Mako, `package.loaded.opcua_ns0` is a userdata of type "opcua.nodes":
 *   - `ns0["i=84"]` returns the node's table (built on first access and kept; Mako builds
 *     new tables on every access, see pushCached),
 *     `{attrs = {[1]="i=84", [2]=1, [3]={ns=0, Name="Root"}, [4]={Text="Root"}, ...},
 *       refs = {{target="i=61", type="i=40", isForward=true}, ...},
 *       definition = {{Name=, DataType=, ValueRank=, Value=}, ...}}` (definition: DataTypes
 *     with fields only; an enumeration field's DataType is "(null)" as Mako prints it), or
 *     nothing for an unknown id;
 *   - `pairs(ns0)` walks every node ordered by node id (byte order), yielding id, node.
 * The node data is generated at build time from the OPC Foundation's Opc.Ua.NodeSet2.xml
 * (`opcua-nodeset.ts`, scripts/gen-opcua-ns0.mjs) and read from disk on first use.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LuaRaise } from '../vm/lua-error.js';
import { LUA_REGISTRYINDEX, T_NIL, T_NUMBER, T_STRING, type LState } from '../vm/lua-vm.js';
import { HandleTag, newTaggedBlock, taggedBlock } from '../vm/handles.js';
import type { BaContext } from './context.js';
import { Attr, type StoredNode, type StoredNs0 } from './opcua-nodeset.js';

const UPVALUE_1 = LUA_REGISTRYINDEX - 1;

/** Where the build puts the generated nodes (beside this module). */
export const NS0_DATA_FILE = fileURLToPath(new URL('./opcua-ns0.json', import.meta.url));

/** Attribute ids whose value Mako pushes as a Lua float. */
const FLOAT_ATTRS = new Set<number>([Attr.MinimumSamplingInterval]);
/** Variant types whose values Mako pushes as Lua floats (Float, Double, DateTime). */
const FLOAT_TYPES = new Set([10, 11, 13]);

interface Loaded {
  nodes: StoredNode[];
  index: Map<string, number>;
}

export function installOpcuaNs0(ctx: BaContext, dataFile = NS0_DATA_FILE): void {
  const { vm, args } = ctx;
  const L0 = vm.L;
  let data: Loaded | null = null;

  const load = (): Loaded => {
    if (data) return data;
    let stored: StoredNs0;
    try {
      stored = JSON.parse(readFileSync(dataFile, 'utf8')) as StoredNs0;
    } catch (e) {
      throw new LuaRaise(`opcua_ns0: cannot read the generated nodeset ${dataFile} (${(e as Error).message}); run the build`, 1);
    }
    const index = new Map<string, number>();
    stored.nodes.forEach((n, i) => index.set(n[0], i));
    data = { nodes: stored.nodes, index };
    return data;
  };

  const pushQualifiedName = (L: LState, name: unknown): void => {
    vm.newTable(L, 0, 2);
    vm.pushInteger(L, 0);
    vm.setField(L, -2, 'ns');
    vm.pushString(L, String(name));
    vm.setField(L, -2, 'Name');
  };
  const pushText = (L: LState, text: unknown): void => {
    vm.newTable(L, 0, 1);
    vm.pushString(L, String(text));
    vm.setField(L, -2, 'Text');
  };
  const pushScalar = (L: LState, type: number, v: unknown): void => {
    if (type === 21) pushText(L, v);
    else if (type === 20) pushQualifiedName(L, v);
    else if (type === 15) vm.pushBytes(L, Buffer.from(String(v), 'base64'));
    else if (typeof v === 'boolean') vm.pushBoolean(L, v);
    else if (typeof v === 'number') {
      if (FLOAT_TYPES.has(type) || !Number.isInteger(v)) vm.pushNumber(L, v);
      else vm.pushInteger(L, v);
    } else if (typeof v === 'string') vm.pushString(L, v);
    else vm.pushNil(L);
  };
  /** A Value attribute as Mako's DataValue: {Type, Value, IsArray, StatusCode = 0}. */
  const pushDataValue = (L: LState, stored: unknown): void => {
    const [type, isArray, value] = stored as [number, number, unknown];
    vm.newTable(L, 0, 4);
    vm.pushInteger(L, type);
    vm.setField(L, -2, 'Type');
    if (isArray) {
      const arr = value as unknown[];
      vm.newTable(L, arr.length, 0);
      arr.forEach((v, i) => {
        pushScalar(L, type, v);
        vm.rawSetI(L, -2, i + 1);
      });
    } else pushScalar(L, type, value);
    vm.setField(L, -2, 'Value');
    vm.pushBoolean(L, isArray === 1);
    vm.setField(L, -2, 'IsArray');
    vm.pushInteger(L, 0);
    vm.setField(L, -2, 'StatusCode');
  };
  const pushAttr = (L: LState, id: number, v: unknown): void => {
    switch (id) {
      case Attr.BrowseName:
        pushQualifiedName(L, v);
        break;
      case Attr.DisplayName:
      case Attr.Description:
      case Attr.InverseName:
        pushText(L, v);
        break;
      case Attr.Value:
        pushDataValue(L, v);
        break;
      default:
        if (typeof v === 'boolean') vm.pushBoolean(L, v);
        else if (typeof v === 'number') {
          if (FLOAT_ATTRS.has(id)) vm.pushNumber(L, v);
          else vm.pushInteger(L, v);
        } else vm.pushString(L, String(v));
    }
  };
  const pushNode = (L: LState, n: StoredNode): void => {
    const [, attrs, refs, def] = n;
    vm.checkStack(L, 8);
    vm.newTable(L, 0, 3);
    vm.newTable(L, 0, attrs.length / 2);
    for (let i = 0; i < attrs.length; i += 2) {
      const id = attrs[i] as number;
      pushAttr(L, id, attrs[i + 1]);
      vm.rawSetI(L, -2, id);
    }
    vm.setField(L, -2, 'attrs');
    vm.newTable(L, refs.length / 3, 0);
    for (let i = 0, k = 1; i < refs.length; i += 3, k++) {
      vm.newTable(L, 0, 3);
      vm.pushString(L, refs[i] as string);
      vm.setField(L, -2, 'target');
      vm.pushString(L, refs[i + 1] as string);
      vm.setField(L, -2, 'type');
      vm.pushBoolean(L, refs[i + 2] === 1);
      vm.setField(L, -2, 'isForward');
      vm.rawSetI(L, -2, k);
    }
    vm.setField(L, -2, 'refs');
    if (def) {
      vm.newTable(L, def.length / 4, 0);
      for (let i = 0, k = 1; i < def.length; i += 4, k++) {
        vm.newTable(L, 0, 4);
        vm.pushString(L, def[i] as string);
        vm.setField(L, -2, 'Name');
        vm.pushString(L, (def[i + 1] as string | null) ?? '(null)');
        vm.setField(L, -2, 'DataType');
        vm.pushInteger(L, def[i + 2] as number);
        vm.setField(L, -2, 'ValueRank');
        vm.pushInteger(L, def[i + 3] as number);
        vm.setField(L, -2, 'Value');
        vm.rawSetI(L, -2, k);
      }
      vm.setField(L, -2, 'definition');
    }
  };

  // Each node's tables are built on first access and kept (registry table, by node index):
  // the stack's start-up checks every reference's target, and the full namespace has nodes
  // with over 2,000 references (PropertyType, ModellingRule Mandatory), so building new
  // tables per access, as Mako does for its 498 nodes, would build millions of tables.
  let cacheRef = 0;
  const pushCached = (L: LState, i: number, d: Loaded): void => {
    if (!cacheRef) {
      vm.newTable(L, d.nodes.length, 0);
      cacheRef = vm.ref(L);
    }
    vm.pushRef(L, cacheRef);
    if (vm.rawGetI(L, -1, i + 1) === T_NIL) {
      vm.pop(L, 1);
      pushNode(L, d.nodes[i]!);
      vm.pushValue(L, -1);
      vm.rawSetI(L, -3, i + 1);
    }
    vm.remove(L, -2);
  };

  const check = (L: LState, fname: string): void => {
    if (!taggedBlock(vm, L, 1, HandleTag.opcuaNodes)) args.typeError(L, 1, fname, 'opcua.nodes');
  };

  // The iterator pairs() returns: a closure whose upvalue {pos} counts the nodes handed out.
  const iterFp = vm.hostFunction('for iterator', (L) => {
    const d = load();
    vm.rawGetI(L, UPVALUE_1, 1);
    const pos = vm.toInteger(L, -1) ?? 0;
    vm.pop(L, 1);
    const n = d.nodes[pos];
    if (!n) return 0;
    vm.pushInteger(L, pos + 1);
    vm.rawSetI(L, UPVALUE_1, 1);
    vm.pushString(L, n[0]);
    pushCached(L, pos, d);
    return 2;
  });

  vm.newMetatable(L0, 'opcua.nodes');
  vm.setHost(L0, -1, '__index', (L) => {
    check(L, '__index');
    const t = vm.type(L, 2);
    if (t !== T_STRING && t !== T_NUMBER) args.typeError(L, 2, '__index', 'string');
    const d = load();
    const i = d.index.get(vm.toStr(L, 2) ?? '');
    if (i === undefined) return 0;
    pushCached(L, i, d);
    return 1;
  });
  vm.setHost(L0, -1, '__pairs', (L) => {
    check(L, 'pairs');
    vm.newTable(L, 1, 0);
    vm.pushInteger(L, 0);
    vm.rawSetI(L, -2, 1);
    vm.pushFunction(L, iterFp, 1);
    return 1;
  });
  const mtRef = vm.ref(L0);

  // package.loaded.opcua_ns0, present from the start as in Mako.
  vm.getGlobal(L0, 'package');
  vm.getField(L0, -1, 'loaded');
  newTaggedBlock(vm, L0, HandleTag.opcuaNodes, 4, mtRef);
  vm.setField(L0, -2, 'opcua_ns0');
  vm.pop(L0, 2);
}
