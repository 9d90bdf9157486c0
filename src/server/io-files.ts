/**
 * Files of a resource reader whose IO is not a disk tree (a zip file's IO, the net IO, a
 * Lua-implemented IO; an app run from a zip file): looked up and sent through the IO's
 * `IoSource` face (src/fs/io-source.ts). Disk trees take the server's own disk path
 * (src/http/static-files.ts, the lookup cache, send-file.ts) and never come here.
 *
 * The lookup follows the disk one: no hidden names (".x") unless forwarded, a directory
 * without its "/" is redirected, a directory serves its first index file, a file named with
 * a trailing "/" is not there. Nothing is remembered between requests: each one asks the IO
 * (a Lua-implemented IO's stat function runs every time, as in BAS).
 */
import type { Stats } from 'node:fs';
import type { IoReader, IoSource, IoStat } from '../fs/io-source.js';
import { backlog, type HttpExchange } from '../http/http-exchange.js';
import { INDEX_FILES, staticResponse, type StaticLookup } from '../http/static-files.js';

/** Pieces read from the IO and written at once. */
const PIECE = 64 * 1024;

/** The stat of an IO file in the shape routing passes on (size, mtimeMs, isFile). */
export function asStats(st: IoStat): Stats {
  return { size: st.size, mtimeMs: st.mtimeMs, isFile: () => !st.isdir, isDirectory: () => st.isdir } as unknown as Stats;
}

async function statOf(io: IoSource, name: string): Promise<IoStat | null> {
  try {
    return await io.stat(name);
  } catch {
    return null; // an IO that fails to answer has nothing there
  }
}

/**
 * Looks up the decoded segments `segs` (with `slash`: the path ended in "/") in `io`. A file
 * result's `path` is its name in the IO.
 */
export async function lookupIo(io: IoSource, segs: readonly string[], slash: boolean, opts: { requestPath: string; query: string | null; hidden: boolean }): Promise<StaticLookup> {
  if (!opts.hidden && segs.some((s) => s.startsWith('.'))) return { kind: 'error', status: 404, reason: 'hidden name' };
  const name = segs.join('/');
  const st = await statOf(io, name);
  if (!st) return { kind: 'error', status: 404, reason: 'not found' };
  const isLsp = (n: string): boolean => n.toLowerCase().endsWith('.lsp');
  if (st.isdir) {
    if (!slash && segs.length > 0) return { kind: 'redirect', location: `${opts.requestPath}/${opts.query != null ? `?${opts.query}` : ''}` };
    for (const index of INDEX_FILES) {
      const n = name ? `${name}/${index}` : index;
      const ist = await statOf(io, n);
      if (ist && !ist.isdir) return { kind: 'file', path: n, stat: asStats(ist), isLsp: isLsp(index), pathname: '/' + n };
    }
    return { kind: 'error', status: 404, reason: 'directory without index' };
  }
  if (slash) return { kind: 'error', status: 404, reason: 'file addressed as a directory' };
  return { kind: 'file', path: name, stat: asStats(st), isLsp: isLsp(name), pathname: '/' + name };
}

/**
 * Sends file `name` of `io` (found by lookupIo) as the response: the same status, fields and
 * ranges as a disk file, the bytes read from the IO piece by piece, waiting for the socket
 * to drain between pieces. An IO that delivers fewer bytes than its stat promised gets the
 * connection closed (the client must not take a short body for the file).
 */
export async function sendIoFile(exchange: HttpExchange, io: IoSource, file: { path: string; stat: { size: number; mtimeMs: number } }): Promise<void> {
  const { head, response } = exchange;
  const r = staticResponse(head.method, head.headers, file);
  if (r.status === 405 || r.status === 412 || r.status === 416) {
    response.sendError(r.status, undefined, r.headers);
    return;
  }
  let f: IoReader | null = null;
  if (r.body !== null) {
    try {
      f = await io.open(file.path);
      if (r.body.start > 0) await f.seek(r.body.start);
    } catch {
      await f?.close().catch(() => {});
      response.sendError(404);
      return;
    }
  }
  response.setStatus(r.status);
  for (const [name, value] of r.headers) response.setHeader(name, value);
  if (f === null || r.body === null) {
    response.end();
    return;
  }
  let left = r.body.end - r.body.start;
  let ended = false;
  const socket = exchange.socket;
  try {
    while (left > 0 && !exchange.closed) {
      const b = await f.read(Math.min(PIECE, left)).catch(() => null);
      if (b === null) break;
      const piece = b.length > left ? b.subarray(0, left) : b;
      left -= piece.length;
      if (left === 0) {
        response.end(piece);
        ended = true;
        break;
      }
      response.write(piece);
      response.flush();
      const wait = backlog(exchange);
      if (wait) await wait;
    }
  } finally {
    await f.close().catch(() => {});
  }
  if (ended || exchange.closed) return;
  if (left > 0 && r.body.end > r.body.start) {
    response.flush();
    socket.destroy();
    return;
  }
  response.end();
}
