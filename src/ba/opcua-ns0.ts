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
 *   - the same node table also carries the shape of the stack's version 0.12 (BAS-Resources
 *     2026; its `model/address_space.lua` reads these): `Attrs` (the attributes again, with the
 *     definition as attribute 23 DataTypeDefinition, an enumeration field's DataType "i=24"),
 *     `Refs` (the same table as `refs`) and, on DataTypes and their encoding nodes, `BaseId`,
 *     `BinaryId`, `JsonId`, `DataTypeId` (what the stack's `fillExtensionObjects` computes);
 *   - `ns0[id] = node` stores a node (the 0.12 stack's `editor:save()` moves the nodes an
 *     app adds into the module); later reads and `pairs` return it;
 *   - `pairs(ns0)` walks every node ordered by node id (byte order), yielding id, node, then
 *     the stored nodes with new ids in the order they were stored.
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
import { pushRecord, type RecordPusher, type RecordValue } from '../vm/lua-values.js';

const UPVALUE_1 = LUA_REGISTRYINDEX - 1;

/** Where the build puts the generated nodes (beside this module). */
export const NS0_DATA_FILE = fileURLToPath(new URL('./opcua-ns0.json', import.meta.url));

/**
 * Inverse references of these types are left out of `Refs` (the 0.12 stack's view; `refs`
 * keeps them): HasTypeDefinition and HasModellingRule. With the full namespace they make
 * PropertyType, BaseDataVariableType, "Default Binary" and the modelling rules hubs of over
 * 2,000 references each, and the 0.12 stack copies a node's references on every lookup:
 * its model check (`validate`, run by `loadXmlModels`) would copy 12.7 million reference
 * tables instead of 0.3 million. Only an inverse browse from such a type node sees fewer
 * references (Mako's 498-node selection lacks most of them too).
 */
const HUB_REF_TYPES = new Set(['i=40', 'i=37']);
function isHubRef(refs: Array<string | number>, i: number): boolean {
  return refs[i + 2] === 0 && HUB_REF_TYPES.has(refs[i + 1] as string);
}

/** Attribute 23, where the 0.12 stack keeps a DataType's fields. */
const ATTR_DATATYPE_DEFINITION = 23;

/** Attribute ids whose value Mako pushes as a Lua float. */
const FLOAT_ATTRS = new Set<number>([Attr.MinimumSamplingInterval]);
/** Variant types whose values Mako pushes as Lua floats (Float, Double, DateTime). */
const FLOAT_TYPES = new Set([10, 11, 13]);

/** The 0.12 stack's encoding ids of a DataType or of one of its encoding nodes. */
interface EncodingIds {
  BaseId?: string;
  BinaryId?: string;
  JsonId?: string;
  DataTypeId?: string;
}

interface Loaded {
  nodes: StoredNode[];
  index: Map<string, number>;
  encoding: Map<number, EncodingIds>;
}

/** The types the 0.12 stack encodes directly (its model/import.lua `encodeTypes`): the built-in
 * types i=1..i=25 without BaseDataType (24), plus Structure (22) and Enumeration (29). */
const ENCODE_TYPES = new Set(['i=1', 'i=2', 'i=3', 'i=4', 'i=5', 'i=6', 'i=7', 'i=8', 'i=9', 'i=10', 'i=11', 'i=12', 'i=13',
  'i=14', 'i=15', 'i=16', 'i=17', 'i=18', 'i=19', 'i=20', 'i=21', 'i=22', 'i=23', 'i=25', 'i=29']);
const HAS_SUBTYPE = 'i=45';
const HAS_ENCODING = 'i=38';
const DATATYPE_CLASS = 64;

/** The stored value of attribute `id` in a stored node's flat [id, value, ...] list. */
function storedAttr(n: StoredNode, id: number): unknown {
  const attrs = n[1];
  for (let i = 0; i < attrs.length; i += 2) if (attrs[i] === id) return attrs[i + 1];
  return undefined;
}

/**
 * BaseId, BinaryId, JsonId, DataTypeId as the 0.12 stack's `Model:fillExtensionObjects` sets
 * them: a DataType's BaseId is the first of its supertypes (itself included) that the stack
 * encodes directly, or the root of its hierarchy; its "Default Binary" / "Default JSON"
 * encoding nodes get the DataType's BaseId and DataTypeId and their own id.
 */
export function encodingIds(nodes: StoredNode[], index: Map<string, number>): Map<number, EncodingIds> {
  const out = new Map<number, EncodingIds>();
  const get = (i: number): EncodingIds => {
    let e = out.get(i);
    if (!e) out.set(i, (e = {}));
    return e;
  };
  const supertype = (n: StoredNode): string | undefined => {
    const refs = n[2];
    for (let r = 0; r < refs.length; r += 3) if (refs[r + 1] === HAS_SUBTYPE && refs[r + 2] === 0) return refs[r] as string;
    return undefined;
  };
  const baseOf = (id: string): string => {
    for (let cur: string | undefined = id, guard = 0; cur && guard < 64; guard++) {
      if (ENCODE_TYPES.has(cur)) return cur;
      const i = index.get(cur);
      const parent = i === undefined ? undefined : supertype(nodes[i]!);
      if (!parent) return cur;
      cur = parent;
    }
    return id;
  };
  nodes.forEach((n, i) => {
    if (storedAttr(n, Attr.NodeClass) !== DATATYPE_CLASS) return;
    const id = n[0];
    const base = baseOf(id);
    get(i).BaseId = base;
    const refs = n[2];
    for (let r = 0; r < refs.length; r += 3) {
      if (refs[r + 1] !== HAS_ENCODING || refs[r + 2] !== 1) continue;
      const target = refs[r] as string;
      const ti = index.get(target);
      if (ti === undefined) continue;
      const name = storedAttr(nodes[ti]!, Attr.BrowseName);
      const key = name === 'Default Binary' ? 'BinaryId' : name === 'Default JSON' ? 'JsonId' : undefined;
      if (!key) continue;
      const e = get(i);
      e[key] = target;
      e.DataTypeId = id;
      const te = get(ti);
      te[key] = target;
      te.BaseId = base;
      te.DataTypeId = id;
    }
  });
  return out;
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
    data = { nodes: stored.nodes, index, encoding: encodingIds(stored.nodes, index) };
    return data;
  };

  const pushQualifiedName = (L: LState, name: unknown): void => pushRecord(vm, L, { ns: 0, Name: String(name) });
  const pushText = (L: LState, text: unknown): void => pushRecord(vm, L, { Text: String(text) });
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
    // Each scalar as its type says (a Double stays a float, a LocalizedText is a table).
    const scalar = (v: unknown): RecordPusher => (L) => pushScalar(L, type, v);
    pushRecord(vm, L, {
      Type: type,
      Value: isArray ? (value as unknown[]).map(scalar) : scalar(value),
      IsArray: isArray === 1,
      StatusCode: 0,
    });
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
  /** The definition as a list of {Name, DataType, ValueRank, Value}; `enumType` is what an
   * enumeration field's missing DataType becomes. */
  const pushDefinition = (L: LState, def: Array<string | number | null>, enumType: string): void => {
    const fields: RecordValue[] = [];
    for (let i = 0; i < def.length; i += 4) {
      fields.push({ Name: def[i] as string, DataType: (def[i + 1] as string | null) ?? enumType, ValueRank: def[i + 2] as number, Value: def[i + 3] as number });
    }
    pushRecord(vm, L, fields);
  };
  const pushNode = (L: LState, n: StoredNode, enc: EncodingIds | undefined): void => {
    const [, attrs, refs, def] = n;
    vm.checkStack(L, 8);
    vm.newTable(L, 0, 5);
    vm.newTable(L, 0, attrs.length / 2);
    for (let i = 0; i < attrs.length; i += 2) {
      const id = attrs[i] as number;
      pushAttr(L, id, attrs[i + 1]);
      vm.rawSetI(L, -2, id);
    }
    vm.setField(L, -2, 'attrs');
    const refRecords: RecordValue[] = [];
    let hubRefs = 0;
    for (let i = 0; i < refs.length; i += 3) {
      refRecords.push({ target: refs[i] as string, type: refs[i + 1] as string, isForward: refs[i + 2] === 1 });
      if (isHubRef(refs, i)) hubRefs++;
    }
    pushRecord(vm, L, refRecords);
    if (hubRefs === 0) {
      vm.pushValue(L, -1);
      vm.setField(L, -3, 'refs');
      vm.setField(L, -2, 'Refs'); // the same table
    } else {
      vm.setField(L, -2, 'refs');
      // Refs (the 0.12 stack's) without the inverse HasTypeDefinition / HasModellingRule
      // references that make type nodes hubs: see HUB_REF_TYPES.
      vm.newTable(L, refs.length / 3 - hubRefs, 0);
      vm.getField(L, -2, 'refs');
      for (let i = 0, k = 1, j = 1; i < refs.length; i += 3, k++) {
        if (isHubRef(refs, i)) continue;
        vm.rawGetI(L, -1, k);
        vm.rawSetI(L, -3, j++);
      }
      vm.pop(L, 1);
      vm.setField(L, -2, 'Refs');
    }
    if (def) {
      pushDefinition(L, def, '(null)');
      vm.setField(L, -2, 'definition');
    }
    // The 0.12 stack's shape: its own attribute tables (it reads attribute 23 from them).
    vm.newTable(L, 0, attrs.length / 2 + 1);
    for (let i = 0; i < attrs.length; i += 2) {
      const id = attrs[i] as number;
      pushAttr(L, id, attrs[i + 1]);
      vm.rawSetI(L, -2, id);
    }
    if (def) {
      pushDefinition(L, def, 'i=24');
      vm.rawSetI(L, -2, ATTR_DATATYPE_DEFINITION);
    }
    vm.setField(L, -2, 'Attrs');
    if (enc) {
      for (const k of ['BaseId', 'BinaryId', 'JsonId', 'DataTypeId'] as const) {
        const v = enc[k];
        if (v === undefined) continue;
        vm.pushString(L, v);
        vm.setField(L, -2, k);
      }
    }
  };

  // Each node's tables are built on first access and kept (registry table, by node index):
  // the stack's start-up checks every reference's target, and the full namespace has nodes
  // with over 2,000 references (PropertyType, ModellingRule Mandatory), so building new
  // tables per access, as Mako does for its 498 nodes, would build millions of tables.
  // Nodes an app stores under new ids (`ns0[id] = node`) take the slots after the standard
  // ones, in the order they were first stored.
  let cacheRef = 0;
  const added: string[] = [];
  const addedIndex = new Map<string, number>();
  const pushCache = (L: LState, d: Loaded): void => {
    if (!cacheRef) {
      vm.newTable(L, d.nodes.length, 0);
      cacheRef = vm.ref(L);
    }
    vm.pushRef(L, cacheRef);
  };
  /** Pushes slot i's node (a standard node is built on first access; a stored one may be nil). */
  const pushCached = (L: LState, i: number, d: Loaded): void => {
    pushCache(L, d);
    if (vm.rawGetI(L, -1, i + 1) === T_NIL && i < d.nodes.length) {
      vm.pop(L, 1);
      pushNode(L, d.nodes[i]!, d.encoding.get(i));
      vm.pushValue(L, -1);
      vm.rawSetI(L, -3, i + 1);
    }
    vm.remove(L, -2);
  };
  const slotOf = (d: Loaded, id: string): number | undefined => {
    const i = d.index.get(id);
    if (i !== undefined) return i;
    const k = addedIndex.get(id);
    return k === undefined ? undefined : d.nodes.length + k;
  };

  const check = (L: LState, fname: string): void => {
    if (!taggedBlock(vm, L, 1, HandleTag.opcuaNodes)) args.typeError(L, 1, fname, 'opcua.nodes');
  };

  // The iterator pairs() returns: a closure whose upvalue {pos} counts the slots walked.
  const iterFp = vm.hostFunction('for iterator', (L) => {
    const d = load();
    vm.rawGetI(L, UPVALUE_1, 1);
    let pos = vm.toInteger(L, -1) ?? 0;
    vm.pop(L, 1);
    for (; pos < d.nodes.length + added.length; pos++) {
      pushCached(L, pos, d);
      if (vm.type(L, -1) === T_NIL) {
        vm.pop(L, 1); // a stored node set to nil again
        continue;
      }
      vm.pushInteger(L, pos + 1);
      vm.rawSetI(L, UPVALUE_1, 1);
      vm.pushString(L, pos < d.nodes.length ? d.nodes[pos]![0] : added[pos - d.nodes.length]!);
      vm.pushValue(L, -2);
      vm.remove(L, -3); // id, node
      return 2;
    }
    return 0;
  });

  vm.newMetatable(L0, 'opcua.nodes');
  vm.setHost(L0, -1, '__index', (L) => {
    check(L, '__index');
    const t = vm.type(L, 2);
    if (t !== T_STRING && t !== T_NUMBER) args.typeError(L, 2, '__index', 'string');
    const d = load();
    const i = slotOf(d, vm.toStr(L, 2) ?? '');
    if (i === undefined) return 0;
    pushCached(L, i, d);
    return 1;
  });
  vm.setHost(L0, -1, '__newindex', (L) => {
    check(L, '__newindex');
    if (vm.type(L, 2) !== T_STRING) args.typeError(L, 2, '__newindex', 'string');
    const d = load();
    const id = vm.toStr(L, 2) ?? '';
    let i = slotOf(d, id);
    if (i === undefined) {
      if (vm.type(L, 3) === T_NIL) return 0;
      addedIndex.set(id, added.length);
      added.push(id);
      i = d.nodes.length + added.length - 1;
    }
    // Storing nil under a standard id brings back the standard node on the next read.
    pushCache(L, d);
    vm.pushValue(L, 3);
    vm.rawSetI(L, -2, i + 1);
    vm.pop(L, 1);
    return 0;
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
