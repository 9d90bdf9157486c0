---@meta
-- Type definitions of remora's Lua API for lua-language-server (LuaLS) and compatible editors.
-- Add this folder to "workspace.library" in .luarc.json:  { "workspace.library": ["types"] }
-- Files: ba.lua (the ba namespace, trace, mako, page and app environments), objects.lua
-- (sockets, timers, threads, IO and file objects, the request object, ...), httpc.lua and
-- http.lua (require"httpc", require"http"). test/unit/types.test.ts checks that every function
-- remora registers has a stub here and that every stub names a registered function.

---@class BaSocketOptions
---@field intf? string local interface/IP to bind or connect from
---@field ipv6? boolean
---@field timeout? integer connect timeout in ms (default 1000)
---@field shark? SharkSsl TLS context (ba.create.sharkssl)
---@field alpn? string ALPN protocol for TLS
---@field port? integer local port (udpcon)

ba = {}
ba.socket = {}
ba.thread = {}
ba.bytearray = {}
ba.json = {}
ba.crypto = {}
ba.create = {}

-- ---------------------------------------------------------------------------- ba.socket

---Connects to host:port. Outside a cosocket: a blocking socket (the caller waits); inside
---ba.socket.event: the connection becomes that cosocket's socket.
---@param host string
---@param port integer
---@param opt? BaSocketOptions
---@return _BASOCK|nil sock
---@return string|nil err "timeout", "cannotconnect", "cannotresolve", ...
function ba.socket.connect(host, port, opt) end

---Opens a listening socket (use :accept() in its own cosocket, see sock:event).
---@param port integer 0 for any free port
---@param opt? BaSocketOptions
---@return _BASOCK|nil listener
---@return string|nil err
function ba.socket.bind(port, opt) end

---Creates a UDP socket: udpcon([opt]) or udpcon(host, port [, opt]) for a connected one.
---@return _BASOCK|nil sock
---@return string|nil err
function ba.socket.udpcon(...) end

---Runs fn(sock, ...) as a cosocket without a network socket; it runs until it first waits.
---@param fn fun(sock: _BASOCK, ...: any)
---@return _BASOCK|nil
function ba.socket.event(fn, ...) end

---The socket of the running cosocket.
---@return _BASOCK|nil
function ba.socket.getsock() end

---Turns an HTTP request into a socket: a WebSocket when the request is an upgrade (unless raw).
---`raw` may be an options table {raw = boolean, deflate = boolean} (deflate: negotiate
---permessage-deflate; default: the configuration's wsdeflate).
---@param request BaRequest
---@param raw? boolean|{raw?: boolean, deflate?: boolean}
---@return _BASOCK|nil sock
---@return string|nil err
function ba.socket.req2sock(request, raw) end

---Gives a socket back to the HTTP server (pushback: bytes already read past a request).
---@param sock _BASOCK
---@param pushback? string
function ba.socket.sock2req(sock, pushback) end

---Turns an httpc object after a 101 answer into a client WebSocket; after another response, or
---after h:request returned nil, "prxready" (`proxycon`), into a plain socket over the connection.
---@param h HTTPCLIENT
---@return _BASOCK|nil sock
---@return string|nil errOrData err, or the bytes already received past a response head
function ba.socket.http2sock(h) end

---Resolves a host name.
---@param name string
---@param ipv6? boolean
---@return string|nil ip
---@return string|nil err
function ba.socket.toip(name, ipv6) end

---Big-endian integer of `size` bytes from str at offset.
---@param size integer 1..8
---@param str string
---@param offset? integer
---@return integer
function ba.socket.n2h(size, str, offset) end

---`size` bytes of n, big-endian.
---@param size integer
---@param n integer
---@return string
function ba.socket.h2n(size, n) end

---Big-endian float (size 4 or 8) from str at offset.
---@param size integer
---@param str string
---@param offset? integer
---@return number
function ba.socket.fn2h(size, str, offset) end

---@param size integer 4 or 8
---@param num number
---@return string
function ba.socket.fh2n(size, num) end

---@return integer sockets open sockets
---@return integer cosockets
function ba.socket.stat() end

-- ---------------------------------------------------------------------------- ba.thread

---Runs fn in the default thread pool (it may use blocking sockets and ba.sleep).
---@param fn fun()
---@return integer|nil queued
function ba.thread.run(fn) end

---A thread of its own: th:run(fn) runs jobs one after the other.
---@return BaThread
function ba.thread.create() end

---Sets (or reads) the pool size.
---@param n? integer
---@return integer
function ba.thread.configure(n) end

---The coroutines of the shared pool's running jobs; also writes a listing to the trace log.
---@return thread[]
function ba.thread.dbg() end

-- ---------------------------------------------------------------------------- timers, time

---A timer: t:set(ms) starts it; fn runs as a coroutine (return true to repeat, or yield true).
---@param fn fun(): boolean?
---@return BaTimer
function ba.timer(fn) end

---Suspends the calling coroutine for ms milliseconds.
---@param ms integer
function ba.sleep(ms) end

---Milliseconds from a monotonic clock.
---@return integer
function ba.clock() end

---@return integer
function ba.version() end

-- ---------------------------------------------------------------------------- ba.bytearray

---@param init integer|string|integer[]|BTA size, initial bytes, byte values or a bytearray to copy
---@return BTA
function ba.bytearray.create(init) end

---@param b BTA
---@param i? integer
---@param j? integer
---@return string
function ba.bytearray.tostring(b, i, j) end

---@param b BTA
---@return integer size
---@return integer start
---@return integer capacity
function ba.bytearray.size(b) end

---Sets the window of b to i..j.
---@param b BTA
---@param i? integer
---@param j? integer
---@return BTA
function ba.bytearray.setsize(b, i, j) end

---Copies src (string or bytearray, optionally srcStart..srcEnd) into b at index.
---@param b BTA
---@param index integer
---@param src string|BTA
---@param srcStart? integer
---@param srcEnd? integer
---@return integer remaining bytes that did not fit
function ba.bytearray.copy(b, index, src, srcStart, srcEnd) end

---Big-endian integer of size bytes at index.
---@param b BTA
---@param index integer
---@param size integer
---@return integer
function ba.bytearray.n2h(b, index, size) end

---Writes n big-endian as size bytes at index.
---@param b BTA
---@param index integer
---@param size integer
---@param n integer
function ba.bytearray.h2n(b, index, size, n) end

-- ---------------------------------------------------------------------------- ba.json, ba.crypto

---@param value any
---@return string|nil json
---@return string|nil err
function ba.json.encode(value) end

--- The JSON string literal of `s`, quotes included; a number is taken as its text.
---@param s string|number
---@return string
function ba.json.encodestr(s) end

---@param text string
---@param nullvalue? any what JSON null becomes (default ba.json.null)
---@return any|nil value
---@return string|nil err
function ba.json.decode(text, nullvalue) end

---A streaming parser for a sequence of JSON objects or arrays.
---@return BaJsonParser
function ba.json.parser() end

---The value JSON null decodes to.
ba.json.null = nil

---A hash function: h(data) adds data and returns a hash function over the same state;
---h(true [, "hex"|"b64"]) returns the digest (binary by default) and starts over.
---@param algo? string "md5", "sha1" (default), "sha256", "sha384", "sha512" or "hmac"
---@param hmacAlgo? string
---@param key? string
---@return BaHash
function ba.crypto.hash(algo, hmacAlgo, key) end

---Universal Binary JSON (see docs/api/ba.ubjson.md).
ba.ubjson = {}

---Encodes one or more tables (a trailing number is the initial buffer size).
---@param t table
---@return string|nil bytes
---@return string|nil err
function ba.ubjson.encode(t, ...) end

---Decodes every top-level container in s: one table each, or nil, err.
---@param s string
---@param stacklen? integer nesting depth (default 8)
---@param namelen? integer longest member name (default 255)
---@param offset? integer 0-based start
---@return table|nil ...
function ba.ubjson.decode(s, stacklen, namelen, offset) end

---An incremental UBJSON parser.
---@param stacklen? integer
---@param namelen? integer
---@return BAUBJSON
function ba.ubjson.parser(stacklen, namelen) end

---SHA-1 of data (20 raw bytes); without an argument, a SHA-1 hash function.
---@param data? string
---@return string|BaHash
function ba.crypto.sha1(data) end

---PBKDF2 key derivation; the result is at least the hash's length.
---@param hash string "md5", "sha1", "sha256", "sha384", "sha512"
---@param password string
---@param salt string
---@param iterations integer
---@param keylen integer
---@return string key
function ba.crypto.PBKDF2(hash, password, salt, iterations, keylen) end

---An AES object: "GCM" (or "aesgcm"), "CCM" (12-byte IV) or "CBC" (16-byte IV, mode
---"encrypt"/"decrypt"); 16- or 32-byte key.
---@param alg string
---@param key string
---@param iv string
---@param mode? string
---@return BASYMMETRIC
function ba.crypto.symmetric(alg, key, iv, mode) end

---Signs a hash (16/20/32/48/64 bytes) with a PEM private key: DER ECDSA or PKCS#1 v1.5.
---@param hash string
---@param key string PEM
---@param op? table {password=}
---@return string|nil signature
---@return string|nil err
function ba.crypto.sign(hash, key, op) end

---verify(sig, pem, hash [,op]) or verify(sig, hash, {x=,y=}|{n=,e=}).
---@return boolean|nil ok
---@return string|nil err
function ba.crypto.verify(sig, keyOrHash, hashOrParams, op) end

---DER ECDSA signature -> r, s; or r, s -> DER.
---@return string|nil
---@return string|nil
function ba.crypto.sigparams(sigOrR, s) end

---Public components of a PEM key: x, y (ECC) or n, e (RSA).
---@param key string
---@param password? string
---@return string|nil
---@return string|nil
function ba.crypto.keyparams(key, password) end

---Signature size (ECC) or modulus size (RSA) of a private key, and "ECC" or "RSA".
---@param key string
---@param op? table {password=}
---@return integer|nil
---@return string
function ba.crypto.keysize(key, op) end

---RSA public-key encryption with a PEM key/certificate or {n=,e=}.
---@param data string
---@param key string|table
---@param op? table {padding="pkcs1"|"oaep"|"none", hashid=, label=}
---@return string|nil
---@return string|nil err
function ba.crypto.encrypt(data, key, op) end

---RSA private-key decryption.
---@param data string
---@param key string PEM
---@param op? table {padding=, hashid=, label=, password=}
---@return string|nil
---@return string|nil err
function ba.crypto.decrypt(data, key, op) end

---A PEM certificate signing request.
---@param key string|table PEM private key, or {key=, pwd=}
---@param dn table {commonname=, countryname=, organization=, unit=, province=, locality=, email=}
---@param altnames? string "name;name;IP:a.b.c.d;URI:..." (default: the common name)
---@param certtypes table e.g. {"SSL_SERVER", "SSL_CLIENT"}
---@param keyusage table e.g. {"DIGITAL_SIGNATURE", "KEY_ENCIPHERMENT"}
---@param hash? string "sha256" (default), "sha384", "sha512"
---@return string|nil pem
---@return string|nil err
function ba.create.csr(key, dn, altnames, certtypes, keyusage, hash) end

---A PEM certificate from a CSR: (csr, key, from, to, serial) self-signed, or
---(csr, cacert, cakey, from, to, serial); dates are {year=, month= [, day, hour, min, sec]}.
---@return string|nil pem
---@return string|nil err
function ba.create.certificate(csr, ...) end

---Fields of a DER certificate: {tzfrom=, tzto=, subject={...}, issuer={...} [, san={...}]}.
---@param der string
---@return table|nil
function ba.parsecert(der) end

---ASN.1 time (YYMMDDhhmmssZ or YYYYMMDDhhmmssZ) as Unix time; 0 when invalid.
---@param t string
---@return integer
function ba.parsecerttime(t) end

---A new PEM private key: {key="ecc"|"rsa", curve="SECP256R1"|..., bits=2048, rnd=bytes}.
---@param op? table
---@return string|nil pem
---@return string|nil err
function ba.create.key(op) end

-- ---------------------------------------------------------------------------- misc

---@param min? integer
---@param max? integer
---@return integer
function ba.rnd(min, max) end

---@param n integer
---@return string n random letters and digits
function ba.rnds(n) end

---@param n integer
---@return string n random bytes
function ba.rndbs(n) end

---@param s string
---@return string
function ba.b64encode(s) end

---@param s string
---@return string
function ba.b64decode(s) end

---@param s string
---@return string
function ba.b64urlencode(s) end

---@param s string
---@return string
function ba.b64urldecode(s) end

---@param s string|table a string, or a table of parameters to encode as a query
---@return string
function ba.urlencode(s) end

---@param s string
---@return string
function ba.urldecode(s) end

---@param name "home"|"disk"|"vm"|"net"
---@return BaIo|nil
function ba.openio(name) end

---An IO rooted at path inside io.
---@param io BaIo
---@param path string
---@return BaIo|nil
function ba.mkio(io, path) end

-- ---------------------------------------------------------------------------- TLS

---Loads a certificate and its key (PEM): sharkcert([io,] cert, key [, password]).
---@return any|nil cert
---@return string|nil err
function ba.create.sharkcert(...) end

---A TLS context: sharkssl([caList | certstore] [, opt]).
---@return SharkSsl
function ba.create.sharkssl(...) end

---@return SharkCertStore
function ba.create.certstore() end
---A directory ([name] [, priority]; a number first is the priority of an unnamed one).
---@param name? string|integer
---@param priority? integer
---@return DIR
function ba.create.dir(name, priority) end
---A resource reader serving the files of `io` ([name] [, priority], io).
---@return RESRDR
function ba.create.resrdr(...) end
---A resource reader without a name serving the files of `io` to requests whose Host (no
---port, lower-cased) is `domain` (domain [, priority], io).
---@return RESRDR
function ba.create.domainresrdr(...) end
---A reverse proxy directory: requests below it go to host:port ([name,] host, port).
---@param name string|nil
---@param host string
---@param port integer
---@return DIR
function ba.create.redirector(name, host, port) end

---The default TLS client context (system CA bundle).
---@return SharkSsl
function ba.sharkclient() end

-- ---------------------------------------------------------------------------- trace, mako

---Writes "<function> <line>: " and the values, tab-separated, to the trace log.
function trace(...) end

---trace with a priority: tracep([showLine,] prio, ...).
function tracep(...) end

mako = {}
---@type string[]
mako.argv = nil
---@type string
mako.execpath = nil
---@type string
mako.cfgfname = nil
---@type integer
mako.port = nil
---@type integer|nil
mako.sslport = nil

---Shuts the server down gracefully (onunload, then exit with code).
---@param code? integer
function mako.exit(code) end

---Loads directory `path` as an app mounted at /name/ ("" = root) and runs its .preload.
---@param name string
---@param prio integer
---@param path string
---@return table|nil env the app's environment
---@return any dir the app's directory object (or the error message)
function mako.createapp(name, prio, path) end

---@param io BaIo
---@return function loader a package.searchers-style loader for modules in io's .lua directory
function mako.createloader(io) end

---Mounts a stopped app again (its .preload runs again). `app`: its environment table or mount name.
---@param app table|string
---@return table|nil env
---@return string|nil err
function mako.startapp(app) end
---Calls the app's onunload and unmounts it. `app`: its environment table or mount name.
---@param app table|string
---@return true|nil ok
---@return string|nil err
function mako.stopapp(app) end
---stopapp then startapp. `app`: its environment table or mount name.
---@param app table|string
---@return table|nil env
---@return string|nil err
function mako.reloadapp(app) end
---Stops the app if it runs and forgets it. `app`: its environment table or mount name.
---@param app table|string
---@return true|nil ok
---@return string|nil err
function mako.removeapp(app) end
---@return string[] paths of the mounted apps whose .preload has finished
function mako.getapps() end
---Registers (set true) or removes a function run once at shutdown, after every onunload.
---@param func function
---@param set boolean
function mako.onexit(func, set) end
---The trace log goes to this file from now on.
---@param name string
---@return boolean
function mako.tracefile(name) end
---@return false
function mako.log(...) end
---@param path string
---@return string
function mako.dos2unix(path) end
---Loads the HTTPS certificates again (configuration certfile/keyfile, plus key and
---certificate names in the home IO) and gives them to the HTTPS listener.
---@param keys? string[]
---@param certs? string[]
---@return userdata|nil shark the SharkSSL object
---@return string? err "No Cert" when nothing names a certificate
function mako.loadcerts(keys, certs) end
---ba.sharkclient
function mako.sharkclient(...) end
---@type string
mako.version = nil
---@type string
mako.date = nil
---@type string
mako.BAS = nil
---@type string|nil
mako.cfgdir = nil
---@type string
mako.cwd = nil
---@type table<string, string>
mako.env = nil
---@type boolean
mako.daemon = nil
---@type RESRDR
mako.rtldir = nil

-- ---------------------------------------------------------------------------- LuaSocket compatibility

sockcompat = {}
---The arguments after the first n.
---@param n integer
function sockcompat.skip(n, ...) end
---A function that calls f and returns nil, message instead of raising.
---@param f function
---@return function
function sockcompat.protect(f) end
---A try function: returns its arguments when the first is true, else calls finalizer and raises the second.
---@param finalizer? function
---@return function
function sockcompat.newtry(finalizer) end

mime = {}
---@return string|nil encoded
---@return string|nil rest
function mime.b64(c, d) end
---@return string|nil decoded
---@return string|nil rest
function mime.unb64(c, d) end
---@return string|nil encoded
---@return string|nil rest
function mime.qp(c, d, marker) end
---@return string|nil decoded
---@return string|nil rest
function mime.unqp(c, d) end
---@return string|nil text
---@return integer left
function mime.wrp(left, c, length) end
---@return string|nil text
---@return integer left
function mime.qpwrp(left, c, length) end
---@return string|nil text
---@return integer ctx
function mime.eol(ctx, c, marker) end
---@return string|nil text
---@return integer state
function mime.dot(state, c) end

-- ---------------------------------------------------------------------------- environments

-- In an LSP page (app and io also in .preload). request, response, print and _emit are in the
-- page's environment; page, pathname, app and io are locals of the page's chunk
-- (local _ENV,pathname,io,page,app=...), not fields of _ENV.
---@type BaRequest
request = nil
---@type BaRequest the same object as request
response = nil
---@type table kept across requests to this page
page = nil
---@type string the page's path within its app
pathname = nil
---@type table the app's .preload environment
app = nil
---@type BaIo the app's IO (its directory)
io = nil
---@type RESRDR the app's directory object (.preload)
dir = nil

---Writes s to the response as is (page text is compiled to _emit calls).
---@param s string
function _emit(s) end

-- ---------------------------------------------------------------------------- web helpers

---@class BDTz
---@operator add(integer|table): BDTz
---@operator sub(BDTz|integer|table): BDTz|integer
local BDTz = {}
---ISO 8601 text (at `offset` minutes when given).
---@param offset? integer
---@return string
function BDTz:tostring(offset) end
---Sets the display offset in minutes; returns the old one.
---@param offset? integer
---@return integer
function BDTz:offset(offset) end
---@return integer sec, integer nsec, integer offset
function BDTz:ticks() end
---Calendar fields (UTC, or at the offset when `local` is true).
---@param localtime? boolean
---@return table
function BDTz:date(localtime) end

---"NOW" [, offset], "MIN", "MAX", an ISO 8601 string, a table of fields, or sec [, nsec [, offset]];
---optionally followed by nanoseconds or {days, hours, mins, secs, nsecs} to add.
---@return BDTz|nil
---@return string|nil err
function ba.datetime(...) end
---Seconds since the epoch of an HTTP date (0 when it is none).
---@param s string
---@return integer
function ba.parsedate(s) end
---RFC 1123 date ("Tue, 14 Nov 2023 22:13:20 GMT").
---@param t integer
---@return string
function ba.encdate(t) end
---A random AES key: 16 bytes, or 32 for any other size.
---@param size? integer
---@return string
function ba.aeskey(size) end
---Encrypts into a base64url token (Mako's format).
---@param key string
---@param data string
---@param withlen? boolean default true
---@return string
function ba.aesencode(key, data, withlen) end
---Decrypts a token of ba.aesencode; nothing when it is not one.
---@param key string
---@param token string
---@param withlen? boolean default true
---@return string|nil
function ba.aesdecode(key, token, withlen) end
---@param entropy string|integer
function ba.rndseed(entropy) end
---True when two address strings name the same address (IPv4-mapped IPv6 included).
---@param a string
---@param b string
---@return boolean
function ba.cmpaddr(a, b) end
---Raw deflate (zlib format when `zlib` is true) of a string or a table of strings.
---@param data string|string[]
---@param zlib? boolean
---@return string
function ba.deflate(data, zlib) end
---MIME type of a file extension, and whether it is known.
---@param ext string
---@return string type
---@return boolean known
function ba.mime(ext) end
---Not supported by this runtime (raises).
function ba.exec(...) end
---Not supported by this runtime (raises).
function ba.forkpty(...) end
---A listening port of the HTTP server (docs/api/ba.create.servcon.md): serves the server's
---whole directory tree; HTTPS when created with a SharkSSL object.
---@class BASERVCON
local BASERVCON = {}
---Opens `port` (cfg: intf, ipv6) and then closes the old one: true, or nil, "bind" (unchanged).
---@param port integer
---@param cfg? {intf?: string, ipv6?: boolean}
---@return boolean|nil ok
---@return string|nil err
function BASERVCON:setport(port, cfg) end
---Stops listening (an HTTPS listener also closes its connections): true. Raises "Closed" when closed.
---@return boolean
function BASERVCON:close() end
---HTTPS: ask new connections for a client certificate. True for HTTPS, false for plain HTTP.
---@param on boolean
---@return boolean
function BASERVCON:clientcert(on) end
---HTTPS: prefer the RSA certificate when the client accepts both. True for HTTPS, false for plain HTTP.
---@param on boolean
---@return boolean
function BASERVCON:favorRSA(on) end
---`ba.create.servcon(port [, cfg])`: a new listener, or nil, "bind". `ba.create.servcon(oldcon,
---{shark = s})`: an open HTTPS listener re-created with the certificates of `s` (same port).
---Raises "not supported by this runtime" in a script run without the HTTP server.
---@param port integer|BASERVCON
---@param cfg? {intf?: string, ipv6?: boolean, shark?: SharkSsl}
---@return BASERVCON|nil con
---@return string|nil err
function ba.create.servcon(port, cfg) end
---@type BASERVCON|nil The HTTP port opened at start-up (as on the Mako Server for Linux)
ba.lcon6 = nil
---@type BASERVCON|nil The HTTPS port opened at start-up
ba.slcon6 = nil
---@type BASERVCON|nil Always nil here, as on the Mako Server for Linux (see ba.lcon6)
ba.lcon = nil
---@type BASERVCON|nil Always nil here (see ba.slcon6)
ba.slcon = nil
---@type integer HTTP port of the server (0 when none)
ba.serverport = 0
---@type integer HTTPS port of the server (0 when none)
ba.serversslport = 0
