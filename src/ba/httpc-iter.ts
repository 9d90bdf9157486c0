/**
 * The iterators of httpc's `h:headerpairs()` and `h:cookie()`: a Lua closure over a table of
 * rows built here from the response head's fields.
 */
import { LuaRaise } from '../vm/lua-error.js';
import type { LState, LuaVM } from '../vm/lua-vm.js';

const PAIRS_LUA = 'local t = ... local i = 0 return function() i = i + 1 local p = t[i] if p then return p[1], p[2] end end';
const COOKIES_LUA = 'local t = ... local i = 0 return function() i = i + 1 local p = t[i] if p then return p[1], p[2], p[3] end end';

export class HttpcIterators {
  private pairsRef = 0;
  private cookiesRef = 0;

  constructor(private readonly vm: LuaVM) {}

  install(L: LState): void {
    const { vm } = this;
    for (const [src, name] of [[PAIRS_LUA, '=headerpairs'], [COOKIES_LUA, '=cookie']] as const) {
      const e = vm.load(L, src, name);
      if (e) throw e;
      if (name === '=cookie') this.cookiesRef = vm.ref(L);
      else this.pairsRef = vm.ref(L);
    }
  }

  /** Pushes an iterator of `name, value`, one pair per field in order. */
  headerPairs(L: LState, fields: readonly (readonly [string, string])[]): number {
    const { vm } = this;
    vm.pushRef(L, this.pairsRef);
    vm.newTable(L, fields.length, 0);
    fields.forEach(([n, v], i) => {
      vm.newTable(L, 2, 0);
      this.str(L, n);
      vm.rawSetI(L, -2, 1);
      this.str(L, v);
      vm.rawSetI(L, -2, 2);
      vm.rawSetI(L, -2, i + 1);
    });
    return this.call(L);
  }

  /**
   * Pushes BAS's `h:cookie()` iterator over `Set-Cookie` field values: `name, value, attrs`
   * (`attrs`: each attribute as written, a flag such as `Secure` with the value `""`; nil when
   * the cookie has none).
   */
  cookies(L: LState, fields: readonly string[]): number {
    const { vm } = this;
    vm.pushRef(L, this.cookiesRef);
    vm.newTable(L, fields.length, 0);
    fields.forEach((field, i) => {
      const [first = '', ...rest] = field.split(';');
      const eq = first.indexOf('=');
      vm.newTable(L, 3, 0);
      this.str(L, eq < 0 ? first.trim() : first.slice(0, eq).trim());
      vm.rawSetI(L, -2, 1);
      this.str(L, eq < 0 ? '' : first.slice(eq + 1).trim());
      vm.rawSetI(L, -2, 2);
      const attrs = rest.map((a) => a.trim()).filter((a) => a !== '');
      if (attrs.length > 0) {
        vm.newTable(L, 0, attrs.length);
        for (const a of attrs) {
          const e = a.indexOf('=');
          this.str(L, e < 0 ? a : a.slice(0, e).trim());
          this.str(L, e < 0 ? '' : a.slice(e + 1).trim());
          vm.rawSet(L, -3);
        }
        vm.rawSetI(L, -2, 3);
      }
      vm.rawSetI(L, -2, i + 1);
    });
    return this.call(L);
  }

  private str(L: LState, s: string): void {
    this.vm.pushBytes(L, Buffer.from(s, 'latin1'));
  }

  /** Calls the iterator factory on top with the rows table; leaves the iterator. */
  private call(L: LState): number {
    const err = this.vm.pcall(L, 1, 1);
    if (err) throw new LuaRaise(err.message);
    return 1;
  }
}
