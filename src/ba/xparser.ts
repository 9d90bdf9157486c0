/**
 * `xparser`: BAS's event-driven XML parser (a global in the Mako Server; `xml2table` and
 * RealTimeLogic's OPC UA stack, when it loads XML nodesets, build on it).
 *
 *   local p = xparser.create([handlers [, ctx [, "PRESERVE"|"TRIM"|"SKIPBLANK"]]])
 *   p:parse(chunk) --> true, has_doc | nil, "Error (line=L col=C) : message" | what a handler returned
 *   p:reset([full]), p:destroy(), p:count(), p:line(), p:col(), p:depth(), p:has_doc()
 *
 * Handlers are functions under the event names INIT, RESET, TERM, START, XML, START_ELEMENT,
 * END_ELEMENT, EMPTY_ELEMENT, PI, COMMENT, CDATA, TEXT, called as handler(ctx, ...):
 * START_ELEMENT / EMPTY_ELEMENT (ctx, name, attrs), END_ELEMENT (ctx, name), XML (ctx, attrs),
 * PI (ctx, target, data), COMMENT / CDATA / TEXT (ctx, text). `attrs` lists the attribute
 * names in order (array part) and maps each name to its value. An event without a handler is
 * skipped (`<a/>` is EMPTY_ELEMENT only). A handler that returns anything but nils stops
 * parsing: parse returns those values and the parser needs reset(). INIT runs in create; a
 * true value it returns becomes ctx. Chunks may end anywhere: text is reported once the next
 * markup starts, so a text split over chunks comes as one TEXT.
 */
import { LuaArgError } from '../vm/lua-error.js';
import { T_FUNCTION, T_NIL, T_NONE, T_NUMBER, T_STRING, T_TABLE, type LState, type LuaVM } from '../vm/lua-vm.js';
import { HandleTable, HandleTag } from '../vm/handles.js';
import type { BaContext } from './context.js';

const EVENTS = ['NONE', 'INIT', 'RESET', 'TERM', 'START', 'XML', 'START_ELEMENT', 'END_ELEMENT', 'EMPTY_ELEMENT', 'PI', 'COMMENT', 'CDATA', 'TEXT'] as const;
const EV = Object.fromEntries(EVENTS.map((e, i) => [e, i])) as Record<(typeof EVENTS)[number], number>;
const MODES = ['PRESERVE', 'TRIM', 'SKIPBLANK'] as const;
type Mode = (typeof MODES)[number];

/** What a parse step ends with: go on, wait for more bytes, or return to the caller. */
const MORE = -1;

/** A parse error at byte `at` of the data (the offending byte). `shift` 1: the column
 * reported is the byte's own (as Mako's state machine has counted it); 0: the column before
 * it (Mako rejects an invalid byte before counting it). */
class XmlError extends Error {
  constructor(
    message: string,
    readonly at: number,
    readonly shift = 1,
  ) {
    super(message);
  }
}

interface Parser {
  handlersRef: number; // registry ref of {[event index] = function}, 0 when none
  ctxRef: number; // registry ref of ctx, 0 when nil
  mode: Mode;
  state: 'start' | 'root' | 'error' | 'destroyed';
  inEvent: boolean;
  pending: Buffer; // bytes received but not yet parsed (an unfinished token or text)
  stack: string[];
  hasDoc: boolean;
  count: number;
  line: number;
  col: number;
  lastCR: boolean;
  /** During a parse call: the byte of the data up to which count, line and col are updated. */
  mark: number;
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

export class XParser {
  private readonly objs: HandleTable<Parser>;

  constructor(readonly ctx: BaContext) {
    this.objs = new HandleTable(ctx.vm, HandleTag.xparser);
  }

  private get vm(): LuaVM {
    return this.ctx.vm;
  }

  install(L: LState): void {
    const vm = this.vm;
    vm.newMetatable(L, 'XPARSER');
    vm.pushValue(L, -1);
    vm.setField(L, -2, '__index');
    // destroy/__close end the parser (TERM); __gc also frees its id (an id freed earlier could
    // be reused by a new parser that this userdata's later __gc would then end).
    const end = (L: LState, free: boolean): number => {
      const id = this.objs.idAt(L, 1);
      const p = id >= 0 ? this.objs.get(id) : undefined;
      if (p && p.state !== 'destroyed') this.fireTerm(L, p);
      if (p && free) this.objs.release(id, p);
      return 0;
    };
    vm.setHost(L, -1, '__gc', (L) => end(L, true));
    vm.setHost(L, -1, '__close', (L) => end(L, false));
    vm.setHost(L, -1, 'destroy', (L) => end(L, false));
    vm.setHost(L, -1, '__tostring', (L) => {
      const id = this.objs.idAt(L, 1);
      vm.pushString(L, `xparser 0x${(0x1000 + id * 16).toString(16)} (0x${(0x2000 + id * 16).toString(16)})`);
      return 1;
    });
    vm.setHost(L, -1, 'parse', (L) => this.parse(L));
    vm.setHost(L, -1, 'reset', (L) => this.reset(L));
    vm.setHost(L, -1, 'count', (L) => (vm.pushInteger(L, this.check(L, 'count').count), 1));
    vm.setHost(L, -1, 'line', (L) => (vm.pushInteger(L, this.check(L, 'line').line), 1));
    vm.setHost(L, -1, 'col', (L) => (vm.pushInteger(L, this.check(L, 'col').col), 1));
    vm.setHost(L, -1, 'depth', (L) => (vm.pushInteger(L, this.check(L, 'depth').stack.length), 1));
    vm.setHost(L, -1, 'has_doc', (L) => (vm.pushBoolean(L, this.check(L, 'has_doc').hasDoc), 1));
    this.objs.mtRef = vm.ref(L);

    vm.newTable(L, 0, 1);
    vm.setHost(L, -1, 'create', (L) => this.create(L));
    vm.pushValue(L, -1);
    vm.setGlobal(L, 'xparser');
    vm.getGlobal(L, 'package');
    vm.getField(L, -1, 'loaded');
    vm.pushValue(L, -3);
    vm.setField(L, -2, 'xparser');
    vm.pop(L, 3);
  }

  private check(L: LState, fname: string): Parser {
    const id = this.objs.idAt(L, 1);
    if (id < 0) this.ctx.args.typeError(L, 1, fname, 'XPARSER');
    const p = this.objs.get(id);
    if (!p || p.state === 'destroyed') throw new LuaArgError(1, fname, 'parser already destroyed');
    return p;
  }

  /** xparser.create([handlers [, ctx [, mode]]]) */
  private create(L: LState): number {
    const vm = this.vm;
    const nargs = vm.top(L);
    let handlersRef = 0;
    let mode: Mode = 'PRESERVE';
    if (nargs > 0) {
      if (vm.type(L, 1) !== T_TABLE) {
        throw new LuaArgError(1, 'create', `parameter must be a table expected, got ${vm.type(L, 1) === T_NONE ? 'no value' : vm.typeName(L, 1)}`);
      }
      vm.newTable(L, EVENTS.length, 0);
      EVENTS.forEach((name, i) => {
        vm.getField(L, 1, name);
        const t = vm.type(L, -1);
        if (t === T_FUNCTION) vm.rawSetI(L, -2, i);
        else if (t === T_NIL) vm.pop(L, 1);
        else throw new LuaArgError(1, 'create', 'handler is not a function !');
      });
      // Mako checks the mode at stack slot 3 after pushing this table, so with exactly two
      // arguments it finds the table there: "bad argument #3 to 'create' (string expected, got table)".
      const mt = vm.type(L, 3);
      if (mt !== T_NIL && mt !== T_NONE) {
        if (mt !== T_STRING && mt !== T_NUMBER) throw new LuaArgError(3, 'create', `string expected, got ${vm.typeName(L, 3)}`);
        const m = vm.toStr(L, 3) ?? '';
        if (!(MODES as readonly string[]).includes(m)) throw new LuaArgError(3, 'create', `invalid option '${m}'`);
        mode = m as Mode;
      }
      handlersRef = vm.ref(L);
    }
    let ctxRef = 0;
    if (nargs > 1 && vm.type(L, 2) !== T_NIL) {
      vm.pushValue(L, 2);
      ctxRef = vm.ref(L);
    }
    const p: Parser = {
      handlersRef, ctxRef, mode, state: 'start', inEvent: false, pending: Buffer.alloc(0),
      stack: [], hasDoc: false, count: 0, line: 1, col: 1, lastCR: false, mark: 0,
    };
    // INIT: a true value it returns becomes ctx; any other value (or an error) fails create.
    const base = vm.top(L);
    const r = this.fire(L, p, EV.INIT, 0);
    if (r !== 0) {
      const ok = r > 0 && vm.toBoolean(L, base + 1);
      if (ok) {
        if (p.ctxRef) vm.unref(p.ctxRef);
        vm.pushValue(L, base + 1);
        p.ctxRef = vm.ref(L);
      }
      if (!ok) {
        if (p.handlersRef) vm.unref(p.handlersRef);
        if (p.ctxRef) vm.unref(p.ctxRef);
        if (r > 0) {
          vm.settop(L, base);
          vm.pushNil(L);
          return 1;
        }
        return 2; // nil, "Lua error '...' handling INIT"
      }
      vm.settop(L, base);
    }
    const id = this.objs.add(p);
    this.objs.push(L, id);
    return 1;
  }

  /**
   * Calls the handler of event `ev` with ctx and the `nargs` values on top of the stack
   * (which it removes). Returns 0 when there is no handler or it returned only nils, n > 0
   * when it returned n values (left on the stack), -1 when it raised (nil and the message
   * left on the stack).
   */
  private fire(L: LState, p: Parser, ev: number, nargs: number): number {
    const vm = this.vm;
    const argBase = vm.top(L) - nargs;
    if (!p.handlersRef) {
      vm.settop(L, argBase);
      return 0;
    }
    vm.pushRef(L, p.handlersRef);
    const t = vm.rawGetI(L, -1, ev);
    vm.remove(L, -2);
    if (t !== T_FUNCTION) {
      vm.settop(L, argBase);
      return 0;
    }
    if (p.ctxRef) vm.pushRef(L, p.ctxRef);
    else vm.pushNil(L);
    // fn, ctx below the arguments
    vm.rotate(L, argBase + 1, 2);
    p.inEvent = true;
    const err = vm.pcall(L, nargs + 1, -1);
    p.inEvent = false;
    if (err) {
      vm.settop(L, argBase);
      vm.pushNil(L);
      vm.pushString(L, `Lua error '${err.message}' handling ${EVENTS[ev]}`);
      return -1;
    }
    const n = vm.top(L) - argBase;
    for (let i = 1; i <= n; i++) {
      if (vm.type(L, argBase + i) !== T_NIL) return n;
    }
    vm.settop(L, argBase);
    return 0;
  }

  private fireTerm(L: LState, p: Parser): void {
    const vm = this.vm;
    const base = vm.top(L);
    if (p.state !== 'destroyed') this.fire(L, p, EV.TERM, 0);
    vm.settop(L, base);
    p.state = 'destroyed';
    if (p.handlersRef) vm.unref(p.handlersRef);
    if (p.ctxRef) vm.unref(p.ctxRef);
    p.handlersRef = 0;
    p.ctxRef = 0;
  }

  /** p:reset([full]): the RESET handler's values; the parser starts a new document. */
  private reset(L: LState): number {
    const vm = this.vm;
    const p = this.check(L, 'reset');
    vm.settop(L, 1);
    const r = this.fire(L, p, EV.RESET, 0);
    p.state = 'start';
    p.pending = Buffer.alloc(0);
    p.stack = [];
    p.hasDoc = false;
    p.count = 0;
    p.line = 1;
    p.col = 1;
    p.lastCR = false;
    return r > 0 ? r : 0;
  }

  /** nil, "Error (line= col=) : msg". */
  private fail(L: LState, p: Parser, msg: string): number {
    p.state = 'error';
    this.vm.pushNil(L);
    this.vm.pushString(L, `Error (line=${p.line} col=${p.col}) : ${msg}`);
    return 2;
  }

  /** Advances count/line/col over bytes [from, to) of `data` as Mako counts them. */
  private advance(p: Parser, data: Buffer, from: number, to: number): void {
    for (let i = from; i < to; i++) {
      const c = data[i]!;
      p.count++;
      if (p.lastCR) {
        p.lastCR = false;
        if (c === 0x0a) continue;
      }
      if (c === 0x0a) {
        p.line++;
        p.col = 0;
      } else if (c === 0x0d) {
        p.lastCR = true;
        p.line++;
        p.col = 1;
      } else if ((c & 0xc0) !== 0x80) p.col++;
    }
  }

  /** Brings count/line/col up to byte `to` of the data (before an event, so handlers see them). */
  private sync(p: Parser, data: Buffer, to: number): void {
    if (to > p.mark) {
      this.advance(p, data, p.mark, to);
      p.mark = to;
    }
  }

  private parse(L: LState): number {
    const vm = this.vm;
    const p = this.check(L, 'parse');
    const t = vm.type(L, 2);
    if (t !== T_STRING && t !== T_NUMBER) this.ctx.args.typeError(L, 2, 'parse', 'string');
    const chunk = vm.toBytes(L, 2) ?? Buffer.alloc(0);
    vm.settop(L, 2);
    if (p.state === 'error') return this.fail(L, p, 'error flag set : reset required');
    if (p.inEvent) return this.fail(L, p, 'Call from within event handler');
    if (chunk.length === 0) return this.fail(L, p, 'No Data');

    // (Mako's parser has a START event, but its first parse calls the handler of no event.)
    if (p.state === 'start') p.state = 'root';
    const data = p.pending.length ? Buffer.concat([p.pending, chunk]) : chunk;
    p.mark = p.pending.length; // bytes of data already counted by an earlier call
    let pos = 0;
    try {
      for (;;) {
        const r = this.step(L, p, data, pos);
        if (r.ret !== 0) {
          // A handler stopped (or failed) parsing.
          p.state = 'error';
          return r.ret > 0 ? r.ret : 2;
        }
        if (r.next === MORE) break;
        pos = r.next;
      }
    } catch (e) {
      if (!(e instanceof XmlError)) throw e;
      vm.settop(L, 2);
      this.sync(p, data, e.at + 1);
      if (e.shift === 0) p.col--;
      return this.fail(L, p, e.message);
    }
    p.pending = Buffer.from(data.subarray(pos));
    this.sync(p, data, data.length);
    vm.pushBoolean(L, true);
    vm.pushBoolean(L, p.hasDoc);
    return 2;
  }

  /**
   * Parses one token at `pos`: returns {ret: 0, next} to go on at `next` (MORE: wait for more
   * bytes, keeping data[pos..] pending), or {ret, next} when a handler stopped parsing.
   */
  private step(L: LState, p: Parser, data: Buffer, pos: number): { ret: number; next: number } {
    const vm = this.vm;
    const more = { ret: 0, next: MORE };
    if (pos >= data.length) return more;
    const inRoot = p.stack.length > 0;
    const c = data[pos]!;
    if (c !== 0x3c) {
      // text
      const lt = data.indexOf(0x3c, pos);
      const end = lt < 0 ? data.length : lt;
      this.checkChars(data, pos, end);
      if (!inRoot) {
        for (let i = pos; i < end; i++) {
          const b = data[i]!;
          if (isSpace(b)) continue;
          if (b < 0x80) throw new XmlError(`Invalid character ('${String.fromCharCode(b)}') at document level`, i);
          // Mako shows a non-ASCII character's code point in 14 bits (U+FEFF, a BOM: 0x3EFF).
          const n = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
          const cp = Buffer.from(data.subarray(i, i + n)).toString('utf8').codePointAt(0) ?? b;
          throw new XmlError(`Invalid character (0x${(cp & 0x3fff).toString(16).toUpperCase()}) at document level`, Math.min(i + n, data.length) - 1);
        }
        return { ret: 0, next: lt < 0 ? MORE : lt };
      }
      if (lt < 0) return more; // the text goes on in the next chunk
      let text = this.decode(data, pos, end);
      if (p.mode === 'TRIM') text = trim(text);
      if (text.length === 0 || (p.mode === 'SKIPBLANK' && isBlank(text))) return { ret: 0, next: lt };
      vm.pushBytes(L, text);
      this.sync(p, data, lt);
      return { ret: this.fire(L, p, EV.TEXT, 1), next: lt };
    }
    const rest = data.length - pos;
    const starts = (s: string): boolean | null => {
      const n = Math.min(s.length, rest);
      for (let i = 0; i < n; i++) if (data[pos + i] !== s.charCodeAt(i)) return false;
      return n < s.length ? null : true; // null: too few bytes to tell
    };
    if (rest < 2) return more;
    const c1 = data[pos + 1]!;
    if (c1 === 0x3f) {
      // <?target data?>
      const end = data.indexOf('?>', pos + 2, 'latin1');
      if (end < 0) return more;
      this.checkChars(data, pos, end);
      let i = pos + 2;
      while (i < end && !isSpace(data[i]!)) i++;
      const target = data.subarray(pos + 2, i).toString('latin1');
      if (target === 'xml') {
        const attrs = this.attributes(data, i, end);
        this.pushAttrs(L, attrs);
        this.sync(p, data, end + 2);
        return { ret: this.fire(L, p, EV.XML, 1), next: end + 2 };
      }
      while (i < end && isSpace(data[i]!)) i++;
      let body: Buffer = data.subarray(i, end);
      if (p.mode === 'TRIM') body = trim(body);
      vm.pushBytes(L, Buffer.from(target, 'latin1'));
      vm.pushBytes(L, body);
      this.sync(p, data, end + 2);
      return { ret: this.fire(L, p, EV.PI, 2), next: end + 2 };
    }
    if (c1 === 0x21) {
      const comment = starts('<!--');
      if (comment === null) return more;
      if (comment) {
        const end = data.indexOf('-->', pos + 4, 'latin1');
        if (end < 0) return more;
        this.checkChars(data, pos, end);
        vm.pushBytes(L, data.subarray(pos + 4, end));
        this.sync(p, data, end + 3);
        return { ret: this.fire(L, p, EV.COMMENT, 1), next: end + 3 };
      }
      const cdata = starts('<![CDATA[');
      if (cdata === null) return more;
      if (cdata) {
        const end = data.indexOf(']]>', pos + 9, 'latin1');
        if (end < 0) return more;
        this.checkChars(data, pos, end);
        vm.pushBytes(L, normalizeEol(data.subarray(pos + 9, end)));
        this.sync(p, data, end + 3);
        return { ret: this.fire(L, p, EV.CDATA, 1), next: end + 3 };
      }
      // <!DOCTYPE ...> (with an internal subset in [...]): skipped
      let depth = 0;
      for (let i = pos + 2; i < data.length; i++) {
        const b = data[i]!;
        if (b === 0x5b) depth++;
        else if (b === 0x5d) depth--;
        else if (b === 0x3e && depth <= 0) return { ret: 0, next: i + 1 };
      }
      return more;
    }
    if (c1 === 0x2f) {
      // </name>
      const end = data.indexOf(0x3e, pos + 2);
      if (end < 0) return more;
      this.checkChars(data, pos, end);
      const name = trim(Buffer.from(data.subarray(pos + 2, end))).toString('latin1');
      const open = p.stack[p.stack.length - 1];
      if (open !== name) {
        throw new XmlError(open === undefined ? `End tag '${name}' without start tag` : `Tagname mismatch; open= '${open}', close = '${name}',`, end);
      }
      p.stack.pop();
      if (p.stack.length === 0) p.hasDoc = true;
      vm.pushBytes(L, Buffer.from(name, 'latin1'));
      this.sync(p, data, end + 1);
      return { ret: this.fire(L, p, EV.END_ELEMENT, 1), next: end + 1 };
    }
    // <name attr="v" ...> or <name .../>
    let end = -1;
    let quote = 0;
    for (let i = pos + 1; i < data.length; i++) {
      const b = data[i]!;
      if (quote) {
        if (b === quote) quote = 0;
      } else if (b === 0x22 || b === 0x27) quote = b;
      else if (b === 0x3e) {
        end = i;
        break;
      }
    }
    if (end < 0) return more;
    this.checkChars(data, pos, end);
    const empty = data[end - 1] === 0x2f;
    const bodyEnd = empty ? end - 1 : end;
    let i = pos + 1;
    while (i < bodyEnd && !isSpace(data[i]!)) i++;
    const name = data.subarray(pos + 1, i).toString('latin1');
    const attrs = this.attributes(data, i, bodyEnd);
    if (!empty) p.stack.push(name);
    else if (p.stack.length === 0) p.hasDoc = true;
    vm.pushBytes(L, Buffer.from(name, 'latin1'));
    this.pushAttrs(L, attrs);
    this.sync(p, data, end + 1);
    return { ret: this.fire(L, p, empty ? EV.EMPTY_ELEMENT : EV.START_ELEMENT, 2), next: end + 1 };
  }

  /** Bytes not allowed in XML (controls other than tab, LF, CR). */
  private checkChars(data: Buffer, from: number, to: number): void {
    for (let i = from; i < to; i++) {
      const b = data[i]!;
      if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) {
        throw new XmlError(`Invalid character (0x${b.toString(16).toUpperCase()}) : Illegal in XML`, i, 0);
      }
    }
  }

  /** name="value" pairs in data[from, to): names in order, values decoded. */
  private attributes(data: Buffer, from: number, to: number): Array<[string, Buffer]> {
    const out: Array<[string, Buffer]> = [];
    let i = from;
    for (;;) {
      while (i < to && isSpace(data[i]!)) i++;
      if (i >= to) return out;
      const ns = i;
      while (i < to && !isSpace(data[i]!) && data[i] !== 0x3d) i++;
      const name = data.subarray(ns, i).toString('latin1');
      while (i < to && isSpace(data[i]!)) i++;
      if (data[i] !== 0x3d) throw new XmlError(`Invalid character ('${charAt(data, i)}') in attribute processing. expecting '='`, i);
      i++;
      while (i < to && isSpace(data[i]!)) i++;
      const q = data[i];
      if (q !== 0x22 && q !== 0x27) throw new XmlError(`Invalid character ('${charAt(data, i)}') in attribute processing. expecting quote`, i);
      const close = data.indexOf(q, i + 1);
      out.push([name, this.decode(data, i + 1, close)]);
      i = close + 1;
    }
  }

  private pushAttrs(L: LState, attrs: Array<[string, Buffer]>): void {
    const vm = this.vm;
    vm.newTable(L, attrs.length, attrs.length);
    attrs.forEach(([name, value], k) => {
      vm.pushString(L, name);
      vm.rawSetI(L, -2, k + 1);
      vm.pushString(L, name);
      vm.pushBytes(L, value);
      vm.rawSet(L, -3);
    });
  }

  /** Text with entity and character references decoded and line ends as LF. */
  private decode(data: Buffer, from: number, to: number): Buffer {
    const amp = data.indexOf(0x26, from);
    if (amp < 0 || amp >= to) return normalizeEol(data.subarray(from, to));
    const parts: Buffer[] = [];
    let i = from;
    while (i < to) {
      const a = data.indexOf(0x26, i);
      if (a < 0 || a >= to) {
        parts.push(data.subarray(i, to));
        break;
      }
      parts.push(data.subarray(i, a));
      const semi = data.indexOf(0x3b, a);
      const stop = semi < 0 || semi >= to ? to - 1 : semi;
      const ref = data.subarray(a + 1, stop).toString('latin1');
      let s: string | undefined = ENTITIES[ref];
      if (s === undefined && ref.startsWith('#')) {
        const n = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
        if (Number.isInteger(n) && n > 0 && n <= 0x10ffff) s = String.fromCodePoint(n);
      }
      if (s === undefined || semi < 0 || semi >= to) throw new XmlError(`Unknown entity '&${ref};'`, stop);
      parts.push(Buffer.from(s, 'utf8'));
      i = semi + 1;
    }
    return normalizeEol(Buffer.concat(parts));
  }
}

function charAt(data: Buffer, i: number): string {
  return i < data.length ? String.fromCharCode(data[i]!) : '';
}

function isBlank(b: Buffer): boolean {
  for (const c of b) if (!isSpace(c)) return false;
  return true;
}

function trim(b: Buffer): Buffer {
  let s = 0;
  let e = b.length;
  while (s < e && isSpace(b[s]!)) s++;
  while (e > s && isSpace(b[e - 1]!)) e--;
  return b.subarray(s, e);
}

/** CR LF and lone CR as LF (XML's end-of-line handling). */
function normalizeEol(b: Buffer): Buffer {
  if (!b.includes(0x0d)) return b;
  const out = Buffer.alloc(b.length);
  let n = 0;
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    if (c === 0x0d) {
      out[n++] = 0x0a;
      if (b[i + 1] === 0x0a) i++;
    } else out[n++] = c;
  }
  return out.subarray(0, n);
}

export function installXparser(ctx: BaContext): XParser {
  const lib = new XParser(ctx);
  lib.install(ctx.vm.L);
  return lib;
}
