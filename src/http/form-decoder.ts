/**
 * application/x-www-form-urlencoded decoding (WHATWG URL §5.1), for query strings and form
 * bodies behind request:data(). Names and values are byte strings (one char per
 * byte, latin1) so UTF-8 or any other bytes a browser sent reach Lua unchanged; see
 * header-list.ts for the convention.
 */
import { percentDecode } from './percent-decode.js';

/** Decoded parameters in the order sent; a repeated name keeps every occurrence. */
export class FormParams implements Iterable<[string, string]> {
  constructor(readonly pairs: ReadonlyArray<[string, string]> = []) {}

  get size(): number {
    return this.pairs.length;
  }

  /** The first value sent for `name`. */
  get(name: string): string | undefined {
    for (const [n, v] of this.pairs) if (n === name) return v;
    return undefined;
  }

  /** Every value sent for `name`, in order. */
  getAll(name: string): string[] {
    const out: string[] = [];
    for (const [n, v] of this.pairs) if (n === name) out.push(v);
    return out;
  }

  has(name: string): boolean {
    return this.pairs.some(([n]) => n === name);
  }

  /** Parameters of both lists, `this` first (query string before form body). */
  concat(other: FormParams): FormParams {
    return new FormParams([...this.pairs, ...other.pairs]);
  }

  [Symbol.iterator](): Iterator<[string, string]> {
    return this.pairs[Symbol.iterator]();
  }
}

/**
 * Splits on "&", decodes "+" as space and %XX escapes to bytes; an invalid escape is kept
 * literally and a piece without "=" has the empty value, as browsers do.
 */
export function decodeForm(input: string | Uint8Array): FormParams {
  const text = typeof input === 'string' ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('latin1');
  const pairs: Array<[string, string]> = [];
  for (const piece of text.split('&')) {
    if (piece.length === 0) continue;
    const eq = piece.indexOf('=');
    const rawName = eq < 0 ? piece : piece.slice(0, eq);
    const rawValue = eq < 0 ? '' : piece.slice(eq + 1);
    pairs.push([decodeComponent(rawName), decodeComponent(rawValue)]);
  }
  return new FormParams(pairs);
}

function decodeComponent(s: string): string {
  // Fast path: most names and many values need no decoding at all.
  if (!/[%+]/.test(s)) return s;
  return (percentDecode(s, { plusAsSpace: true }) as Buffer).toString('latin1');
}

/**
 * The parameters behind request:data(): the query string's, then those of an
 * application/x-www-form-urlencoded body. Other body types are the page's business.
 */
export function decodeRequestParams(query: string | null, contentType: string | undefined, body: Uint8Array): FormParams {
  const fromQuery = query ? decodeForm(query) : new FormParams();
  const media = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (media !== 'application/x-www-form-urlencoded' || body.byteLength === 0) return fromQuery;
  return fromQuery.concat(decodeForm(body));
}
