import type { IoSource } from '../fs/io-source.js';

/**
 * Where include/forward paths of a page resolve: the page's app and directory (page-include.ts
 * reads it; the page runner and the directory check set it).
 */

/** Where the running page of a request lives (set by the page runner). */
export interface PagePlace {
  /** Root directory of the page's app (with `io`: the URL of the directory serving the IO, "/name/"). */
  root: string;
  /** Directory of the page file (with `io`: its name in the IO, "" for the root). */
  dir: string;
  /** Registry ref of the app's `app` table (0: none). */
  envRef: number;
  /** Registry ref of the page's `io` when it is not its app's `app.io` (a resource reader's IO); 0/absent: app.io. */
  ioRef?: number;
  /**
   * The app or resource reader serving the page: included pages are compiled for it (each
   * has its own `page` table for a file, as in Mako).
   */
  owner?: object;
  /** A page of a zip, net or Lua-implemented IO: names resolve in that IO. */
  io?: IoSource;
}

/**
 * Where a request being authenticated for a directory resolves include/forward paths (an
 * authenticator's login response forwards to "/.login-form.lsp" of the protected app).
 */
export const guardPlaces = new WeakMap<object, PagePlace>();
