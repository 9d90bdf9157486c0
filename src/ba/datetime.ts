/**
 * `ba.datetime`: a time with nanoseconds and a display offset in minutes, as BAS has it.
 * Constructors: "NOW" [, offset], "MIN", "MAX", an ISO 8601 string, a table of fields
 * (year, month, day, hour, min, sec, nsec, offset [, true = the fields are local time at the
 * offset]) or sec [, nsec [, offset]]; each may be followed by an amount to add (nanoseconds or
 * a {days, hours, mins, secs, nsecs} table). Methods: + and - (an amount, or - another datetime
 * giving nanoseconds), ==, <, <=, tostring([offset]), offset([new]), ticks(), date([local]).
 */
import { LuaRaise } from '../vm/lua-error.js';
import { T_BOOLEAN, T_NIL, T_STRING, T_TABLE, T_USERDATA, type LState, type LuaVM } from '../vm/lua-vm.js';
import { HandleTag, newTaggedBlock, taggedBlock } from '../vm/handles.js';
import type { BaContext } from './context.js';
import { pushRecord } from '../vm/lua-values.js';

const MT = 'BDTz';
const BILLION = 1_000_000_000;
const MIN_SEC = -62135596800; // 0001-01-01T00:00:00Z
const MAX_SEC = 253402300799; // 9999-12-31T23:59:59Z
const RANGE = 'Invalid datetime range';

/** The current time with its fraction of a second, as BAS's "NOW" has it (ticks() gives the nanoseconds). */
function nowTime(): { sec: number; nsec: number; offset: number } {
  const ms = Date.now();
  const sec = Math.floor(ms / 1000);
  return { sec, nsec: (ms - sec * 1000) * 1_000_000, offset: 0 };
}

export interface DateTime {
  sec: number;
  nsec: number;
  offset: number;
}

function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return [31, 0, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]!;
}

/** Seconds since the epoch of a UTC calendar time (month 1..12); null when out of range. */
export function civilToSec(y: number, mon: number, d: number, h: number, mi: number, s: number): number | null {
  if (y < 1 || y > 9999 || mon < 1 || mon > 12 || d < 1 || d > daysInMonth(y, mon)) return null;
  if (h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59) return null;
  return daysFromCivil(y, mon, d) * 86400 + h * 3600 + mi * 60 + s;
}

/** Calendar fields of seconds since the epoch (UTC). */
export function secToCivil(t: number): { year: number; month: number; day: number; hour: number; min: number; sec: number; wday: number; yday: number } {
  const days = Math.floor(t / 86400);
  const rem = t - days * 86400;
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const wday = (((days + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday
  const yday = days - daysFromCivil(year, 1, 1);
  return { year, month, day, hour: Math.floor(rem / 3600), min: Math.floor((rem % 3600) / 60), sec: rem % 60, wday, yday };
}

const p2 = (n: number): string => String(n).padStart(2, '0');

/** BAS's ISO 8601 text: the nanoseconds, when not 0, are printed as a plain decimal number. */
export function formatIso(t: DateTime, offset = t.offset): string | null {
  const local = t.sec + offset * 60;
  if (local < MIN_SEC || local > MAX_SEC) return null;
  const c = secToCivil(local);
  let s = `${String(c.year).padStart(4, '0')}-${p2(c.month)}-${p2(c.day)}T${p2(c.hour)}:${p2(c.min)}:${p2(c.sec)}`;
  if (t.nsec) s += '.' + t.nsec;
  if (offset === 0) return s + 'Z';
  const a = Math.abs(offset);
  return s + (offset < 0 ? '-' : '+') + p2(Math.floor(a / 60)) + ':' + p2(a % 60);
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/** Parses "YYYY-MM-DD[T ]hh:mm:ss[.frac](Z|±hh:mm)"; null when not that or out of range. */
export function parseIso(s: string): DateTime | null {
  const m = ISO.exec(s);
  if (!m) return null;
  const sec = civilToSec(+m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  if (sec === null) return null;
  const frac = m[7] ?? '';
  const nsec = frac ? Number(frac.slice(0, 9).padEnd(9, '0')) : 0;
  let offset = 0;
  if (m[9]) {
    const oh = +m[10]!;
    const om = +m[11]!;
    if (oh > 23 || om > 59) return null;
    offset = (m[9] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  return { sec: sec - offset * 60, nsec, offset };
}

function normalize(t: DateTime): DateTime {
  if (t.nsec >= BILLION) {
    t.sec++;
    t.nsec -= BILLION;
  } else if (t.nsec < 0) {
    t.sec--;
    t.nsec += BILLION;
  }
  return t;
}

function cmp(a: DateTime, b: DateTime): number {
  return a.sec !== b.sec ? (a.sec < b.sec ? -1 : 1) : a.nsec !== b.nsec ? (a.nsec < b.nsec ? -1 : 1) : 0;
}

/**
 * The object is a tagged block holding the time itself: [tag][sec low][sec high][nsec][offset];
 * `D` is where the time starts.
 */
const D = 4;
const SIZE = D + 16;

export class DateTimeLib {
  private mtRef = 0;

  constructor(readonly ctx: BaContext) {}

  private get vm(): LuaVM {
    return this.ctx.vm;
  }

  install(L: LState): void {
    const vm = this.vm;
    vm.newMetatable(L, MT);
    vm.pushValue(L, -1);
    vm.setField(L, -2, '__index');
    vm.setHost(L, -1, '__add', (L) => this.arith(L, true));
    vm.setHost(L, -1, '__sub', (L) => this.arith(L, false));
    vm.setHost(L, -1, '__eq', (L) => this.compare(L, (c) => c === 0));
    vm.setHost(L, -1, '__lt', (L) => this.compare(L, (c) => c < 0));
    vm.setHost(L, -1, '__le', (L) => this.compare(L, (c) => c <= 0));
    const tostr = (L: LState): number => {
      const t = this.check(L, 1);
      const s = vm.isInteger(L, 2) ? formatIso(t, vm.toInteger(L, 2)!) : formatIso(t);
      vm.pushString(L, s ?? RANGE);
      return 1;
    };
    vm.setHost(L, -1, '__tostring', tostr);
    vm.setHost(L, -1, 'tostring', tostr);
    vm.setHost(L, -1, 'offset', (L) => {
      const p = this.ptr(L, 1);
      const t = this.read(p);
      if (vm.isInteger(L, 2)) {
        const n = vm.toInteger(L, 2)!;
        if (n < -1439 || n > 1439) throw new LuaRaise('Offset range');
        vm.writeI32(p + 12, n);
      }
      vm.pushInteger(L, t.offset);
      return 1;
    });
    vm.setHost(L, -1, 'ticks', (L) => {
      const t = this.check(L, 1);
      vm.pushInteger(L, t.sec);
      vm.pushInteger(L, t.nsec);
      vm.pushInteger(L, t.offset);
      return 3;
    });
    vm.setHost(L, -1, 'date', (L) => {
      const t = this.check(L, 1);
      const local = vm.type(L, 2) === T_BOOLEAN && vm.toBoolean(L, 2);
      const s = t.sec + (local ? t.offset * 60 : 0);
      if (s < MIN_SEC || s > MAX_SEC) {
        vm.pushNil(L);
        vm.pushString(L, RANGE);
        return 2;
      }
      const c = secToCivil(s);
      pushRecord(vm, L, {
        nsec: t.nsec,
        sec: c.sec,
        min: c.min,
        hour: c.hour,
        day: c.day,
        month: c.month,
        year: c.year,
        wday: c.wday + 1,
        yday: c.yday + 1,
        offset: t.offset,
      });
      return 1;
    });
    this.mtRef = vm.ref(L);

    this.ctx.pushBa(L);
    vm.setHost(L, -1, 'datetime', (L) => this.create(L));
    vm.pop(L, 1);
  }

  /** Pushes a new datetime object. */
  push(L: LState, t: DateTime): void {
    this.write(newTaggedBlock(this.vm, L, HandleTag.datetime, SIZE, this.mtRef) + D, t);
  }

  private write(p: number, t: DateTime): void {
    // sec as two 32-bit halves (low, high) of a 64-bit integer
    const lo = Number(BigInt.asIntN(32, BigInt(t.sec)));
    const hi = Math.floor((t.sec - (lo >>> 0)) / 0x1_0000_0000);
    this.vm.writeI32(p, lo);
    this.vm.writeI32(p + 4, hi);
    this.vm.writeI32(p + 8, t.nsec);
    this.vm.writeI32(p + 12, t.offset);
  }

  private read(p: number): DateTime {
    const vm = this.vm;
    return { sec: vm.readI32(p + 4) * 0x1_0000_0000 + (vm.readI32(p) >>> 0), nsec: vm.readI32(p + 8), offset: vm.readI32(p + 12) };
  }

  private ptr(L: LState, i: number): number {
    const p = taggedBlock(this.vm, L, i, HandleTag.datetime);
    if (!p) this.ctx.args.typeError(L, i, 'ba.datetime', MT);
    return p + D;
  }

  check(L: LState, i: number): DateTime {
    return this.read(this.ptr(L, i));
  }

  private int(v: number | null): number {
    return v ?? 0;
  }

  /** An integer field of the table at `idx`, or `def` when absent. */
  private field(L: LState, idx: number, name: string, def: number): number {
    const vm = this.vm;
    const t = vm.getField(L, idx, name);
    const v = vm.isInteger(L, -1) ? vm.toInteger(L, -1) : null;
    vm.pop(L, 1);
    if (v === null) {
      if (t === T_NIL) return def;
      throw new LuaRaise(`field '${name}' is not an integer`);
    }
    return v;
  }

  /** An amount to add: nanoseconds, or a {days, hours, mins, secs, nsecs} table. */
  private amount(L: LState, i: number, fname: string): { sec: number; nsec: number } {
    const vm = this.vm;
    if (vm.type(L, i) === T_TABLE) {
      const sec = this.field(L, i, 'days', 0) * 86400 + this.field(L, i, 'hours', 0) * 3600 + this.field(L, i, 'mins', 0) * 60 + this.field(L, i, 'secs', 0);
      const nsec = this.field(L, i, 'nsecs', 0);
      if (nsec >= BILLION || nsec <= -BILLION) throw new LuaRaise('nsec range');
      return { sec, nsec };
    }
    const n = this.ctx.args.checkInteger(L, i, fname);
    return { sec: Math.trunc(n / BILLION), nsec: n % BILLION };
  }

  private create(L: LState): number {
    const vm = this.vm;
    const fname = 'ba.datetime';
    const top = vm.top(L);
    let t: DateTime;
    let addAt = 2;
    const t1 = vm.type(L, 1);
    const fail = (): number => {
      vm.pushNil(L);
      vm.pushString(L, RANGE);
      return 2;
    };
    if (t1 === T_STRING) {
      const s = vm.toStr(L, 1) ?? '';
      const c = s.charAt(1);
      if (c === 'O') {
        t = nowTime();
        if (top > 1 && vm.isInteger(L, 2)) {
          t.offset = vm.toInteger(L, 2)!;
          addAt++;
        }
      } else if (c === 'I') t = { sec: MIN_SEC, nsec: 0, offset: 0 };
      else if (c === 'A') t = { sec: MAX_SEC, nsec: BILLION - 1, offset: 0 };
      else {
        const r = parseIso(s);
        if (!r) return fail();
        t = r;
      }
      if (c === 'I' || c === 'A') {
        this.push(L, t);
        return 1;
      }
    } else if (t1 === T_TABLE) {
      let local = false;
      if (top > 1 && vm.type(L, 2) === T_BOOLEAN) {
        local = vm.toBoolean(L, 2);
        addAt++;
      }
      const y = this.field(L, 1, 'year', 1);
      const mon = this.field(L, 1, 'month', 1);
      const d = this.field(L, 1, 'day', 1);
      const h = this.field(L, 1, 'hour', 0);
      const mi = this.field(L, 1, 'min', 0);
      const s = this.field(L, 1, 'sec', 0);
      const nsec = this.field(L, 1, 'nsec', 0);
      const offset = this.field(L, 1, 'offset', 0);
      const sec = civilToSec(y, mon, d, h, mi, s);
      if (sec === null || nsec < 0 || nsec >= BILLION) return fail();
      t = { sec: sec - (local ? offset * 60 : 0), nsec, offset };
    } else if (top === 0) {
      t = nowTime();
    } else {
      t = {
        sec: this.ctx.args.checkInteger(L, 1, fname),
        nsec: top > 1 ? this.int(this.ctx.args.optInteger(L, 2, fname, 0)) : 0,
        offset: top > 2 ? this.int(this.ctx.args.optInteger(L, 3, fname, 0)) : 0,
      };
      addAt = 4;
    }
    if (top >= addAt) {
      const a = this.amount(L, addAt, fname);
      t.sec += a.sec;
      t.nsec += a.nsec;
    }
    this.push(L, normalize(t));
    return 1;
  }

  private arith(L: LState, add: boolean): number {
    const vm = this.vm;
    const a = this.check(L, 1);
    if (vm.type(L, 2) === T_USERDATA) {
      const b = this.check(L, 2);
      if (add) throw new LuaRaise('Invalid op: datetime + datetime');
      if (cmp(a, b) < 0) throw new LuaRaise('datetime1 < datetime2');
      vm.pushInteger(L, BigInt(a.sec - b.sec) * BigInt(BILLION) + BigInt(a.nsec - b.nsec));
      return 1;
    }
    const d = this.amount(L, 2, add ? '__add' : '__sub');
    const sign = add ? 1 : -1;
    this.push(L, normalize({ sec: a.sec + sign * d.sec, nsec: a.nsec + sign * d.nsec, offset: a.offset }));
    return 1;
  }

  private compare(L: LState, f: (c: number) => boolean): number {
    this.vm.pushBoolean(L, f(cmp(this.check(L, 1), this.check(L, 2))));
    return 1;
  }
}

/** Registers ba.datetime. */
export function installDateTime(ctx: BaContext): DateTimeLib {
  const lib = new DateTimeLib(ctx);
  lib.install(ctx.vm.L);
  return lib;
}
