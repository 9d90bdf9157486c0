/**
 * The one deadline and eviction policy for every phase of an HTTP server connection
 * (issue 14: slowloris, R.U.D.Y. and connection floods). A connection is always in one phase:
 *
 *   new      accepted, nothing received yet          deadline: headTimeout from the accept
 *   queued   sent its first bytes; waits for a slot  deadline: headTimeout from the first byte
 *            while every slot runs a page (read no further until one frees)
 *   head     a request head is arriving              deadline: headTimeout from its first byte
 *   body     a request body is arriving              must average bodyMinRate bytes/s after a
 *                                                    grace of bodyTimeout (1 byte every 5 s fails)
 *   upload   a page runs and reads a streamed body    as body, while the page waits for bytes
 *                                                    (not while it lags behind the peer)
 *   busy     a handler (page) runs                   no deadline: pages may take their time
 *   idle     keep-alive, between requests            deadline: idleTimeout
 *   closing  an error answer is being delivered     (closes itself)
 *
 * Deadlines never restart with a received byte: a peer that trickles keeps a connection for
 * a bounded time only. `conncnt` limits the connections holding a slot (head, body, busy,
 * idle). New connections do not hold one: they are limited separately (`newcnt`) and take a
 * slot with their first byte, so a flood of silent connections cannot push out a client that
 * has just connected before it had a chance to send its request. When a slot is needed and
 * none is free, the victim is an idle keep-alive connection (idle longest first), else the
 * connection whose head or body has been arriving longest; busy connections are never
 * evicted: when every slot runs a page, the new request waits (queued, in arrival order)
 * until a slot frees. When the pool of new and queued connections is full, the oldest new
 * connection goes.
 */

export type Phase = 'new' | 'queued' | 'head' | 'body' | 'upload' | 'busy' | 'idle' | 'closing';

/** What the policy needs to know about a connection. */
export interface PolicyConn {
  readonly phase: Phase;
  /** performance.now() when the current phase began. */
  readonly phaseSince: number;
  /** Body bytes received so far in the body phase. */
  readonly bodyReceived: number;
}

export interface ConnectionLimits {
  /** Connections holding a slot (conncnt). */
  conncnt: number;
  /** Connections accepted that have sent nothing yet. */
  newcnt: number;
  /** ms from the accept to the first byte, and from the first byte to the end of the head. */
  headTimeout: number;
  /** ms a body may take before bodyMinRate applies. */
  bodyTimeout: number;
  /** Lowest average body rate in bytes/s once bodyTimeout has passed. */
  bodyMinRate: number;
  /** ms a keep-alive connection may wait for its next request. */
  idleTimeout: number;
}

export const DEFAULT_LIMITS: ConnectionLimits = {
  conncnt: 50,
  newcnt: 512,
  headTimeout: 15_000,
  bodyTimeout: 15_000,
  bodyMinRate: 1024,
  idleTimeout: 30_000,
};

/** True when `c` has overstayed its phase at time `now` (performance.now()). */
export function overdue(c: PolicyConn, now: number, l: ConnectionLimits): boolean {
  const age = now - c.phaseSince;
  switch (c.phase) {
    case 'new':
    case 'queued':
    case 'head':
      return l.headTimeout > 0 && age > l.headTimeout;
    case 'body':
    case 'upload':
      // Allowed time grows with what arrived: bodyTimeout plus received/bodyMinRate seconds.
      return l.bodyTimeout > 0 && age > l.bodyTimeout + (l.bodyMinRate > 0 ? (c.bodyReceived / l.bodyMinRate) * 1000 : Infinity);
    case 'idle':
      return l.idleTimeout > 0 && age > l.idleTimeout;
    default:
      return false;
  }
}

/** True when the connection holds one of the `conncnt` slots. */
export function holdsSlot(c: PolicyConn): boolean {
  return c.phase !== 'new' && c.phase !== 'queued' && c.phase !== 'closing';
}

/**
 * The connection to close to free a slot: idle (longest first), else head/body (arriving
 * longest first); null when every slot holder is busy.
 */
export function slotVictim<C extends PolicyConn>(conns: Iterable<C>, except?: C): C | null {
  let idle: C | null = null;
  let slow: C | null = null;
  for (const c of conns) {
    if (c === except) continue;
    if (c.phase === 'idle') {
      if (!idle || c.phaseSince < idle.phaseSince) idle = c;
    } else if (c.phase === 'head' || c.phase === 'body') {
      if (!slow || c.phaseSince < slow.phaseSince) slow = c;
    }
  }
  return idle ?? slow;
}

/** The oldest new connection (to make room for another when the new pool is full). */
export function newVictim<C extends PolicyConn>(conns: Iterable<C>): C | null {
  let v: C | null = null;
  for (const c of conns) if (c.phase === 'new' && (!v || c.phaseSince < v.phaseSince)) v = c;
  return v;
}
