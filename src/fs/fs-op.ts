/**
 * File-system operations written once, run two ways.
 *
 * An operation is a generator that yields requests (`open`, `read`, `stat`, ...) and receives
 * their results. `runAsync` performs each request with Node's callback API (the libuv thread
 * pool), so the event loop never waits on a disk; `runSync` performs them with the *Sync
 * calls. The Lua bindings use the async form and suspend only the calling coroutine
 * (docs/compat.md); they fall back to the sync form where Lua cannot yield (inside a
 * metamethod, a `require` searcher or a table.sort comparator, or on the main state), which
 * is also what BAS does everywhere.
 *
 * Nothing here knows about Lua.
 */
import fs from 'node:fs';

export type FsReq =
  | { op: 'open'; path: string; flags: string }
  | { op: 'close'; fd: number }
  | { op: 'read'; fd: number; buf: Buffer; off: number; len: number; pos: number | null }
  | { op: 'write'; fd: number; buf: Uint8Array; pos: number | null }
  | { op: 'fstat'; fd: number }
  | { op: 'stat'; path: string }
  | { op: 'readdir'; path: string }
  | { op: 'mkdir'; path: string }
  | { op: 'rmdir'; path: string }
  | { op: 'unlink'; path: string }
  | { op: 'rename'; from: string; to: string }
  | { op: 'readFile'; path: string }
  | { op: 'fetch'; run: (cb: (err: unknown, r?: FetchResult) => void) => void };

/** What a `fetch` request returns (the `net` IO's HTTP client). */
export interface FetchResult {
  status: number;
  /** The first value of a response header field (any case), or undefined. */
  header(name: string): string | undefined;
  body: Buffer;
}

/** An operation: yields requests, returns T. */
export type FsOp<T> = Generator<FsReq, T, unknown>;

// ---- typed request helpers (use with yield*) -------------------------------------------------

export function* open(path: string, flags: string): FsOp<number> {
  return (yield { op: 'open', path, flags }) as number;
}
export function* close(fd: number): FsOp<void> {
  yield { op: 'close', fd };
}
export function* read(fd: number, buf: Buffer, off: number, len: number, pos: number | null): FsOp<number> {
  return (yield { op: 'read', fd, buf, off, len, pos }) as number;
}
export function* write(fd: number, buf: Uint8Array, pos: number | null): FsOp<number> {
  return (yield { op: 'write', fd, buf, pos }) as number;
}
export function* fstat(fd: number): FsOp<fs.Stats> {
  return (yield { op: 'fstat', fd }) as fs.Stats;
}
export function* stat(path: string): FsOp<fs.Stats> {
  return (yield { op: 'stat', path }) as fs.Stats;
}
export function* readdir(path: string): FsOp<fs.Dirent[]> {
  return (yield { op: 'readdir', path }) as fs.Dirent[];
}
export function* mkdir(path: string): FsOp<void> {
  yield { op: 'mkdir', path };
}
export function* rmdir(path: string): FsOp<void> {
  yield { op: 'rmdir', path };
}
export function* unlink(path: string): FsOp<void> {
  yield { op: 'unlink', path };
}
export function* rename(from: string, to: string): FsOp<void> {
  yield { op: 'rename', from, to };
}
export function* readFile(path: string): FsOp<Buffer> {
  return (yield { op: 'readFile', path }) as Buffer;
}
/**
 * A network request `run` performs (the net IO's HTTP client, which errs with an IoError);
 * only where the caller can wait (there is no synchronous form).
 */
export function* fetchUrl(run: (cb: (err: unknown, r?: FetchResult) => void) => void): FsOp<FetchResult> {
  return (yield { op: 'fetch', run }) as FetchResult;
}

// ---- executors -------------------------------------------------------------------------------

function execSync(r: FsReq): unknown {
  switch (r.op) {
    case 'open':
      return fs.openSync(r.path, r.flags, 0o666);
    case 'close':
      return fs.closeSync(r.fd);
    case 'read':
      return fs.readSync(r.fd, r.buf, r.off, r.len, r.pos);
    case 'write':
      return fs.writeSync(r.fd, r.buf, 0, r.buf.length, r.pos);
    case 'fstat':
      return fs.fstatSync(r.fd);
    case 'stat':
      return fs.statSync(r.path);
    case 'readdir':
      return fs.readdirSync(r.path, { withFileTypes: true });
    case 'mkdir':
      return fs.mkdirSync(r.path);
    case 'rmdir':
      return fs.rmdirSync(r.path);
    case 'unlink':
      return fs.unlinkSync(r.path);
    case 'rename':
      return fs.renameSync(r.from, r.to);
    case 'readFile':
      return fs.readFileSync(r.path);
    case 'fetch':
      throw new IoError('ioerror', 'the net IO cannot be used where Lua cannot wait');
  }
}

type Cb = (err: NodeJS.ErrnoException | null, v?: unknown) => void;

function execAsync(r: FsReq, cb: Cb): void {
  switch (r.op) {
    case 'open':
      return fs.open(r.path, r.flags, 0o666, cb);
    case 'close':
      return fs.close(r.fd, cb);
    case 'read':
      return fs.read(r.fd, r.buf, r.off, r.len, r.pos, cb);
    case 'write':
      return fs.write(r.fd, r.buf, 0, r.buf.length, r.pos, cb);
    case 'fstat':
      return fs.fstat(r.fd, cb);
    case 'stat':
      return fs.stat(r.path, cb);
    case 'readdir':
      return fs.readdir(r.path, { withFileTypes: true }, cb);
    case 'mkdir':
      return fs.mkdir(r.path, cb);
    case 'rmdir':
      return fs.rmdir(r.path, cb);
    case 'unlink':
      return fs.unlink(r.path, cb);
    case 'rename':
      return fs.rename(r.from, r.to, cb);
    case 'readFile':
      return fs.readFile(r.path, cb);
    case 'fetch':
      r.run((err, v) => cb(err as NodeJS.ErrnoException | null, v));
      return;
  }
}

/** Result of the first step of an operation: done at once, or waiting on a request. */
export type Step<T> = { done: true; value: T } | { done: false; req: FsReq };

/** Runs `g` up to its first request (or to its end when it needs none). Throws what g throws. */
export function start<T>(g: FsOp<T>): Step<T> {
  const r = g.next();
  return r.done ? { done: true, value: r.value } : { done: false, req: r.value };
}

/** Finishes `g` synchronously from a pending request. */
export function finishSync<T>(g: FsOp<T>, req: FsReq): T {
  let r: IteratorResult<FsReq, T>;
  let next: FsReq = req;
  for (;;) {
    let v: unknown;
    try {
      v = execSync(next);
    } catch (e) {
      r = g.throw(e);
      if (r.done) return r.value;
      next = r.value;
      continue;
    }
    r = g.next(v);
    if (r.done) return r.value;
    next = r.value;
  }
}

export function runSync<T>(g: FsOp<T>): T {
  const s = start(g);
  return s.done ? s.value : finishSync(g, s.req);
}

/** Finishes `g` with asynchronous requests; `cb` is always called from a libuv callback. */
export function finishAsync<T>(g: FsOp<T>, req: FsReq, cb: (err: unknown, v?: T) => void): void {
  const step = (err: NodeJS.ErrnoException | null, v?: unknown): void => {
    let r: IteratorResult<FsReq, T>;
    try {
      r = err ? g.throw(err) : g.next(v);
    } catch (e) {
      cb(e);
      return;
    }
    if (r.done) cb(null, r.value);
    else execAsync(r.value, step);
  };
  execAsync(req, step);
}

export function runAsync<T>(g: FsOp<T>, cb: (err: unknown, v?: T) => void): void {
  let s: Step<T>;
  try {
    s = start(g);
  } catch (e) {
    queueMicrotask(() => cb(e));
    return;
  }
  if (s.done) {
    const v = s.value;
    queueMicrotask(() => cb(null, v));
  } else finishAsync(g, s.req, cb);
}

// ---- errors ----------------------------------------------------------------------------------

/** An error a script caused (bad name, read-only IO) that maps to an IO error code. */
export class IoError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const CODES: Record<string, [string, string]> = {
  ENOENT: ['enoent', 'No such file or directory'],
  ENOTDIR: ['enoent', 'Not a directory'],
  EEXIST: ['exist', 'File exists'],
  EACCES: ['noaccess', 'Permission denied'],
  EPERM: ['noaccess', 'Operation not permitted'],
  EROFS: ['noaccess', 'Read-only file system'],
  EISDIR: ['noaccess', 'Is a directory'],
  ENOTEMPTY: ['notempty', 'Directory not empty'],
  ENOSPC: ['nospace', 'No space left on device'],
  ENAMETOOLONG: ['invalidname', 'File name too long'],
  EINVAL: ['invalidname', 'Invalid argument'],
  EBADF: ['ioerror', 'Bad file descriptor'],
  ENXIO: ['ioerror', 'No such device or address'],
};

/** BAS error code and message for an error from an operation. */
export function ioErrorOf(e: unknown): { code: string; message: string; errno: number } {
  if (e instanceof IoError) return { code: e.code, message: e.message, errno: 0 };
  const ne = e as NodeJS.ErrnoException;
  const hit = ne && typeof ne.code === 'string' ? CODES[ne.code] : undefined;
  const errno = ne && typeof ne.errno === 'number' ? Math.abs(ne.errno) : 0;
  if (hit) return { code: hit[0], message: hit[1], errno };
  if (ne && typeof ne.code === 'string') return { code: 'ioerror', message: ne.code, errno };
  // Not an OS error: a bug, not an outcome; let the caller raise it.
  throw e;
}
