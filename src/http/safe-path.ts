/**
 * Maps a URL path onto a file below an app's root without ever leaving it.
 *
 * Checks, in order:
 *  1. syntax, on the encoded path: starts with "/", no backslash, escapes well-formed;
 *  2. each segment is decoded on its own, so "%2F" cannot create a separator; decoded
 *     segments may not contain NUL, "/", "\" or other control bytes, and must be UTF-8;
 *  3. no segment may begin with "." — this refuses ".", ".." (also as %2e%2e) and hidden
 *     names such as .preload and .lua/ that are never served;
 *  4. on disk, realpath must stay inside the root's realpath (symlinks pointing out are
 *     refused), and the resolved path may not pass through a hidden name either.
 * Refusals are 400 for malformed input and 404 for everything that must look absent.
 */
import { realpath, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { join, relative, sep, isAbsolute } from 'node:path';
import { percentDecode } from './percent-decode.js';

export type ParsedUrlPath =
  | { ok: true; segments: string[]; trailingSlash: boolean }
  | { ok: false; status: 400 | 404; reason: string };

export type ResolvedPath =
  | { ok: true; segments: string[]; trailingSlash: boolean; realPath: string; stat: Stats }
  | { ok: false; status: 400 | 404; reason: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * True when a raw path segment decodes to itself: printable ASCII without "%" (and without
 * "\\", refused before). Most segments are like that; they skip the byte-level decoding.
 */
export function isPlainSegment(seg: string): boolean {
  for (let i = 0, n = seg.length; i < n; i++) {
    const c = seg.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f || c === 0x25 /* % */) return false;
  }
  return true;
}

/**
 * A bounded cache for pure functions of a request path: the same few paths come again and
 * again. Emptied when full, so made-up paths cannot grow it; long paths are not kept.
 */
export class PathMemo<T> {
  private readonly map = new Map<string, T>();
  constructor(private readonly max = 512) {}

  get(path: string, compute: (path: string) => T): T {
    let v = this.map.get(path);
    if (v === undefined && !this.map.has(path)) {
      v = compute(path);
      if (path.length <= 256) {
        if (this.map.size >= this.max) this.map.clear();
        this.map.set(path, v);
      }
    }
    return v as T;
  }
}

/** Checks 1–3: pure, no file system access. `rawPath` is still percent-encoded, without query. */
export function parseUrlPath(rawPath: string, allowHidden = false): ParsedUrlPath {
  if (!rawPath.startsWith('/')) return { ok: false, status: 400, reason: 'path does not start with "/"' };
  // Some file APIs treat "\" as a separator; it has no business in a URL path.
  if (rawPath.includes('\\')) return { ok: false, status: 400, reason: 'backslash in path' };
  const segments: string[] = [];
  for (const raw of rawPath.split('/')) {
    if (raw.length === 0) continue; // "//" and the leading "/"
    if (isPlainSegment(raw)) {
      if (raw === '.' || raw === '..' || (raw.charCodeAt(0) === 0x2e && !allowHidden)) return { ok: false, status: 404, reason: 'dot segment or hidden name' };
      segments.push(raw);
      continue;
    }
    const bytes = percentDecode(raw, { strict: true });
    if (bytes === null) return { ok: false, status: 400, reason: 'malformed percent-escape' };
    for (const b of bytes) {
      if (b === 0x00) return { ok: false, status: 400, reason: 'NUL in path' };
      if (b === 0x2f || b === 0x5c) return { ok: false, status: 400, reason: 'encoded separator in path' };
      if (b < 0x20 || b === 0x7f) return { ok: false, status: 400, reason: 'control character in path' };
    }
    let name: string;
    try {
      name = utf8.decode(bytes);
    } catch {
      return { ok: false, status: 400, reason: 'path is not UTF-8' };
    }
    if (name === '.' || name === '..' || (name.startsWith('.') && !allowHidden)) return { ok: false, status: 404, reason: 'dot segment or hidden name' };
    segments.push(name);
  }
  return { ok: true, segments, trailingSlash: rawPath.length > 1 && rawPath.endsWith('/') };
}

/** True when `rel` (relative, platform separators) has a component starting with ".". */
function hasHiddenComponent(rel: string): boolean {
  return rel.split(sep).some((c) => c.startsWith('.'));
}

/** Real path of a candidate below `realRoot`, or null when it is missing or escapes. */
export async function realPathInRoot(realRoot: string, candidate: string, allowHidden = false): Promise<string | null> {
  let real: string;
  try {
    real = await realpath(candidate);
  } catch {
    return null; // ENOENT, ENOTDIR, ELOOP, EACCES: all look like "not there"
  }
  if (real === realRoot) return real;
  const rel = relative(realRoot, real);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return null;
  if (!allowHidden && hasHiddenComponent(rel)) return null;
  return real;
}

/**
 * All four checks. `root` is the app directory; pass its realpath when known to save a call.
 * `allowHidden`: names starting with "." may be reached (a page's forward/include, never a URL).
 */
export async function resolveSafePath(root: string, rawPath: string, allowHidden = false): Promise<ResolvedPath> {
  const parsed = parseUrlPath(rawPath, allowHidden);
  if (!parsed.ok) return parsed;
  let realRoot: string;
  try {
    realRoot = await realpath(root);
  } catch {
    return { ok: false, status: 404, reason: 'app root missing' };
  }
  const real = await realPathInRoot(realRoot, join(realRoot, ...parsed.segments), allowHidden);
  if (real === null) return { ok: false, status: 404, reason: 'not found or outside the root' };
  try {
    return { ...parsed, realPath: real, stat: await stat(real) };
  } catch {
    return { ok: false, status: 404, reason: 'not found' };
  }
}
