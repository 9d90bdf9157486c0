/**
 * The one check between a directory's `setauth` objects and a request: whether the request
 * may enter the directory. When it may not, the authenticator (its challenge, login page or
 * redirect) or a 403 has answered the request, and the check returns false.
 */
import type { Dir } from '../ba/dir.js';
import type { Runtime } from '../app/runtime.js';
import { runAuthCheck, type DirFunctionRun } from './auth.js';
import type { RequestContext } from './stages.js';
import { guardPlaces } from './page-place.js';

export type DirAuthCheck = (rc: RequestContext, dir: Dir, relpath: string) => boolean | Promise<boolean>;

/** The check of runtime `rt`: its ba.create.authenticator/authorizer objects run on the request. */
export function dirAuthCheck(rt: Runtime, run: DirFunctionRun): DirAuthCheck {
  return (rc, dir, relpath) => {
    // A forwarded request (response:forward, e.g. to the login page) is not checked again (BAS
    // checks only the initial request).
    if (!dir.authRef || (rc.forwards ?? 0) > 0) return true;
    // A resource reader leaves "public/" open (the login page's styles and images), as BAS's does.
    if (dir.kind === 'resrdr' && relpath.startsWith('public/')) return true;
    if (dir.root) {
      const app = dir.owner as { envRef?: number } | null;
      guardPlaces.set(rc.exchange, { root: dir.root, dir: dir.root, envRef: app?.envRef ?? dir.lspEnvRef, owner: app ?? dir });
    }
    return runAuthCheck(rt, run, rc, dir.authRef, dir.authorizerRef, relpath, dir.p403);
  };
}
