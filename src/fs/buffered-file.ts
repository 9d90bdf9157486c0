/**
 * An open file as the Lua bindings see it, and the operations on it, written as fs-op
 * generators so they run asynchronously (normal case) or synchronously (where Lua cannot
 * yield) with the same code.
 *
 * Reads go through a read-ahead buffer and writes through a write-behind buffer, like C
 * stdio, so that `f:read()` in a loop or many small `f:write` calls complete without a trip
 * to the thread pool (and without suspending the coroutine) most of the time. The logical
 * position `pos` is tracked here; reads and writes are positional, so the OS file offset is
 * never relied upon (except in append mode, where the OS appends).
 */
import { close, fstat, open, read, write, IoError, type FsOp } from './fs-op.js';

/** Bytes fetched per read-ahead request. */
export const READ_CHUNK = 64 * 1024;
/** Buffered write data above which a write waits for the disk. */
export const WRITE_BEHIND = 64 * 1024;
const EMPTY = Buffer.alloc(0);

export class LFile {
  closed = false;
  /** An asynchronous operation is in flight; later operations queue behind it. */
  busy = false;
  readonly queue: Array<() => void> = [];
  /** Logical position of the next byte the script reads or writes. */
  pos = 0;
  /** Read-ahead data: rbuf[rOff..] holds the file bytes at pos, pos+1, ... */
  rbuf: Buffer = EMPTY;
  rOff = 0;
  /** Write-behind data: wlen bytes to be written at file position wpos. */
  wbuf: Uint8Array[] = [];
  wlen = 0;
  wpos = 0;

  constructor(
    readonly fd: number,
    readonly append: boolean,
  ) {}

  get avail(): number {
    return this.rbuf.length - this.rOff;
  }

  /** Removes and returns n buffered bytes (n <= avail). */
  take(n: number): Buffer {
    const b = this.rbuf.subarray(this.rOff, this.rOff + n);
    this.rOff += n;
    this.pos += n;
    if (this.rOff === this.rbuf.length) {
      this.rbuf = EMPTY;
      this.rOff = 0;
    }
    return b;
  }

  dropReadAhead(): void {
    this.rbuf = EMPTY;
    this.rOff = 0;
  }
}

/** Writes out everything buffered by `writeData`. */
export function* flushWrites(f: LFile): FsOp<void> {
  while (f.wlen > 0) {
    const data = f.wbuf.length === 1 ? f.wbuf[0]! : Buffer.concat(f.wbuf);
    const at = f.wpos;
    f.wbuf = [];
    f.wlen = 0;
    let off = 0;
    while (off < data.length) {
      const n = yield* write(f.fd, data.subarray(off), f.append ? null : at + off);
      off += n;
    }
    if (f.append) f.pos = (yield* fstat(f.fd)).size;
  }
}

/**
 * Makes at least `want` bytes available in the read-ahead buffer; false when end of file came
 * first (whatever was read is still buffered).
 */
export function* fill(f: LFile, want: number): FsOp<boolean> {
  if (f.wlen) yield* flushWrites(f);
  while (f.avail < want) {
    const size = Math.max(READ_CHUNK, want - f.avail);
    const chunk = Buffer.allocUnsafe(size);
    const got = yield* read(f.fd, chunk, 0, size, f.pos + f.avail);
    if (got === 0) return false;
    const rest = f.rbuf.subarray(f.rOff);
    f.rbuf = rest.length ? Buffer.concat([rest, chunk.subarray(0, got)]) : chunk.subarray(0, got);
    f.rOff = 0;
  }
  return true;
}

/** Up to n bytes; null at end of file. n = 0 gives "" unless at end of file. */
export function* readBytes(f: LFile, n: number): FsOp<Buffer | null> {
  yield* fill(f, Math.max(n, 1));
  if (f.avail === 0) return null;
  return f.take(Math.min(n, f.avail));
}

/** The rest of the file ("" at end of file). */
export function* readAll(f: LFile): FsOp<Buffer> {
  while (yield* fill(f, f.avail + READ_CHUNK * 16));
  return Buffer.from(f.take(f.avail));
}

/** The next line (with its "\n" when keepNl), or null at end of file. */
export function* readLine(f: LFile, keepNl: boolean): FsOp<Buffer | null> {
  let from = 0;
  for (;;) {
    const nl = f.rbuf.indexOf(0x0a, f.rOff + from);
    if (nl >= 0) {
      const line = f.take(nl - f.rOff + 1);
      return keepNl ? line : line.subarray(0, line.length - 1);
    }
    from = f.avail;
    if (!(yield* fill(f, f.avail + 1))) {
      return f.avail === 0 ? null : f.take(f.avail);
    }
  }
}

/** Next byte without consuming it, or -1 at end of file. */
function* peek(f: LFile): FsOp<number> {
  if (f.avail === 0 && !(yield* fill(f, 1))) return -1;
  return f.rbuf[f.rOff]!;
}

const isDigit = (c: number, hex: boolean): boolean =>
  (c >= 0x30 && c <= 0x39) || (hex && ((c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46)));

/**
 * The longest prefix that can be a Lua numeral (what Lua's `read("n")` scans: optional sign,
 * hex prefix, digits, point, exponent), at most 200 bytes, after skipping whitespace. The
 * caller converts it with lua_stringtonumber; "" or a bad numeral gives fail.
 */
export function* readNumeral(f: LFile): FsOp<string> {
  let c = yield* peek(f);
  while (c === 0x20 || (c >= 0x09 && c <= 0x0d)) {
    f.take(1);
    c = yield* peek(f);
  }
  let out = '';
  const accept = function* (set: string): FsOp<boolean> {
    const ch = yield* peek(f);
    if (ch >= 0 && set.includes(String.fromCharCode(ch)) && out.length < 200) {
      out += String.fromCharCode(ch);
      f.take(1);
      return true;
    }
    return false;
  };
  const digits = function* (hex: boolean): FsOp<number> {
    let n = 0;
    for (;;) {
      const ch = yield* peek(f);
      if (ch < 0 || !isDigit(ch, hex) || out.length >= 200) return n;
      out += String.fromCharCode(ch);
      f.take(1);
      n++;
    }
  };
  yield* accept('+-');
  let hex = false;
  let count = 0;
  if (yield* accept('0')) {
    count = 1;
    hex = yield* accept('xX');
    if (hex) count = 0;
  }
  count += yield* digits(hex);
  if (yield* accept('.')) count += yield* digits(hex);
  if (count > 0 && (yield* accept(hex ? 'pP' : 'eE'))) {
    yield* accept('+-');
    yield* digits(false);
  }
  return out;
}

/** Buffers `data` for writing at the current position; waits only when the buffer is full. */
export function* writeData(f: LFile, data: Uint8Array): FsOp<void> {
  if (f.avail) f.dropReadAhead();
  if (f.wlen === 0) f.wpos = f.pos;
  f.wbuf.push(data);
  f.wlen += data.length;
  f.pos += data.length;
  if (f.wlen >= WRITE_BEHIND) yield* flushWrites(f);
}

export type Whence = 'set' | 'cur' | 'end';

/** Moves the position; returns the new position. */
export function* seek(f: LFile, whence: Whence, offset: number): FsOp<number> {
  yield* flushWrites(f);
  let base = 0;
  if (whence === 'cur') base = f.pos;
  else if (whence === 'end') base = (yield* fstat(f.fd)).size;
  const to = base + offset;
  if (to < 0) throw new IoError('ioerror', 'Invalid argument');
  f.dropReadAhead();
  f.pos = to;
  return to;
}

/** Flushes and closes; the descriptor is closed even when the flush fails. */
export function* closeFile(f: LFile): FsOp<void> {
  f.closed = true;
  try {
    yield* flushWrites(f);
  } finally {
    f.dropReadAhead();
    yield* close(f.fd);
  }
}

/** Node open flags for a BAS/Lua mode string, or null when the mode is invalid. */
export function openFlags(mode: string): { flags: string; append: boolean; write: boolean } | null {
  const m = /^([rwa])(\+?)b*$/.exec(mode);
  if (!m) return null;
  const plus = m[2] === '+';
  return { flags: m[1]! + (plus ? '+' : ''), append: m[1] === 'a', write: m[1] !== 'r' || plus };
}

/** Opens `path` as an LFile; directories are refused like BAS does. */
export function* openFile(path: string, flags: string, append: boolean): FsOp<LFile> {
  const fd = yield* open(path, flags);
  let isDir: boolean;
  try {
    isDir = (yield* fstat(fd)).isDirectory();
  } catch (e) {
    yield* close(fd);
    throw e;
  }
  if (isDir) {
    yield* close(fd);
    throw new IoError('noaccess', 'Is a directory');
  }
  return new LFile(fd, append);
}

