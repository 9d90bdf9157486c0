/**
 * An ordered list of HTTP header fields. Names keep the case they were received or set with
 * (request:header() hands them to Lua as sent, and some peers care how response names are
 * spelled); lookups ignore case (RFC 9110 §5.1).
 *
 * Strings here are byte strings: one JS char per byte (latin1), because header values may carry
 * obs-text bytes (RFC 9110 §5.5) that must reach Lua unchanged. Convert with
 * `Buffer.from(value, 'latin1')` before handing them to the VM.
 */
/**
 * Lower-cased header names, cached: the same few names are looked up for every request and
 * response, and toLowerCase() allocates a new string for each mixed-case one.
 */
const lowered = new Map<string, string>();
function lowerName(name: string): string {
  let k = lowered.get(name);
  if (k === undefined) {
    k = name.toLowerCase();
    // Bounded: a peer sending made-up names must not grow it (at most 1024 short names).
    if (lowered.size < 1024 && name.length <= 40) lowered.set(name, k);
  }
  return k;
}

export class HeaderList implements Iterable<[string, string]> {
  private readonly names: string[] = [];
  private readonly keys: string[] = [];
  private readonly values: string[] = [];

  constructor(init?: Iterable<readonly [string, string]>) {
    if (init) for (const [n, v] of init) this.add(n, v);
  }

  /** Number of fields, counting repeated names separately. */
  get size(): number {
    return this.names.length;
  }

  /** Appends a field, keeping any earlier fields of the same name. */
  add(name: string, value: string): void {
    this.append(name, value);
  }

  /** add() with the lower-cased name at hand. */
  protected addKey(name: string, value: string, key: string): void {
    this.append(name, value, key);
  }

  private append(name: string, value: string, key = lowerName(name)): void {
    this.names.push(name);
    this.keys.push(key);
    this.values.push(value);
  }

  /**
   * The field's value; repeated fields are joined with ", " as RFC 9110 §5.3 allows for list
   * fields. Use getAll() for Set-Cookie, which must not be combined.
   */
  get(name: string): string | undefined {
    return this.getKey(lowerName(name));
  }

  /**
   * The *Key methods take the lower-cased name (a constant of the caller's): the server's own
   * lookups skip lower-casing, a map lookup each.
   */
  getKey(key: string): string | undefined {
    let out: string | undefined;
    for (let i = 0; i < this.keys.length; i++) {
      if (this.keys[i] !== key) continue;
      out = out === undefined ? this.values[i] : `${out}, ${this.values[i]}`;
    }
    return out;
  }

  /** Every value of the field, in order. */
  getAll(name: string): string[] {
    return this.getAllKey(lowerName(name));
  }

  getAllKey(key: string): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.keys.length; i++) if (this.keys[i] === key) out.push(this.values[i]);
    return out;
  }

  has(name: string): boolean {
    return this.keys.includes(lowerName(name));
  }

  hasKey(key: string): boolean {
    return this.keys.includes(key);
  }

  /** Replaces all fields of that name with one, at the position of the first one. */
  set(name: string, value: string): void {
    this.setKey(name, value, lowerName(name));
  }

  /** set() with the lower-cased name at hand. */
  protected setKey(name: string, value: string, key: string): void {
    const at = this.keys.indexOf(key);
    if (at < 0) {
      this.append(name, value, key);
      return;
    }
    this.names[at] = name;
    this.values[at] = value;
    for (let i = this.keys.length - 1; i > at; i--) if (this.keys[i] === key) this.removeAt(i);
  }

  /** Removes every field of that name; returns whether there was one. */
  delete(name: string): boolean {
    return this.deleteKey(lowerName(name));
  }

  deleteKey(key: string): boolean {
    let found = false;
    for (let i = this.keys.length - 1; i >= 0; i--) {
      if (this.keys[i] === key) {
        this.removeAt(i);
        found = true;
      }
    }
    return found;
  }

  clear(): void {
    this.names.length = 0;
    this.keys.length = 0;
    this.values.length = 0;
  }

  /** Name (as sent) of the i-th field; with valueAt(), iteration without allocation. */
  nameAt(i: number): string {
    return this.names[i]!;
  }

  /** Value of the i-th field (0 <= i < size). */
  valueAt(i: number): string {
    return this.values[i]!;
  }

  /** [name as sent, value] pairs in order. */
  entries(): Array<[string, string]> {
    return this.names.map((n, i): [string, string] => [n, this.values[i]]);
  }

  [Symbol.iterator](): Iterator<[string, string]> {
    return this.entries()[Symbol.iterator]();
  }

  private removeAt(i: number): void {
    this.names.splice(i, 1);
    this.keys.splice(i, 1);
    this.values.splice(i, 1);
  }
}
