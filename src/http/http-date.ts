/**
 * HTTP dates (RFC 9110 §5.6.7): formatting the preferred IMF-fixdate, and parsing all three
 * formats a recipient must accept, for If-Modified-Since and If-Range.
 */

let cachedSecond = -1;
let cachedText = '';

/**
 * IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT". Cached per second because every response
 * carries a Date header and toUTCString() is not free.
 */
export function httpDate(date: Date = new Date()): string {
  const second = Math.floor(date.getTime() / 1000);
  if (second !== cachedSecond) {
    cachedSecond = second;
    // toUTCString() produces exactly the IMF-fixdate layout (ECMA-262 Date.prototype.toUTCString).
    cachedText = new Date(second * 1000).toUTCString();
  }
  return cachedText;
}

/** httpDate() of the current time without a Date object per call. */
export function httpDateNow(): string {
  const second = Math.floor(Date.now() / 1000);
  if (second !== cachedSecond) {
    cachedSecond = second;
    cachedText = new Date(second * 1000).toUTCString();
  }
  return cachedText;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

// IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
const IMF = /^[A-Za-z]{3}, (\d{2}) ([A-Za-z]{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
// obsolete RFC 850: Sunday, 06-Nov-94 08:49:37 GMT
const RFC850 = /^[A-Za-z]{6,9}, (\d{2})-([A-Za-z]{3})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
// obsolete asctime: Sun Nov  6 08:49:37 1994
const ASCTIME = /^[A-Za-z]{3} ([A-Za-z]{3}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/;

/**
 * Milliseconds since the epoch, or null when `text` is not an HTTP date. RFC 9110 §13.1.3 says
 * an invalid If-Modified-Since is ignored, so callers treat null as "header absent".
 */
export function parseHttpDate(text: string): number | null {
  const s = text.trim();
  let day: string, mon: string, year: number, hh: string, mm: string, ss: string;
  let m = IMF.exec(s);
  if (m) {
    [, day, mon, , hh, mm, ss] = m as unknown as string[];
    year = Number(m[3]);
  } else if ((m = RFC850.exec(s))) {
    [, day, mon, , hh, mm, ss] = m as unknown as string[];
    // RFC 9110 §5.6.7: a two-digit year more than 50 years in the future is in the past century.
    const yy = Number(m[3]);
    const nowYear = new Date().getUTCFullYear();
    year = 2000 + yy;
    if (year > nowYear + 50) year -= 100;
  } else if ((m = ASCTIME.exec(s))) {
    mon = m[1];
    day = m[2].trim();
    hh = m[3];
    mm = m[4];
    ss = m[5];
    year = Number(m[6]);
  } else {
    return null;
  }
  const month = MONTHS.indexOf(mon.toLowerCase());
  if (month < 0) return null;
  const d = Number(day);
  const h = Number(hh);
  const mi = Number(mm);
  const se = Number(ss);
  if (d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) return null;
  const t = Date.UTC(year, month, d, h, mi, se);
  return Number.isFinite(t) ? t : null;
}
