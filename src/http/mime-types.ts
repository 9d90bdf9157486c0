/**
 * Content-Type by file extension for static files. Textual types carry "; charset=utf-8" so
 * browsers do not guess the encoding (and cannot be tricked into UTF-7 style sniffing).
 */

export const DEFAULT_MIME_TYPE = 'application/octet-stream';

const TYPES: ReadonlyMap<string, string> = new Map([
  // text
  ['html', 'text/html'],
  ['htm', 'text/html'],
  ['shtml', 'text/html'],
  ['css', 'text/css'],
  ['js', 'text/javascript'], // RFC 9239 §6
  ['mjs', 'text/javascript'],
  ['txt', 'text/plain'],
  ['text', 'text/plain'],
  ['log', 'text/plain'],
  ['lua', 'text/plain'],
  ['csv', 'text/csv'],
  ['md', 'text/markdown'],
  ['xml', 'text/xml'],
  ['xsl', 'text/xml'],
  ['vtt', 'text/vtt'],
  ['ics', 'text/calendar'],
  // structured data
  ['json', 'application/json'],
  ['map', 'application/json'],
  ['webmanifest', 'application/manifest+json'],
  ['wasm', 'application/wasm'],
  ['pdf', 'application/pdf'],
  ['zip', 'application/zip'],
  ['gz', 'application/gzip'],
  ['tgz', 'application/gzip'],
  ['tar', 'application/x-tar'],
  ['bin', 'application/octet-stream'],
  ['exe', 'application/octet-stream'],
  // images
  ['png', 'image/png'],
  ['jpg', 'image/jpeg'],
  ['jpeg', 'image/jpeg'],
  ['gif', 'image/gif'],
  ['webp', 'image/webp'],
  ['avif', 'image/avif'],
  ['svg', 'image/svg+xml'],
  ['svgz', 'image/svg+xml'],
  ['ico', 'image/vnd.microsoft.icon'],
  ['bmp', 'image/bmp'],
  ['tif', 'image/tiff'],
  ['tiff', 'image/tiff'],
  // fonts
  ['woff', 'font/woff'],
  ['woff2', 'font/woff2'],
  ['ttf', 'font/ttf'],
  ['otf', 'font/otf'],
  ['eot', 'application/vnd.ms-fontobject'],
  // audio and video
  ['mp3', 'audio/mpeg'],
  ['wav', 'audio/wav'],
  ['oga', 'audio/ogg'],
  ['ogg', 'audio/ogg'],
  ['opus', 'audio/ogg'],
  ['flac', 'audio/flac'],
  ['m4a', 'audio/mp4'],
  ['mp4', 'video/mp4'],
  ['m4v', 'video/mp4'],
  ['webm', 'video/webm'],
  ['ogv', 'video/ogg'],
  ['mov', 'video/quicktime'],
]);

/** Types that are text although not text/*: they get a charset too. */
const TEXTUAL = new Set(['application/json', 'application/manifest+json']);

/** The Content-Type for a file name or path; case-insensitive on the extension. */
export function mimeType(fileName: string): string {
  const base = fileName.slice(Math.max(fileName.lastIndexOf('/'), fileName.lastIndexOf('\\')) + 1);
  const dot = base.lastIndexOf('.');
  // "file" and ".hidden" have no extension.
  if (dot <= 0) return DEFAULT_MIME_TYPE;
  const type = TYPES.get(base.slice(dot + 1).toLowerCase());
  if (type === undefined) return DEFAULT_MIME_TYPE;
  return type.startsWith('text/') || TEXTUAL.has(type) ? `${type}; charset=utf-8` : type;
}
