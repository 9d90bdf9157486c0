/**
 * Which apps serve which URLs: an app named "x" is mounted at /x/, the
 * unnamed app at /. For a request, apps mounted at its first path segment are searched before
 * root apps; among apps at the same URL the higher `prio` comes first, then load order. The
 * first app that has the file serves it.
 */
import { LookupCache } from '../http/lookup-cache.js';
import type { StaticLookup } from '../http/static-files.js';
import type { App } from '../app/app-loader.js';
import type { Next, RequestContext, Stage } from './stages.js';

export class Mounts {
  private apps: Array<{ app: App; seq: number }> = [];
  private seq = 0;
  /** Where URL paths led (src/http/lookup-cache.ts); closed with the server. */
  readonly lookups = new LookupCache();

  add(app: App): void {
    this.apps.push({ app, seq: this.seq++ });
    this.apps.sort((a, b) => b.app.prio - a.app.prio || a.seq - b.seq);
  }

  remove(app: App): boolean {
    const n = this.apps.length;
    this.apps = this.apps.filter((e) => e.app !== app);
    return this.apps.length !== n;
  }

  get list(): App[] {
    return this.apps.map((e) => e.app);
  }

  find(name: string): App | undefined {
    return this.apps.find((e) => e.app.name === name)?.app;
  }

  /** Apps that may serve `rawPath`, in search order, with the path inside each app. */
  candidates(rawPath: string): Array<{ app: App; appPath: string }> {
    const out: Array<{ app: App; appPath: string }> = [];
    const slash = rawPath.indexOf('/', 1);
    const first = slash < 0 ? rawPath.slice(1) : rawPath.slice(1, slash);
    const rest = slash < 0 ? '' : rawPath.slice(slash);
    if (first !== '') {
      for (const { app } of this.apps) if (app.name !== '' && app.name === first) out.push({ app, appPath: rest });
    }
    for (const { app } of this.apps) if (app.name === '') out.push({ app, appPath: rawPath });
    return out;
  }
}

/** Routing stage: finds the file (or answers a redirect or error) and calls the next stage. */
export function routeStage(mounts: Mounts, cache: LookupCache = mounts.lookups): Stage {
  return (rc: RequestContext, next) => {
    const { head, response } = rc.exchange;
    if (head.targetForm === 'asterisk' || head.targetForm === 'authority') {
      response.sendError(head.method === 'OPTIONS' ? 204 : 400);
      return;
    }
    return search(cache, rc, next, mounts.candidates(head.path), 0);
  };
}

type Candidates = ReturnType<Mounts['candidates']>;

/** Tries the candidate apps from `i` on; waits only for a lookup the cache cannot answer. */
function search(cache: LookupCache, rc: RequestContext, next: Next, candidates: Candidates, i: number): void | Promise<void> {
  const { head, response } = rc.exchange;
  for (; i < candidates.length; i++) {
    const { app, appPath } = candidates[i]!;
    // A known, unchanged file is answered without waiting (src/http/lookup-cache.ts).
    const found = cache.lookup(app.path, appPath, { requestPath: head.path, query: head.query });
    if (found instanceof Promise) {
      const at = i;
      return found.then((r) => {
        const step = decide(rc, next, app, r);
        return step === SKIP ? search(cache, rc, next, candidates, at + 1) : step;
      });
    }
    const step = decide(rc, next, app, found);
    if (step !== SKIP) return step;
  }
  response.sendError(404);
}

const SKIP = Symbol('not in this app');

/** SKIP: not in this app (look in the next); otherwise the request is answered or passed on. */
function decide(rc: RequestContext, next: Next, app: App, r: StaticLookup): typeof SKIP | void | Promise<void> {
  const { response } = rc.exchange;
  if (r.kind === 'redirect') {
    response.sendRedirect(r.location, 301);
    return;
  }
  if (r.kind === 'error') {
    if (r.status === 404) return SKIP;
    response.sendError(r.status);
    return;
  }
  rc.file = { app, path: r.path, stat: r.stat, isLsp: r.isLsp, pathname: r.pathname };
  app.headers.forEach((value, name) => response.setHeader(name, value)); // no [name, value] array per field
  return next();
}
