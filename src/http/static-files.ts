/**
 * Static files and page lookup for one app directory: maps a URL path to a
 * file, a page (.lsp, executed elsewhere), a redirect or an error, and computes the status
 * and header fields of a static response. Sending the bytes is left to the connection, which
 * can stream the file instead of holding it in memory.
 */
import type { Stats } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { etagFor, evaluatePreconditions, evaluateRange, lastModified } from './conditional-request.js';
import type { HeaderList } from './header-list.js';
import { mimeType } from './mime-types.js';
import { realPathInRoot, resolveSafePath } from './safe-path.js';

/** A directory URL serves the first of these that exists. */
export const INDEX_FILES: readonly string[] = ['index.lsp', 'index.html'];

export type StaticLookup =
  | {
      kind: 'file';
      /** Real path on disk. */
      path: string;
      stat: Stats;
      /** A Lua Server Page: to be compiled and run, never sent as is. */
      isLsp: boolean;
      /** Path of the file within the app, "/" separated, e.g. "/dir/index.lsp". */
      pathname: string;
    }
  | { kind: 'redirect'; location: string }
  | { kind: 'error'; status: 400 | 404; reason: string };

export interface LookupOptions {
  /**
   * The path the client asked for, percent-encoded, for the Location of the trailing-slash
   * redirect; it includes the app's mount prefix where `appPath` does not. Default appPath.
   * An empty `appPath` (a request for "/name" when the app is mounted at "/name/") redirects
   * to requestPath + "/".
   */
  requestPath?: string;
  /** The raw query, kept on the redirect. */
  query?: string | null;
  /** Hidden names (".x") may be reached: for a page's forward/include only, never cached. */
  hidden?: boolean;
}

/** Compared without case, so "PAGE.LSP" can never be sent as source text. */
function isLspName(name: string): boolean {
  return name.toLowerCase().endsWith('.lsp');
}

/**
 * Looks up `appPath` (percent-encoded, relative to the app, starting with "/") below `root`,
 * a directory. Apps served from a zip file need their own lookup over the app's IO.
 */
export async function lookupStatic(root: string, appPath: string, options: LookupOptions = {}): Promise<StaticLookup> {
  const query = options.query != null ? `?${options.query}` : '';
  // "/name" for an app mounted at "/name/": its root directory, without the slash.
  if (appPath === '') return { kind: 'redirect', location: `${options.requestPath ?? ''}/${query}` };
  const resolved = await resolveSafePath(root, appPath, options.hidden === true);
  if (!resolved.ok) return { kind: 'error', status: resolved.status, reason: resolved.reason };
  const { segments, trailingSlash } = resolved;
  const pathname = '/' + segments.join('/');

  if (resolved.stat.isDirectory()) {
    if (!trailingSlash && segments.length > 0) {
      // Relative links in the index page resolve against the directory only with the slash.
      const requestPath = options.requestPath ?? appPath;
      return { kind: 'redirect', location: `${requestPath}/${query}` };
    }
    const realRoot = await realpath(root);
    for (const name of INDEX_FILES) {
      // The index may itself be a symlink; it gets the same containment check.
      const real = await realPathInRoot(realRoot, join(resolved.realPath, name));
      if (real === null) continue;
      let st: Stats;
      try {
        st = await stat(real);
      } catch {
        continue;
      }
      if (!st.isFile()) continue;
      return { kind: 'file', path: real, stat: st, isLsp: isLspName(name), pathname: (pathname === '/' ? '' : pathname) + '/' + name };
    }
    return { kind: 'error', status: 404, reason: 'directory without index' };
  }
  if (!resolved.stat.isFile()) return { kind: 'error', status: 404, reason: 'not a regular file' };
  // "/file.html/" names a directory that does not exist.
  if (trailingSlash) return { kind: 'error', status: 404, reason: 'file addressed as a directory' };
  return { kind: 'file', path: resolved.realPath, stat: resolved.stat, isLsp: isLspName(pathname), pathname };
}

export interface StaticResponse {
  status: 200 | 206 | 304 | 405 | 412 | 416;
  headers: Array<[string, string]>;
  /** Bytes of the file to send, end exclusive; null when the response has no body. */
  body: { start: number; end: number } | null;
}

/** The methods a static file answers, in the order BAS lists them. */
export const STATIC_ALLOW = 'OPTIONS, GET, HEAD';

/**
 * Status, header fields and byte range for sending a static file. HEAD gets the GET headers
 * and no body; OPTIONS gets 200 with Allow and no body (as BAS; CORS preflights ask it). Other
 * methods get 405 with Allow (RFC 9110 §15.5.6).
 */
export function staticResponse(method: string, headers: HeaderList, file: { path: string; stat: { size: number; mtimeMs: number } }): StaticResponse {
  if (method === 'OPTIONS') return { status: 200, headers: [['Allow', STATIC_ALLOW]], body: null };
  if (method !== 'GET' && method !== 'HEAD') {
    return { status: 405, headers: [['Allow', STATIC_ALLOW]], body: null };
  }
  const { size, mtimeMs } = file.stat;
  const etag = etagFor(file.stat);
  const validators: Array<[string, string]> = [
    ['ETag', etag],
    ['Last-Modified', lastModified(mtimeMs)],
  ];
  const pre = evaluatePreconditions(method, headers, etag, mtimeMs);
  if (pre === 'not-modified') return { status: 304, headers: validators, body: null };
  if (pre === 'failed') return { status: 412, headers: [], body: null };

  const type: [string, string] = ['Content-Type', mimeType(file.path)];
  const range = method === 'GET' ? evaluateRange(headers, size, etag, mtimeMs) : { kind: 'full' as const };
  if (range.kind === 'unsatisfiable') {
    return { status: 416, headers: [['Content-Range', `bytes */${size}`]], body: null };
  }
  if (range.kind === 'partial') {
    return {
      status: 206,
      headers: [type, ['Content-Length', String(range.end - range.start)], ['Content-Range', `bytes ${range.start}-${range.end - 1}/${size}`], ['Accept-Ranges', 'bytes'], ...validators],
      body: { start: range.start, end: range.end },
    };
  }
  return {
    status: 200,
    headers: [type, ['Content-Length', String(size)], ['Accept-Ranges', 'bytes'], ...validators],
    body: method === 'HEAD' ? null : { start: 0, end: size },
  };
}
