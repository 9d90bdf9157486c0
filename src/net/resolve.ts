/**
 * Host-name resolution for sockets: IP literals and "localhost" answer at once, other names go
 * to the system resolver. Errors carry the resolver's text as BAS passes it on (getaddrinfo's
 * message). Nothing here knows about Lua.
 */
import net from 'node:net';
import dns from 'node:dns';

/**
 * Resolves `host`: returns the address at once when no lookup is needed, else null and calls
 * `cb` later with the address or the error "cannotresolve" and the resolver's text.
 */
export function resolveHost(host: string, ipv6: boolean, cb: (err: string | null, ip: string, text?: string) => void): string | null {
  // Issue 14: the system resolver stops at a NUL, so "127.0.0.1\0evil" would reach 127.0.0.1
  // past a script's allow-list that compared the whole string. No host name contains one.
  if (host.includes('\0')) {
    queueMicrotask(() => cb('cannotresolve', '', 'Name or service not known'));
    return null;
  }
  if (net.isIP(host)) return host;
  if (host === 'localhost' || host === '') {
    return ipv6 ? '::1' : '127.0.0.1';
  }
  dns.lookup(host, { family: ipv6 ? 6 : 4 }, (err, address) => {
    if (err) cb('cannotresolve', '', resolverText(err));
    else cb(null, address);
  });
  return null;
}

/** True for an IPv6 address literal. */
export function isIPv6(ip: string): boolean {
  return net.isIPv6(ip);
}

/** True for an IPv4 address literal. */
export function isIPv4(ip: string): boolean {
  return net.isIPv4(ip);
}

/** 4 or 6 for an address literal, 0 for anything else. */
export function ipVersion(s: string): number {
  return net.isIP(s);
}

/** A resolver error as the text BAS passes on (getaddrinfo's message). */
function resolverText(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ENOTFOUND':
      return 'Name or service not known';
    case 'EAI_AGAIN':
      return 'Temporary failure in name resolution';
    case 'ENODATA':
      return 'No address associated with hostname';
    default:
      return err.message || String(err.code);
  }
}
