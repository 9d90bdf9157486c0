/** The read buffer of a TCP connection (tcp-conn.ts): a queue of chunks. */

/**
 * The buffered chunks, oldest first. The first chunk has its own slot (usually the only one:
 * no array for an idle connection, nothing allocated per message on a ping-pong one); the
 * others wait in slots [head, tail) of an array that is reused, not shifted.
 */
export class ChunkQueue {
  private f: Buffer | undefined = undefined;
  private rest: Array<Buffer | undefined> | null = null;
  private head = 0;
  private tail = 0;
  get length(): number {
    return this.f === undefined ? 0 : 1 + this.tail - this.head;
  }
  first(): Buffer {
    return this.f!;
  }
  push(b: Buffer): void {
    if (this.f === undefined) this.f = b;
    else (this.rest ??= [])[this.tail++] = b;
  }
  shift(): void {
    if (this.head === this.tail) {
      this.f = undefined;
      return;
    }
    const a = this.rest!;
    this.f = a[this.head];
    a[this.head++] = undefined;
    if (this.head === this.tail) this.head = this.tail = 0;
    else if (this.head >= 64 && this.head * 2 >= this.tail) {
      // Never empty for long (a steady stream): move the live slots to the front.
      const n = this.tail - this.head;
      a.copyWithin(0, this.head, this.tail);
      a.fill(undefined, n, this.tail);
      this.head = 0;
      this.tail = n;
    }
  }
  /** Is `b` the newest chunk? */
  isLast(b: Buffer): boolean {
    return this.head === this.tail ? this.f === b : this.rest![this.tail - 1] === b;
  }
  /** Replaces the newest chunk. */
  setLast(b: Buffer): void {
    if (this.head === this.tail) this.f = b;
    else this.rest![this.tail - 1] = b;
  }
  setFirst(b: Buffer): void {
    this.f = b;
  }
  unshift(b: Buffer): void {
    if (this.f !== undefined) {
      const a = (this.rest ??= []);
      if (this.head > 0) a[--this.head] = this.f;
      else {
        a.splice(0, 0, this.f);
        this.tail++;
      }
    }
    this.f = b;
  }
  /** Removes and returns every chunk. */
  drain(): Buffer[] {
    const out: Buffer[] = [];
    if (this.f !== undefined) out.push(this.f);
    for (let i = this.head; i < this.tail; i++) out.push(this.rest![i]!);
    this.f = undefined;
    this.rest = null;
    this.head = this.tail = 0;
    return out;
  }
}
