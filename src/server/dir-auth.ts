/**
 * The one check between a directory's `setauth` objects and a request: whether the request
 * may enter the directory. When it may not, the check has answered the request (401 with the
 * authenticator's challenge, 403, or the login page) and returns false.
 *
 * The authenticators themselves (ba.create.authenticator, ba.create.authorizer) are built
 * elsewhere; until they provide the check, every request is let through (TODO(auth)).
 */
import type { Dir } from '../ba/dir.js';
import type { RequestContext } from './stages.js';

export type DirAuthCheck = (rc: RequestContext, dir: Dir) => boolean | Promise<boolean>;

let check: DirAuthCheck = () => true; // TODO(auth): allows everything until the authenticators land

/** Whether the request may enter `dir` (its authenticator and authorizer from setauth). */
export function checkDirAuth(rc: RequestContext, dir: Dir): boolean | Promise<boolean> {
  return check(rc, dir);
}

/** Installs the authenticators' check (the module that implements ba.create.authenticator). */
export function setDirAuthCheck(f: DirAuthCheck): void {
  check = f;
}
