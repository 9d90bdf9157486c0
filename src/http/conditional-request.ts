/**
 * Validators and preconditions for static files (RFC 9110 §8.8, §13, §14): ETag and
 * Last-Modified, the If-* headers in the order §13.2.2 prescribes, and a single byte Range.
 */
import type { HeaderList } from './header-list.js';
import { httpDate, parseHttpDate } from './http-date.js';

/** What the validators are computed from: a file's size and modification time. */
export interface FileVersion {
  size: number;
  mtimeMs: number;
}

/**
 * A weak ETag from size and mtime. Weak because the same size and mtime do not guarantee the
 * same bytes (mtime granularity, a rewrite within the same tick); RFC 9110 §8.8.1.
 */
export function etagFor(file: FileVersion): string {
  return `W/"${file.size.toString(16)}-${Math.floor(file.mtimeMs).toString(16)}"`;
}

/** Opaque part of an entity-tag, without W/; null when malformed. */
function opaque(tag: string): string | null {
  const t = tag.startsWith('W/') ? tag.slice(2) : tag;
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t : null;
}

/** Entity-tags of an If-Match / If-None-Match list; '*' is returned as ['*']. */
function tagList(value: string): string[] {
  if (value.trim() === '*') return ['*'];
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Weak comparison (RFC 9110 §8.8.3.2): opaque parts equal, W/ ignored. */
function weakMatch(list: string[], etag: string): boolean {
  const mine = opaque(etag);
  return list.some((t) => t === '*' || (mine !== null && opaque(t) === mine));
}

/** Strong comparison: both strong and equal. A weak ETag never matches strongly. */
function strongMatch(list: string[], etag: string): boolean {
  return list.some((t) => t === '*' || (!t.startsWith('W/') && !etag.startsWith('W/') && t === etag));
}

export type Precondition = 'proceed' | 'not-modified' | 'failed';

/**
 * RFC 9110 §13.2.2 for an existing file: 'failed' (412), 'not-modified' (304, GET/HEAD
 * only) or 'proceed'. Last-Modified compares at one-second resolution, as sent.
 */
export function evaluatePreconditions(method: string, headers: HeaderList, etag: string, mtimeMs: number): Precondition {
  const lastModified = Math.floor(mtimeMs / 1000) * 1000;
  const ifMatch = headers.get('if-match');
  if (ifMatch !== undefined) {
    if (!strongMatch(tagList(ifMatch), etag)) return 'failed';
  } else {
    const ius = headers.get('if-unmodified-since');
    const t = ius === undefined ? null : parseHttpDate(ius);
    if (t !== null && lastModified > t) return 'failed';
  }
  const getOrHead = method === 'GET' || method === 'HEAD';
  const ifNoneMatch = headers.get('if-none-match');
  if (ifNoneMatch !== undefined) {
    if (weakMatch(tagList(ifNoneMatch), etag)) return getOrHead ? 'not-modified' : 'failed';
  } else if (getOrHead) {
    const ims = headers.get('if-modified-since');
    const t = ims === undefined ? null : parseHttpDate(ims);
    if (t !== null && lastModified <= t) return 'not-modified';
  }
  return 'proceed';
}

export type RangeResult = { kind: 'full' } | { kind: 'partial'; start: number; end: number } | { kind: 'unsatisfiable' };

/**
 * One "bytes=" range of a file of `size` bytes; `end` is exclusive. A multi-range or
 * malformed Range is ignored (RFC 9110 §14.2 allows that), as is one whose If-Range does not
 * match: a weak ETag never does, a date must equal Last-Modified.
 */
export function evaluateRange(headers: HeaderList, size: number, etag: string, mtimeMs: number): RangeResult {
  const range = headers.get('range');
  if (range === undefined) return { kind: 'full' };
  const ifRange = headers.get('if-range');
  if (ifRange !== undefined) {
    const v = ifRange.trim();
    if (v.startsWith('"') || v.startsWith('W/')) {
      if (!strongMatch([v], etag)) return { kind: 'full' };
    } else {
      const t = parseHttpDate(v);
      if (t === null || t !== Math.floor(mtimeMs / 1000) * 1000) return { kind: 'full' };
    }
  }
  const m = /^bytes=\s*(\d*)-(\d*)\s*$/i.exec(range.trim());
  if (!m || (m[1] === '' && m[2] === '')) return { kind: 'full' };
  if (m[1] === '') {
    // Suffix range: the last n bytes.
    const n = Number(m[2]);
    if (n === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(0, size - n), end: size };
  }
  const start = Number(m[1]);
  const last = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (m[2] !== '' && Number(m[2]) < start) return { kind: 'full' }; // invalid: ignore
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'partial', start, end: last + 1 };
}

/** Last-Modified value for a file. */
export function lastModified(mtimeMs: number): string {
  return httpDate(new Date(mtimeMs));
}
