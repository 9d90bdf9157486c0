/**
 * The small HTML body sent with error statuses the server produces itself (400 for a broken
 * request, 404, 405, 431, 500 after a page error, 505, …) and with request:senderror().
 */
import { statusText } from './status-text.js';

export interface ErrorPage {
  contentType: string;
  body: Buffer;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

/**
 * `message` is shown escaped: it may echo a URL or other peer input, which must not become
 * markup in the browser (reflected XSS).
 */
export function errorPage(status: number, message?: string, preformatted?: string): ErrorPage {
  const title = `${status} ${statusText(status)}`;
  const detail = (message ? `<p>${escapeHtml(message)}</p>` : '') + (preformatted ? `<pre>${escapeHtml(preformatted)}</pre>` : '');
  const html = `<!DOCTYPE html>\n<html><head><title>${title}</title></head><body><h1>${title}</h1>${detail}</body></html>\n`;
  return { contentType: 'text/html; charset=utf-8', body: Buffer.from(html, 'utf8') };
}
