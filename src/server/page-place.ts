/**
 * Where include/forward paths of a page resolve: the page's app and directory (page-include.ts
 * reads it; the page runner and the directory check set it).
 */

/** Where the running page of a request lives (set by the page runner). */
export interface PagePlace {
  /** Root directory of the page's app. */
  root: string;
  /** Directory of the page file. */
  dir: string;
  /** Registry ref of the app's `app` table (0: none). */
  envRef: number;
}

/**
 * Where a request being authenticated for a directory resolves include/forward paths (an
 * authenticator's login response forwards to "/.login-form.lsp" of the protected app).
 */
export const guardPlaces = new WeakMap<object, PagePlace>();
