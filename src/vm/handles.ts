/**
 * Lua-visible host objects (sockets, timers, files, hashes, ...): the one way a JavaScript
 * object is handed to Lua. Lua holds a full userdata whose block starts with the kind's tag and
 * the object's id; the table maps ids back to objects and reuses the ids of collected ones.
 * The tag makes a userdata of another kind (or a forged one) read as "not this kind".
 *
 * Block layout: [tag: i32][id: i32][extra bytes the kind asked for].
 *
 * Ids are reused once released, unless the kind says `reuseIds: false`: then a userdata that
 * outlives its object (a request object kept after its page ended) never reaches a newer one.
 */
import { T_USERDATA, type LState } from './lua-raw.js';
import type { LuaVM } from './lua-vm.js';

/**
 * The tag of every kind of Lua-visible host object, in one list so no two kinds share one (a
 * unit test checks). Kinds that keep their data in the block itself (bytearray, datetime) use
 * `taggedBlock`/`newTaggedBlock`; the others a `HandleTable`.
 */
export const HandleTag = {
  socket: 0x50c4e7,
  timer: 0x71e3e4,
  request: 0x7e9e57,
  httpc: 0x4874c1,
  threadPool: 0x7a11ed,
  jsonParser: 0x4a50, // "JP"
  tls: 0x54_4c_53_4f, // "TLSO"
  io: 0x49_4f_49_4f, // "IOIO"
  file: 0x46_49_4c_45, // "FILE"
  hash: 0x48_41_53_48, // "HASH"
  bytearray: 0x42_54_41_31, // "BTA1"
  datetime: 0x42_44_54_7a, // "BDTz"
  appDir: 0x44_49_52_31, // "DIR1"
  opcuaNodes: 0x4f_50_55_41, // "OPUA"
  authObject: 0x41_55_54_48, // "AUTH"
  symmetric: 0x53_59_4d_31, // "SYM1"
  ubjsonParser: 0x55_42_4a_50, // "UBJP"
  asyncResponse: 0x41_52_53_50, // "ARSP"
  upload: 0x55_50_4c_44, // "UPLD"
  traceLogger: 0x54_52_4c_47, // "TRLG"
  luaIo: 0x4c_49_4f_31, // "LIO1" (ba.create.luaio)
  luaIoFile: 0x4c_49_4f_46, // "LIOF" (a luaio's file objects: the block holds no id)
  revcon: 0x52_45_56_43, // "REVC"
  xparser: 0x58_50_52_53, // "XPRS"
  servcon: 0x53_43_4f_4e, // "SCON"
} as const;

/**
 * The address of the userdata block at stack index i when it starts with `tag`, else 0. Kinds
 * whose data lives in the block itself (a bytearray's bytes) use this directly.
 */
export function taggedBlock(vm: LuaVM, L: LState, i: number, tag: number): number {
  if (vm.type(L, i) !== T_USERDATA) return 0;
  const p = vm.toUserdata(L, i);
  return p && vm.readI32(p) === tag ? p : 0;
}

/** Pushes a new userdata of `size` bytes starting with `tag`, with the metatable at `mtRef`. */
export function newTaggedBlock(vm: LuaVM, L: LState, tag: number, size: number, mtRef: number): number {
  const p = vm.newUserdata(L, size);
  vm.writeI32(p, tag);
  if (mtRef) {
    vm.pushRef(L, mtRef);
    vm.setMetatable(L, -2);
  }
  return p;
}

export interface HandleOptions {
  /** Bytes after the id that the kind keeps in the block itself. */
  extraBytes?: number;
  /** Reuse released ids (default true). */
  reuseIds?: boolean;
}

/**
 * Slots of the direct-mapped table of a kind whose ids are not reused (a power of two): an id
 * lives in slot `id & (SPARSE_SLOTS - 1)`, and only when that slot is taken by a live older id
 * in a map on the side. Ids are handed out in sequence, so objects that live shorter than
 * SPARSE_SLOTS newer ones (request objects: one per page) never reach the map, whose inserts
 * and deletes allocate (a request cost ~0.6 KB of map churn).
 */
const SPARSE_SLOTS = 1024;

export class HandleTable<T> {
  /** Objects by id when ids are reused (dense); by slot when they are not (see SPARSE_SLOTS). */
  private readonly objs: Array<T | undefined> = [];
  private readonly free: number[] = [];
  /** Ids not reused: the id held by each slot of `objs` (0: free), and the ids that found their slot taken. */
  private readonly slotIds: Int32Array | null;
  private readonly byId: Map<number, T> | null;
  private nextId = 1;
  private sparseCount = 0;
  private readonly extraBytes: number;
  /** Registry reference of the kind's metatable; set once the metatable exists. */
  mtRef = 0;

  constructor(
    private readonly vm: LuaVM,
    /** A number no other kind uses (four ASCII letters, say). */
    readonly tag: number,
    opts: HandleOptions = {},
  ) {
    this.extraBytes = opts.extraBytes ?? 0;
    const sparse = opts.reuseIds === false;
    this.byId = sparse ? new Map() : null;
    this.slotIds = sparse ? new Int32Array(SPARSE_SLOTS) : null;
    if (sparse) this.objs.length = SPARSE_SLOTS;
  }

  private newId(): number {
    if (!this.byId) return this.free.pop() ?? this.objs.length;
    const id = this.nextId++;
    if (this.nextId > 0x7fffffff) this.nextId = 1;
    return id;
  }

  private store(id: number, obj: T): void {
    const slots = this.slotIds;
    if (slots) {
      this.sparseCount++;
      const i = id & (SPARSE_SLOTS - 1);
      if (slots[i] === 0) {
        slots[i] = id;
        this.objs[i] = obj;
      } else this.byId!.set(id, obj);
    } else this.objs[id] = obj;
  }

  /** Stores `obj` under a new id. */
  add(obj: T): number {
    const id = this.newId();
    this.store(id, obj);
    return id;
  }

  /** Makes the object with its new id (for objects that keep their id) and stores it. */
  create<U extends T>(make: (id: number) => U): U {
    const id = this.newId();
    const obj = make(id);
    this.store(id, obj);
    return obj;
  }

  /**
   * Pushes a new userdata for the object with this id, with the kind's metatable (or the one
   * at registry ref `mtRef`); returns the block's address (the extra bytes start at +8).
   */
  push(L: LState, id: number, mtRef = this.mtRef): number {
    const p = newTaggedBlock(this.vm, L, this.tag, 8 + this.extraBytes, mtRef);
    this.vm.writeI32(p + 4, id);
    return p;
  }

  /** The id of the handle at stack index i, or -1 when the value is no handle of this kind. */
  idAt(L: LState, i: number): number {
    const p = taggedBlock(this.vm, L, i, this.tag);
    return p ? this.vm.readI32(p + 4) : -1;
  }

  /** The object of the handle at stack index i, or null. */
  at(L: LState, i: number): T | null {
    const id = this.idAt(L, i);
    if (id < 0) return null;
    return this.get(id) ?? null;
  }

  /** The object of the userdata whose block is at `p` (`HostArgs.udata`), or null (0, another kind, released). */
  atBlock(p: number): T | null {
    if (p === 0 || this.vm.readI32(p) !== this.tag) return null;
    return this.get(this.vm.readI32(p + 4)) ?? null;
  }

  /** True when the value at stack index i is a handle of this kind (live or released). */
  is(L: LState, i: number): boolean {
    return this.idAt(L, i) >= 0;
  }

  get(id: number): T | undefined {
    const slots = this.slotIds;
    if (!slots) return this.objs[id];
    const i = id & (SPARSE_SLOTS - 1);
    if (slots[i] === id && id !== 0) return this.objs[i];
    return this.byId!.size > 0 ? this.byId!.get(id) : undefined;
  }

  /**
   * Forgets the object with this id (its userdata was collected, or it was closed for good);
   * the id is reused. With `obj`, only when that object is still the one stored.
   */
  release(id: number, obj?: T): void {
    const cur = this.get(id);
    if (cur === undefined || (obj !== undefined && cur !== obj)) return;
    const slots = this.slotIds;
    if (slots) {
      this.sparseCount--;
      const i = id & (SPARSE_SLOTS - 1);
      if (slots[i] === id) {
        slots[i] = 0;
        this.objs[i] = undefined;
      } else this.byId!.delete(id);
      return;
    }
    this.objs[id] = undefined;
    this.free.push(id);
  }

  /** Every live object. */
  *values(): IterableIterator<T> {
    for (const o of this.objs) if (o !== undefined) yield o;
    if (this.byId) yield* this.byId.values();
  }

  /** Number of live objects. */
  get size(): number {
    if (this.slotIds) return this.sparseCount;
    return this.objs.length - this.free.length;
  }
}
