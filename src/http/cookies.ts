/** Reading the Cookie header field of a request. */

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

/** The value of cookie `name` in a Cookie header field, if any. */
export function cookieValue(headerValue: string | undefined, name: string): string | undefined {
  // No Cookie field (most requests): no map to build (the session lookup runs per request).
  if (!headerValue) return undefined;
  return parseCookies(headerValue).get(name);
}
