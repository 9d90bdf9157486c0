/**
 * Named pipes (FIFOs) for ba.pipe: making one, and opening one without blocking. Node has no
 * mkfifo binding, so the system's `mkfifo` tool makes it (argument vector, no shell).
 */
import { spawnSync } from 'node:child_process';
import { constants, openSync } from 'node:fs';
import { IoError } from './fs-op.js';

/** The errno-style code of a strerror() text the mkfifo tool printed. */
const BY_TEXT: Record<string, string> = {
  'File exists': 'exist',
  'No such file or directory': 'enoent',
  'Permission denied': 'noaccess',
  'Not a directory': 'enoent',
  'Read-only file system': 'noaccess',
};

/** Makes the FIFO `path` with permission bits `mode`; throws IoError with the system's message. */
export function makeFifo(path: string, mode: number): void {
  if (path.includes('\0')) throw new IoError('invalidname', 'Invalid argument');
  const r = spawnSync('mkfifo', ['-m', (mode & 0o7777).toString(8), '--', path], { encoding: 'utf8', timeout: 10_000 });
  if (r.error) throw new IoError('ioerror', (r.error as NodeJS.ErrnoException).code === 'ENOENT' ? 'mkfifo tool not found' : r.error.message);
  if (r.status === 0) return;
  // "mkfifo: cannot create fifo 'x': File exists"
  const text = (r.stderr ?? '').trim().split('\n')[0]!;
  const msg = text.slice(text.lastIndexOf(': ') + 2) || 'failed';
  throw new IoError(BY_TEXT[msg] ?? 'ioerror', msg);
}

/**
 * Opens `path` without blocking: read-write (a reader that also keeps the FIFO open) or write
 * only. Returns the file descriptor; throws the system's error (ENXIO: no reader yet).
 */
export function openFifo(path: string, readWrite: boolean): number {
  if (path.includes('\0')) throw new IoError('invalidname', 'Invalid argument');
  return openSync(path, (readWrite ? constants.O_RDWR : constants.O_WRONLY) | constants.O_NONBLOCK);
}
