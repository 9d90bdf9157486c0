/**
 * OPC UA namespace 0 from the OPC Foundation's `Opc.Ua.NodeSet2.xml`, in the shape the
 * Mako Server's built-in module `opcua_ns0` hands to RealTimeLogic's Lua OPC UA stack.
 *
 * Mako's module is a C table generated from the nodeset by the stack's own XML loader: each
 * node is `{ attrs = {[attributeId] = value}, refs = {{target, type, isForward}},
 * definition = {{Name, DataType, ValueRank, Value}} }`. This file reads the XML the same way
 * (which XML elements and attributes count, the defaults, forward and inverse references in
 * document order, DataType fields inherited from the supertypes) and returns plain data;
 * `opcua-ns0.ts` turns it into Lua tables. Run at build time (scripts/gen-opcua-ns0.mjs):
 * the result is stored as compact JSON (`encodeNs0`) beside the compiled module.
 */

/** OPC UA attribute ids (Part 6). */
export const Attr = {
  NodeId: 1,
  NodeClass: 2,
  BrowseName: 3,
  DisplayName: 4,
  Description: 5,
  IsAbstract: 8,
  Symmetric: 9,
  InverseName: 10,
  EventNotifier: 12,
  Value: 13,
  DataType: 14,
  ValueRank: 15,
  AccessLevel: 17,
  UserAccessLevel: 18,
  MinimumSamplingInterval: 19,
  Historizing: 20,
  Executable: 21,
  UserExecutable: 22,
} as const;

/** Node classes (Part 3) by the nodeset element that declares them. */
const NODE_CLASS: Record<string, number> = {
  UAObject: 1,
  UAVariable: 2,
  UAMethod: 4,
  UAObjectType: 8,
  UAVariableType: 16,
  UAReferenceType: 32,
  UADataType: 64,
};

/** Built-in type ids of variant values (Part 6), by the XML element that carries them. */
export const VariantType: Record<string, number> = {
  Boolean: 1,
  SByte: 2,
  Byte: 3,
  Int16: 4,
  UInt16: 5,
  Int32: 6,
  UInt32: 7,
  Int64: 8,
  UInt64: 9,
  Float: 10,
  Double: 11,
  String: 12,
  DateTime: 13,
  Guid: 14,
  ByteString: 15,
  NodeId: 17,
  QualifiedName: 20,
  LocalizedText: 21,
};

/** Names the nodeset may use without declaring them as aliases (the stack's defaults). */
const DEFAULT_ALIASES: Record<string, string> = {
  HasComponent: 'i=47', HasProperty: 'i=46', Organizes: 'i=35', HasEventSource: 'i=36',
  HasNotifier: 'i=48', HasSubtype: 'i=45', HasTypeDefinition: 'i=40', HasModellingRule: 'i=37',
  HasEncoding: 'i=38', HasDescription: 'i=39', HasCause: 'i=53', ToState: 'i=52',
  FromState: 'i=51', HasEffect: 'i=54', HasTrueSubState: 'i=9004', HasFalseSubState: 'i=9005',
  HasDictionaryEntry: 'i=17597', HasCondition: 'i=9006', HasGuard: 'i=15112',
  HasAddIn: 'i=17604', HasInterface: 'i=17603',
  Boolean: 'i=1', SByte: 'i=2', Byte: 'i=3', Int16: 'i=4', UInt16: 'i=5', Int32: 'i=6',
  UInt32: 'i=7', Int64: 'i=8', UInt64: 'i=9', Float: 'i=10', Double: 'i=11', String: 'i=12',
  DateTime: 'i=13', Guid: 'i=14', ByteString: 'i=15', XmlElement: 'i=16', NodeId: 'i=17',
  ExpandedNodeId: 'i=18', StatusCode: 'i=19', QualifiedName: 'i=20', LocalizedText: 'i=21',
  Structure: 'i=22', DataValue: 'i=23', BaseDataType: 'i=24', Variant: 'i=24',
  DiagnosticInfo: 'i=25', Number: 'i=26', Integer: 'i=27', ExtensionObject: 'i=22',
  UtcTime: 'i=294',
};

const HAS_SUBTYPE = 'i=45';
const BASE_DATA_TYPE = 'i=24';

/** A variant value: scalar or array of strings, numbers, booleans (LocalizedText: its Text). */
export interface Variant {
  type: number;
  isArray: boolean;
  value: unknown;
}

export interface Ref {
  target: string;
  type: string;
  isForward: boolean;
}

export interface Field {
  name: string;
  /** null for enumeration fields (Mako shows the C string "(null)"). */
  dataType: string | null;
  valueRank: number;
  value: number;
}

export interface Ns0Node {
  /** attribute id -> value (string, number, boolean, Variant) */
  attrs: Map<number, unknown>;
  refs: Ref[];
  fields?: Field[];
  definition?: Field[];
}

export interface Ns0 {
  /** The nodeset's model version (`<Model Version>`). */
  version: string;
  publicationDate: string;
  /** Nodes declared in the XML, sorted by node id as C's strcmp sorts them. */
  nodes: Array<[string, Ns0Node]>;
}

// ---- a small XML reader: elements, attributes, text; comments and declarations skipped ----

interface El {
  name: string;
  attrs: Record<string, string>;
  children: El[];
  text: string;
  /** Did the element contain character data at all (the stack's loader only sees it then). */
  hasText: boolean;
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decode(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-z]+);/g, (m, e: string) => {
    if (e[0] === '#') return String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
    return ENTITIES[e] ?? m;
  });
}

/** The local name of a (possibly prefixed) tag. */
function local(tag: string): string {
  const i = tag.lastIndexOf(':');
  return i < 0 ? tag : tag.slice(i + 1);
}

export function parseXml(xml: string): El {
  const root: El = { name: '#root', attrs: {}, children: [], text: '', hasText: false };
  const stack: El[] = [root];
  const attrRe = /([^\s=/>]+)\s*=\s*("([^"]*)"|'([^']*)')/g;
  let i = 0;
  const n = xml.length;
  while (i < n) {
    const lt = xml.indexOf('<', i);
    const top = stack[stack.length - 1]!;
    if (lt < 0 || lt > i) {
      const end = lt < 0 ? n : lt;
      top.text += decode(xml.slice(i, end));
      top.hasText = true;
      if (lt < 0) break;
    }
    if (xml.startsWith('<!--', lt)) {
      const e = xml.indexOf('-->', lt + 4);
      if (e < 0) throw new Error('unterminated comment');
      i = e + 3;
    } else if (xml.startsWith('<![CDATA[', lt)) {
      const e = xml.indexOf(']]>', lt + 9);
      if (e < 0) throw new Error('unterminated CDATA');
      top.text += xml.slice(lt + 9, e);
      top.hasText = true;
      i = e + 3;
    } else if (xml[lt + 1] === '?' || xml[lt + 1] === '!') {
      const e = xml.indexOf('>', lt);
      if (e < 0) throw new Error('unterminated declaration');
      i = e + 1;
    } else if (xml[lt + 1] === '/') {
      const e = xml.indexOf('>', lt);
      if (e < 0) throw new Error('unterminated end tag');
      const name = local(xml.slice(lt + 2, e).trim());
      const el = stack.pop();
      if (!el || el.name !== name || stack.length === 0) throw new Error(`mismatched end tag </${name}>`);
      i = e + 1;
    } else {
      // A start tag; '>' inside quoted attribute values is allowed.
      let e = lt + 1;
      let q = '';
      while (e < n) {
        const c = xml[e]!;
        if (q) {
          if (c === q) q = '';
        } else if (c === '"' || c === "'") q = c;
        else if (c === '>') break;
        e++;
      }
      if (e >= n) throw new Error('unterminated start tag');
      let body = xml.slice(lt + 1, e);
      const selfClosing = body.endsWith('/');
      if (selfClosing) body = body.slice(0, -1);
      const sp = body.search(/\s/);
      const name = local(sp < 0 ? body : body.slice(0, sp));
      const attrs: Record<string, string> = {};
      if (sp >= 0) {
        attrRe.lastIndex = 0;
        const rest = body.slice(sp);
        let m: RegExpExecArray | null;
        while ((m = attrRe.exec(rest))) attrs[local(m[1]!)] = decode(m[3] ?? m[4] ?? '');
      }
      const el: El = { name, attrs, children: [], text: '', hasText: false };
      top.children.push(el);
      if (!selfClosing) stack.push(el);
      i = e + 1;
    }
  }
  if (stack.length !== 1) throw new Error(`unclosed element <${stack[stack.length - 1]!.name}>`);
  return root;
}

// ---- the nodeset, read as the stack's loader reads it ----

function trim(s: string): string {
  return s.replace(/^\s+|\s+$/g, '');
}

/** Lua's tonumber on a decimal string (undefined when it is not a number). */
function toNumber(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const t = trim(s);
  if (t === '' || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return undefined;
  return Number(t);
}

function parseScalar(el: El, into: { type?: number; value?: unknown }, isArray: boolean): void {
  const tag = el.name;
  let v: unknown;
  let has = true;
  const text = (): string | undefined => (el.hasText ? trim(el.text) : undefined);
  switch (tag) {
    case 'ExtensionObject':
    case 'ListOfExtensionObject':
      return; // not kept, as in Mako
    case 'String':
    case 'Guid': {
      const t = text();
      if (t === undefined) return;
      v = t;
      break;
    }
    case 'ByteString': {
      if (!el.hasText) return;
      v = Buffer.from(el.text.replace(/\s/g, ''), 'base64').toString('base64');
      break;
    }
    case 'DateTime': {
      const t = text();
      if (t === undefined) return;
      v = Date.parse(t) / 1000;
      break;
    }
    case 'Boolean': {
      const t = text();
      if (t === undefined) return;
      if (t !== 'true' && t !== 'false') throw new Error(`bad Boolean value '${t}'`);
      v = t === 'true';
      break;
    }
    case 'LocalizedText': {
      const te = el.children.find((c) => c.name === 'Text');
      v = te && te.hasText ? trim(te.text) : '';
      break;
    }
    case 'QualifiedName': {
      const ne = el.children.find((c) => c.name === 'Name');
      v = ne && ne.hasText ? trim(ne.text) : '';
      break;
    }
    case 'NodeId':
    case 'ExpandedNodeId': {
      const ie = el.children.find((c) => c.name === 'Identifier');
      if (!ie || !ie.hasText) has = false;
      else v = trim(ie.text);
      break;
    }
    default: {
      if (!(tag in VariantType)) throw new Error(`unknown value type <${tag}>`);
      const t = text();
      if (t === undefined) return;
      v = toNumber(t);
      break;
    }
  }
  if (!has) return;
  into.type = VariantType[tag === 'ExpandedNodeId' ? 'NodeId' : tag];
  if (isArray) {
    if (!Array.isArray(into.value)) into.value = [];
    (into.value as unknown[]).push(v);
  } else into.value = v;
}

/** Node ids by name, as the OPC Foundation's NodeIds.csv lists them (node-opcua-constants). */
export interface NodeIdTables {
  DataTypeIds: Record<string, number | string>;
  ObjectIds: Record<string, number | string>;
  VariableIds: Record<string, number | string>;
}

function el(name: string, attrs: Record<string, string>, children: El[] = [], text?: string): El {
  return { name, attrs, children, text: text ?? '', hasText: text !== undefined };
}

/**
 * The DataTypes of OPC UA's services (RequestHeader, ReadRequest, BrowseDirection, ...) are not
 * in Opc.Ua.NodeSet2.xml: the OPC Foundation publishes them in Opc.Ua.NodeSet2.Services.xml,
 * which no registry package ships. They are rebuilt here, as nodeset elements, from the
 * OPC Foundation's binary schema Opc.Ua.Types.bsd (names, fields, base types, enumerations)
 * and the node ids of NodeIds.csv, for every type the schema has and the nodeset lacks: the
 * DataType with its fields, its "Default Binary", "Default XML" and "Default JSON" encoding
 * objects and, for an enumeration, its EnumStrings property.
 * A field's DataType is the schema's type (DateTime where the services nodeset says UtcTime,
 * UInt32 for IntegerId, ...), which encodes the same.
 */
export function servicesElements(bsd: string, ids: NodeIdTables, has: (id: string) => boolean): El[] {
  const dict = parseXml(bsd).children.find((c) => c.name === 'TypeDictionary');
  if (!dict) throw new Error('not an OPC binary schema (TypeDictionary)');
  const out: El[] = [];
  const idOf = (table: Record<string, number | string>, name: string): string | null => {
    const v = table[name];
    return typeof v === 'number' ? `i=${v}` : null;
  };
  const typeId = (qname: string): string | null => {
    const name = qname.slice(qname.indexOf(':') + 1);
    if (name === 'CharArray') return 'i=12';
    return DEFAULT_ALIASES[name] ?? idOf(ids.DataTypeIds, name);
  };
  // The schema repeats a base type's fields in each subtype; the nodeset lists only the new ones.
  const schemaFields = new Map<string, string[]>();
  for (const t of dict.children) {
    if (t.name === 'StructuredType' && t.attrs.Name) schemaFields.set(t.attrs.Name, t.children.filter((f) => f.name === 'Field').map((f) => f.attrs.Name ?? ''));
  }
  for (const t of dict.children) {
    const name = t.attrs.Name;
    if (!name || (t.name !== 'StructuredType' && t.name !== 'EnumeratedType')) continue;
    const id = idOf(ids.DataTypeIds, name);
    if (!id || has(id)) continue;
    const refs: El[] = [];
    const fields: El[] = [];
    const extra: El[] = [];
    if (t.name === 'StructuredType') {
      const base = t.attrs.BaseType ? typeId(t.attrs.BaseType) : 'i=22';
      refs.push(el('Reference', { ReferenceType: 'HasSubtype', IsForward: 'false' }, [], base ?? 'i=22'));
      const lengthFields = new Set(t.children.map((f) => f.attrs.LengthField).filter((x): x is string => !!x));
      const baseName = t.attrs.BaseType?.startsWith('tns:') ? t.attrs.BaseType.slice(4) : '';
      const inherited = new Set(schemaFields.get(baseName) ?? []);
      for (const f of t.children) {
        if (f.name !== 'Field' || !f.attrs.Name || lengthFields.has(f.attrs.Name) || inherited.has(f.attrs.Name)) continue;
        if (f.attrs.TypeName === 'opc:Bit') continue;
        const dt = typeId(f.attrs.TypeName ?? '');
        if (!dt) throw new Error(`${name}.${f.attrs.Name}: unknown type ${f.attrs.TypeName}`);
        const fa: Record<string, string> = { Name: f.attrs.Name, DataType: dt };
        if (f.attrs.LengthField) fa.ValueRank = '1';
        fields.push(el('Field', fa));
      }
      for (const [suffix, browse] of [['DefaultBinary', 'Default Binary'], ['DefaultXml', 'Default XML'], ['DefaultJson', 'Default JSON']] as const) {
        const encId = idOf(ids.ObjectIds, `${name}_Encoding_${suffix}`);
        if (!encId || has(encId)) continue;
        extra.push(
          el('UAObject', { NodeId: encId, BrowseName: browse, SymbolicName: suffix }, [
            el('DisplayName', {}, [], browse),
            el('References', {}, [
              el('Reference', { ReferenceType: 'HasEncoding', IsForward: 'false' }, [], id),
              el('Reference', { ReferenceType: 'HasTypeDefinition' }, [], 'i=76'),
            ]),
          ]),
        );
      }
    } else {
      const strings: El[] = [];
      for (const v of t.children) {
        if (v.name !== 'EnumeratedValue' || !v.attrs.Name) continue;
        fields.push(el('Field', { Name: v.attrs.Name, Value: v.attrs.Value ?? '0' }));
        strings.push(el('LocalizedText', {}, [el('Text', {}, [], v.attrs.Name)]));
      }
      const propId = idOf(ids.VariableIds, `${name}_EnumStrings`);
      if (propId && !has(propId)) {
        refs.push(el('Reference', { ReferenceType: 'HasProperty' }, [], propId));
        extra.push(
          el('UAVariable', { NodeId: propId, BrowseName: 'EnumStrings', ParentNodeId: id, DataType: 'LocalizedText', ValueRank: '1', ArrayDimensions: '0' }, [
            el('DisplayName', {}, [], 'EnumStrings'),
            el('References', {}, [
              el('Reference', { ReferenceType: 'HasTypeDefinition' }, [], 'i=68'),
              el('Reference', { ReferenceType: 'HasProperty', IsForward: 'false' }, [], id),
            ]),
            el('Value', {}, [el('ListOfLocalizedText', {}, strings)]),
          ]),
        );
      }
      refs.push(el('Reference', { ReferenceType: 'HasSubtype', IsForward: 'false' }, [], 'i=29'));
    }
    out.push(
      el('UADataType', { NodeId: id, BrowseName: name }, [
        el('DisplayName', {}, [], name),
        el('References', {}, refs),
        el('Definition', { Name: name }, fields),
      ]),
      ...extra,
    );
  }
  return out;
}

/**
 * Reads Opc.Ua.NodeSet2.xml; with `services` (the binary schema and the node id tables) the
 * services' DataTypes are added after the nodeset's own nodes (`servicesElements`).
 */
export function loadNodeSet(xml: string, services?: { bsd: string; ids: NodeIdTables }): Ns0 {
  const doc = parseXml(xml);
  const set = doc.children.find((c) => c.name === 'UANodeSet');
  if (!set) throw new Error('not a UANodeSet document');
  const aliases = new Map<string, string>();
  const nodes = new Map<string, Ns0Node>();
  let version = '';
  let publicationDate = '';
  const resolve = (name: string | undefined): string | null =>
    name === undefined ? null : (aliases.get(name) ?? DEFAULT_ALIASES[name] ?? name);
  const nodeOf = (id: string): Ns0Node => {
    let node = nodes.get(id);
    if (!node) {
      node = { attrs: new Map(), refs: [] };
      nodes.set(id, node);
    }
    return node;
  };
  const addRef = (refs: Ref[], r: Ref): void => {
    if (!refs.some((x) => x.target === r.target && x.type === r.type && x.isForward === r.isForward)) refs.push(r);
  };

  const addNode = (el: El): void => {
    const cls = NODE_CLASS[el.name];
    if (cls === undefined) return;
    const id = el.attrs.NodeId;
    if (id === undefined) throw new Error(`<${el.name}> without NodeId`);
    const node = nodeOf(id);
    const a = node.attrs;
    const at = el.attrs;
    a.set(Attr.NodeId, id);
    a.set(Attr.NodeClass, cls);
    a.set(Attr.BrowseName, at.BrowseName);
    const isAbstract = at.IsAbstract === 'true';
    if (cls === 8 || cls === 64) a.set(Attr.IsAbstract, isAbstract);
    else if (cls === 16 || cls === 2) {
      if (cls === 16) a.set(Attr.IsAbstract, isAbstract);
      const rank = toNumber(at.ValueRank);
      if (rank !== undefined) a.set(Attr.ValueRank, rank);
      const dt = resolve(at.DataType);
      if (dt !== null) a.set(Attr.DataType, dt);
      a.set(Attr.AccessLevel, 0);
      a.set(Attr.UserAccessLevel, 0);
      a.set(Attr.Historizing, false);
      const msi = toNumber(at.MinimumSamplingInterval);
      if (msi !== undefined) a.set(Attr.MinimumSamplingInterval, msi);
    } else if (cls === 1) a.set(Attr.EventNotifier, 0);
    else if (cls === 32) {
      a.set(Attr.IsAbstract, isAbstract);
      a.set(Attr.Symmetric, at.Symmetric === 'true');
    } else if (cls === 4) {
      a.set(Attr.Executable, true);
      a.set(Attr.UserExecutable, true);
    }
    for (const c of el.children) {
      switch (c.name) {
        case 'DisplayName':
        case 'Description':
        case 'InverseName': {
          const attr = c.name === 'DisplayName' ? Attr.DisplayName : c.name === 'Description' ? Attr.Description : Attr.InverseName;
          if (c.hasText && !a.has(attr)) a.set(attr, trim(c.text));
          break;
        }
        case 'References':
          for (const r of c.children) {
            if (r.name !== 'Reference') continue;
            const type = resolve(r.attrs.ReferenceType) ?? '';
            const fwd = r.attrs.IsForward !== 'false';
            const target = trim(r.text);
            addRef(node.refs, { target, type, isForward: fwd });
            addRef(nodeOf(target).refs, { target: id, type, isForward: !fwd });
          }
          break;
        case 'Value': {
          const v: { type?: number; value?: unknown } = {};
          for (const x of c.children) {
            if (x.name.startsWith('ListOf')) {
              for (const item of x.children) parseScalar(item, v, true);
            } else parseScalar(x, v, false);
          }
          if (v.type !== undefined) a.set(Attr.Value, { type: v.type, isArray: Array.isArray(v.value), value: v.value } satisfies Variant);
          break;
        }
        case 'Definition':
          for (const f of c.children) {
            if (f.name !== 'Field') continue;
            const fa = f.attrs;
            const fields = (node.fields ??= []);
            if (fields.some((x) => x.name === fa.Name)) continue;
            let dt = fa.DataType;
            if (fa.Name === 'Value' && dt === undefined) dt = 'DataValue';
            fields.push({
              name: fa.Name ?? '',
              dataType: resolve(dt),
              valueRank: toNumber(fa.ValueRank) ?? -1,
              value: toNumber(fa.Value) ?? -1,
            });
          }
          break;
      }
    }
  };

  for (const el of set.children) {
    if (el.name === 'Models') {
      const m = el.children.find((c) => c.name === 'Model');
      if (m) {
        version = m.attrs.Version ?? '';
        publicationDate = m.attrs.PublicationDate ?? '';
      }
    } else if (el.name === 'Aliases') {
      for (const a of el.children) if (a.name === 'Alias' && a.attrs.Alias !== undefined) aliases.set(a.attrs.Alias, trim(a.text));
    } else addNode(el);
  }
  if (services) {
    const declared = (id: string): boolean => nodes.get(id)?.attrs.has(Attr.NodeId) === true;
    for (const el of servicesElements(services.bsd, services.ids, declared)) addNode(el);
  }

  // A DataType's definition: the fields of its supertypes (up to BaseDataType), then its own.
  for (const [, node] of nodes) {
    const parts: Field[][] = [];
    let t: Ns0Node | undefined = node;
    while (t && t.attrs.get(Attr.NodeClass) === 64 && t.attrs.get(Attr.NodeId) !== BASE_DATA_TYPE) {
      if (t.fields) parts.push(t.fields);
      const sup: Ref | undefined = t.refs.find((r) => r.type === HAS_SUBTYPE && !r.isForward);
      t = sup ? nodes.get(sup.target) : undefined;
    }
    if (parts.length > 0) node.definition = parts.reverse().flat();
  }

  const list = [...nodes].filter(([, n]) => n.attrs.has(Attr.NodeId));
  list.sort(([x], [y]) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
  return { version, publicationDate, nodes: list };
}

// ---- compact storage ----

/**
 * The stored form: `{version, publicationDate, nodes: [[id, attrs, refs, definition], ...]}`
 * with attrs a flat [attributeId, value, ...] list (a Value as [type, isArray ? 1 : 0, value]),
 * refs a flat [target, type, isForward ? 1 : 0, ...] list and definition a flat
 * [name, dataType|null, valueRank, value, ...] list (0 when there is none).
 */
export type StoredNode = [string, unknown[], Array<string | number>, Array<string | number | null> | 0];
export interface StoredNs0 {
  version: string;
  publicationDate: string;
  nodes: StoredNode[];
}

export function encodeNs0(ns: Ns0): StoredNs0 {
  const nodes: StoredNode[] = ns.nodes.map(([id, n]) => {
    const attrs: unknown[] = [];
    for (const k of [...n.attrs.keys()].sort((x, y) => x - y)) {
      const v = n.attrs.get(k);
      if (k === Attr.Value) {
        const vv = v as Variant;
        attrs.push(k, [vv.type, vv.isArray ? 1 : 0, vv.value]);
      } else attrs.push(k, v);
    }
    const refs: Array<string | number> = [];
    for (const r of n.refs) refs.push(r.target, r.type, r.isForward ? 1 : 0);
    let def: Array<string | number | null> | 0 = 0;
    if (n.definition) {
      def = [];
      for (const f of n.definition) def.push(f.name, f.dataType, f.valueRank, f.value);
    }
    return [id, attrs, refs, def];
  });
  return { version: ns.version, publicationDate: ns.publicationDate, nodes };
}
