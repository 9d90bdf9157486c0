/**
 * The error strings a ba/ operation gives Lua as `nil, err`: BAS's names, a closed set. The
 * socket library's `nilErr` takes only these, so a misspelt name does not compile. Operating
 * system errors passed through as they are (a message and an errno, as LuaSocket and BAS's
 * setoption give them) go through `nilSysErr` instead.
 */
export const BA_ERRORS = [
  // connections and sockets
  'socketclosed',
  'socketreadfailed',
  'socketwritefailed',
  'sysshutdown',
  'cannotconnect',
  'cannotresolve',
  'gethostbyname',
  'bind',
  'timeout',
  'incorrectuse',
  'invalidsocketcon',
  // httpc: a URL that is not http(s)/ws(s); more body than `size` said
  'invalidurl',
  'toomuchdata',
  'failed',
  'none',
  // httpc: a tunnel opened with proxycon, a proxy's answer that is no 200, no error at all
  'prxready',
  'unknown',
  'invalidresponse',
  'no error',
  'running',
  // files behind certificates and keys
  'notfound',
  'exist',
  // TLS
  'sslnotenabled',
  'sslnottrusted',
  'sslhandshake',
  'sslclosenotify',
  'sslcryptoerr',
  'sslalertrecv',
  // trusted(): what does not match
  'cert',
  'cn',
  'certcn',
  // ba.create.sharkcert, SharkSSL's PEM decoder results
  'pem_cert_unrecognized_format',
  'pem_key_unrecognized_format',
  'pem_key_passphrase_required',
  'pem_key_parse_error',
  'pem_key_cert_mismatch',
] as const;

export type BaError = (typeof BA_ERRORS)[number];

const SET: ReadonlySet<string> = new Set(BA_ERRORS);

/** True when `s` is one of the error strings. */
export function isBaError(s: string): s is BaError {
  return SET.has(s);
}

/**
 * An error string made by a layer below ba/ (`net/`, `http/`), which cannot import this type;
 * those layers produce only names of the set.
 */
export function layerError(s: string): BaError {
  return s as BaError;
}
