/**
 * Cookies as BAS keeps them: reading the Cookie header field of a request, and the response's
 * list of cookies (`CookieJar`) behind request:cookie()/createcookie() and the session cookie.
 *
 * Strings here are byte strings (one char per byte), as header values are.
 *
 * BAS's model: a response holds one list of cookie objects. Looking up a received cookie puts it
 * into that list (a second lookup, or createcookie of the same name, gives the same cookie);
 * createcookie appends a new one. Only cookies that were activated are sent, each as its own
 * Set-Cookie field, when the response head goes out (so a change made after activate() still
 * counts). A field is followed by "; " when its cookie is not the last of the list.
 */
import { hexDigit } from './percent-decode.js';

/** Cookies of a request as name -> value (first occurrence wins). */
function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!header) return out;
  for (const piece of header.split(';')) {
    const eq = piece.indexOf('=');
    if (eq < 0) continue;
    const name = piece.slice(0, eq).trim();
    let value = piece.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (name && !out.has(name)) out.set(name, value);
  }
  return out;
}

/**
 * The value of cookie `name` in a Cookie header field, if any, as sent (quotes removed, no
 * percent-decoding): the server's own cookies (session, form login) hold plain tokens.
 */
export function cookieValue(headerValue: string | undefined, name: string): string | undefined {
  // No Cookie field (most requests): no map to build (the session lookup runs per request).
  if (!headerValue) return undefined;
  return parseCookies(headerValue).get(name);
}

/**
 * A received cookie value decoded as BAS does: `%XX` is a byte, `%uXXXX` (JavaScript's escape())
 * a character in UTF-8, `+` a space; an incomplete escape stays as it is.
 */
export function unescapeCookie(s: string): string {
  if (!/[%+]/.test(s)) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x2b) {
      out += ' ';
      continue;
    }
    if (c !== 0x25) {
      out += s[i];
      continue;
    }
    const h1 = hexDigit(s.charCodeAt(i + 1));
    const h2 = hexDigit(s.charCodeAt(i + 2));
    if (h1 >= 0 && h2 >= 0) {
      out += String.fromCharCode(h1 * 16 + h2);
      i += 2;
      continue;
    }
    if (s[i + 1] === 'u') {
      let cp = 0;
      let ok = true;
      for (let k = 2; k < 6; k++) {
        const h = hexDigit(s.charCodeAt(i + k));
        if (h < 0) ok = false;
        cp = cp * 16 + h;
      }
      if (ok) {
        // UTF-8 as bytes (a byte string); BAS encodes the code unit, surrogates included.
        if (cp < 0x80) out += String.fromCharCode(cp);
        else if (cp < 0x800) out += String.fromCharCode(0xc0 | (cp >> 6), 0x80 | (cp & 0x3f));
        else out += String.fromCharCode(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
        i += 5;
        continue;
      }
    }
    out += '%';
  }
  return out;
}

/**
 * The bytes BAS percent-encodes in a Set-Cookie value (and in domain, path, comment), as
 * lower-case `%xx`; every other byte goes as it is. Control characters are encoded here too
 * (BAS sends them raw, which no header may carry).
 */
const ESCAPED = new Uint8Array(256);
for (const ch of '\t\n\r #$%&+,;<=>?@[\\]^`{|}~\'') ESCAPED[ch.charCodeAt(0)] = 1;
for (let c = 0; c < 0x20; c++) ESCAPED[c] = 1;
ESCAPED[0x7f] = 1;

export function escapeCookie(s: string): string {
  let out = '';
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (ESCAPED[c & 0xff] === 0) continue;
    out += s.slice(from, i) + '%' + (c < 16 ? '0' : '') + c.toString(16);
    from = i + 1;
  }
  return from === 0 ? s : out + s.slice(from);
}

/** True when `name` can be sent as a cookie name (BAS sends any; a control character cannot go into a header). */
export function isCookieName(name: string): boolean {
  // eslint-disable-next-line no-control-regex
  return !/[\x00-\x08\x0a-\x1f\x7f]/.test(name);
}

/** One cookie of a response (BAS's HttpCookie). */
export class ResponseCookie {
  value: string | null = null;
  domain: string | null = null;
  path: string | null = null;
  comment: string | null = null;
  /** Seconds; sent as an `expires` date when above 0. */
  maxAge = 0;
  /** maxage(0) or delete(): sent with an `expires` date in 1970. */
  deleted = false;
  secure = false;
  httpOnly = false;
  /** Sent with the response head. */
  active = false;

  constructor(readonly name: string) {}

  setMaxAge(seconds: number): void {
    this.maxAge = seconds;
    this.deleted = seconds === 0;
  }
}

/** The first cookie named exactly `name` in a Cookie field, with its value decoded; undefined when none. */
export function receivedCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const piece of header.split(';')) {
    const eq = piece.indexOf('=');
    if (eq < 0 || piece.slice(0, eq).trim() !== name) continue;
    // The value keeps quotes and trailing blanks, as BAS's does; leading blanks go.
    return unescapeCookie(piece.slice(eq + 1).replace(/^[ \t]+/, ''));
  }
  return undefined;
}

/** The last second a JavaScript Date holds (a larger maxage is sent as this date). */
const MAX_DATE_S = 8.64e12;

export class CookieJar {
  readonly list: ResponseCookie[] = [];

  /** The index of the cookie named `name` in the list, or -1. */
  indexOf(name: string): number {
    for (let i = 0; i < this.list.length; i++) if (this.list[i].name === name) return i;
    return -1;
  }

  /** The cookie named `name`, appended to the list when there is none (createcookie). */
  create(name: string): number {
    const i = this.indexOf(name);
    if (i >= 0) return i;
    this.list.push(new ResponseCookie(name));
    return this.list.length - 1;
  }

  /**
   * The cookie named `name` already in the list, else the one the request sent (then put into
   * the list); -1 when neither. `header` is the request's first Cookie field.
   */
  received(header: string | undefined, name: string): number {
    const i = this.indexOf(name);
    if (i >= 0) return i;
    const value = receivedCookie(header, name);
    if (value === undefined) return -1;
    const c = new ResponseCookie(name);
    c.value = value;
    this.list.push(c);
    return this.list.length - 1;
  }

  /** The Set-Cookie field values of the activated cookies, in list order. */
  fields(nowMs: number): string[] {
    const out: string[] = [];
    const n = this.list.length;
    for (let i = 0; i < n; i++) {
      const c = this.list[i];
      if (!c.active) continue;
      let f = `${c.name}=${c.value === null ? '' : escapeCookie(c.value)}`;
      if (c.domain !== null) f += `; domain=${escapeCookie(c.domain)}`;
      if (c.path !== null) f += `; path=${escapeCookie(c.path)}`;
      if (c.deleted) f += '; expires=Thu, 01 Jan 1970 00:00:00 GMT';
      else if (c.maxAge > 0) f += `; expires=${new Date(Math.min(Math.floor(nowMs / 1000) + c.maxAge, MAX_DATE_S) * 1000).toUTCString()}`;
      if (c.secure) f += '; secure';
      if (c.httpOnly) f += '; HttpOnly';
      if (c.comment !== null) f += `; comment=${escapeCookie(c.comment)}`;
      if (i < n - 1) f += '; ';
      out.push(f);
    }
    return out;
  }
}
