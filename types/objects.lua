---@meta
-- remora's Lua objects. Class names are the objects' metatable names (what
-- getmetatable(x).__name says), so that test/unit/types.test.ts can match them.

-- ---------------------------------------------------------------------------- sockets

---A socket of any kind: TCP (blocking, asynchronous or cosocket), UDP, TLS, WebSocket.
---@class _BASOCK
local _BASOCK = {}

---Reads what has arrived, waiting if nothing has (at most ms milliseconds).
---Returns nil,"socketreadfailed" when the peer closed, nil,"timeout" after ms.
---UDP: read([ms,] true) also returns ip, port, isIPv6. WebSocket: data, isText[, bytesRead, frameLen].
---@param ms? integer
---@param recvfrom? boolean
---@return string|nil data
---@return string|boolean|nil err_or_isText
function _BASOCK:read(ms, recvfrom) end

---Sends data (string, number, bytearray); i, j select a range like string.sub. WebSocket:
---write(data [, isText]). "s"-mode sockets queue and return true.
---@param data string|number|BTA
---@return boolean|nil ok
---@return integer|string|nil queued_or_err
function _BASOCK:write(data, ...) end

---Waits for a client on a listening socket.
---@return _BASOCK|nil
---@return string|nil err "sysshutdown" when the server stops
function _BASOCK:accept() end

---@return boolean closed
function _BASOCK:close() end

---Attaches fn as the socket's coroutine and runs it until it first waits; op "s" = queued
---writes, "r" = read-mode (asynchronous) socket.
---@param fn fun(sock: _BASOCK, ...: any)
---@param op? "s"|"r"
---@return boolean|nil ok
---@return string|nil err
function _BASOCK:event(fn, op, ...) end

---Parks the socket's own coroutine until sock:enable(...) is called.
---@return any ... the values given to enable
function _BASOCK:disable() end

---@return boolean|nil
function _BASOCK:enable(...) end

---@param max? integer
---@return integer queued
function _BASOCK:queuelen(max) end

---@param n integer
---@return boolean
function _BASOCK:maxsize(n) end

---@return boolean
function _BASOCK:owner() end

---@return string state
---@return boolean hasNetworkSocket
function _BASOCK:state() end

---@return string ip
---@return integer port
---@return boolean isIPv6
function _BASOCK:peername() end

---@return string ip
---@return integer port
---@return boolean isIPv6
function _BASOCK:sockname() end

---@param name string "keepalive", "tcp-nodelay", "broadcast", "multicast-join", ...
---@return boolean|nil ok
---@return string|nil err
function _BASOCK:setoption(name, value, ...) end

---@return boolean isWebSocket
function _BASOCK:websocket() end

---Sends a WebSocket ping.
---@param data? string
function _BASOCK:ping(data) end

---UDP: sends data to host:port.
---@param data string|BTA
---@param host string
---@param port integer
---@return boolean|nil ok
---@return string|nil err
function _BASOCK:sendto(data, host, port) end

---Starts TLS on a connected socket.
---@param ctx SharkSsl
---@param alpn? string
---@return _BASOCK|nil
---@return string|nil err
function _BASOCK:upgrade(ctx, alpn) end

---@param name? string host name to check
---@return string|boolean verdict
function _BASOCK:trusted(name) end

---@return table|nil certificate
function _BASOCK:certificate() end

---@return string|nil cipher
---@return string|nil protocol
function _BASOCK:cipher() end

---@return boolean
function _BASOCK:isresumed() end

function _BASOCK:relsession() end

-- ---------------------------------------------------------------------------- timers, threads

---@class BaTimer
local BaTimer = {}

---@param ms integer
---@param keepref? boolean
---@param runnow? boolean
---@return boolean
function BaTimer:set(ms, keepref, runnow) end

---@param ms integer
---@return boolean|nil
function BaTimer:reset(ms) end

---@return boolean|nil
function BaTimer:cancel() end

---@class BaThread
local BaThread = {}

---Queues fn on this thread.
---@param fn fun()
---@return integer|nil
function BaThread:run(fn) end

---The coroutines of the pool's running jobs; also writes a listing to the trace log.
---@return thread[]
function BaThread:dbg() end

-- ---------------------------------------------------------------------------- IO and files

---An IO object (ba.openio, the app's io).
---@class BaIo
local BaIo = {}

---@param name string
---@param mode? string "r", "w", "a", "r+", ... (b is ignored)
---@return BaFile|nil
---@return string|nil err
function BaIo:open(name, mode) end

---@param name string
---@return table|nil stat {name, type = "regular"|"directory", size, mtime, ...}
---@return string|nil err
function BaIo:stat(name) end

---Iterates over a directory's names.
---@param dir string
---@param details? boolean
---@return fun(): string?, boolean?, integer?, integer?
function BaIo:files(dir, details) end

---@param dir string
---@return boolean|nil ok
---@return string|nil err
function BaIo:mkdir(dir) end

---@param dir string
---@return boolean|nil ok
---@return string|nil err
function BaIo:rmdir(dir) end

---@param name string
---@return boolean|nil ok
---@return string|nil err
function BaIo:remove(name) end

---@param from string
---@param to string
---@return boolean|nil ok
---@return string|nil err
function BaIo:rename(from, to) end

---@param name string
---@return string|nil path the name on the disk
function BaIo:realpath(name) end

---@return string type "disk", "vm", "net", ...
---@return string platform
function BaIo:resourcetype() end

---Loads and runs a Lua file from this IO.
---@param name string
---@param env? table
---@return any ...
function BaIo:dofile(name, env) end

---@param name string
---@param env? table
---@return function|nil chunk
---@return string|nil err
function BaIo:loadfile(name, env) end

---As Lua's io.type for BAS file objects: "file", "closed file", or nil (the IO itself when
---called as io:type()).
---@param obj any
---@return string|nil
function BaIo:type(obj) end

---Closes a zip file's IO (once): its entries then open with nothing to read. Raises
---"Cannot close static IO" (ba.openio's IOs) or "Not supported or closed" (the other IOs).
---Also the IO's __close.
function BaIo:close() end

---Mako sets a Windows file's hidden attribute; always false here (no IO has one).
---@param name string
---@param hide? integer 0 to show again (default 1)
---@return boolean
function BaIo:hide(name, hide) end

---Whether a zip entry is WinZip-AES encrypted.
---@param name string
---@return boolean|nil encrypted
---@return string|nil err "notfound", "noaccess" (a directory), "noimplementation" (not a zip IO)
function BaIo:encrypted(name) end

---Sets the password of a zip IO's AES-encrypted entries; false on other IOs.
---@param password string
---@param binary? boolean the password is binary: BAS's text form of it is used
---@param required? boolean entries that are not AES encrypted then fail ("aescompromised")
---@return boolean
function BaIo:setpasswd(password, binary, required) end

---Network settings of the net IO, used from its next request: user, pass (HTTP basic
---authentication), proxy, proxyport, proxyuser, proxypass, socks (HTTP CONNECT or SOCKS5
---proxy), ipv6, intf (local address), shark (client TLS context, needed for https). Other IOs:
---a zip IO answers nil, "failed", the rest raise "Not a NetIo object" (a table without those
---fields is accepted by every IO).
---@param t table
---@return boolean|nil ok
---@return string|nil err
function BaIo:netconf(t) end

---@class BaFile
local BaFile = {}

---@param n? integer|string a size, "a" / "*a" for the rest
---@return string|nil data
---@return string|nil err
function BaFile:read(n) end

---@return boolean|nil ok
---@return string|nil err
function BaFile:write(...) end

---@param whence? "set"|"cur"|"end"
---@param offset? integer
---@return integer|nil position
function BaFile:seek(whence, offset) end

function BaFile:flush() end
function BaFile:close() end

-- ---------------------------------------------------------------------------- the request

---An LSP page's request and response (the same object).
---@class BaRequest
local BaRequest = {}

---@param name? string
---@return string|table|nil value (all headers when no name)
function BaRequest:header(name) end

---@param name? string
---@return string|table|nil value (all parameters when no name)
function BaRequest:data(name) end

---A reader of the raw request body: each call returns the next `size` bytes (fewer only for the
---last piece; a chunked or large body is streamed and the call waits for them), nil at the end,
---or nil, "socketreadfailed" when the client went away or broke the chunked framing.
---@param size? integer default 1024
---@return fun(): string?, string?
function BaRequest:rawrdr(size) end

---A cookie of the response (request:cookie, request:createcookie). Each method reads its
---field without an argument and sets it with one.
---@class COOKIE
local COOKIE = {}
---@return string
function COOKIE:name() end
---@param v? string
---@return string|nil
function COOKIE:value(v) end
---@param p? string
---@return string|nil
function COOKIE:path(p) end
---@param d? string
---@return string|nil
function COOKIE:domain(d) end
---@param text? string
---@return string|nil
function COOKIE:comment(text) end
---Seconds, sent as an expires date; 0 deletes the cookie.
---@param seconds? integer
---@return integer
function COOKIE:maxage(seconds) end
---@param b? boolean
---@return boolean
function COOKIE:secure(b) end
---@param b? boolean
---@return boolean
function COOKIE:httponly(b) end
---The cookie is sent with the response head.
function COOKIE:activate() end
---The cookie expires (sent once activated).
function COOKIE:delete() end

---@class BaMultipartCallbacks
---@field formdata? fun(name: string, value: string)
---@field beginfile? fun(name: string, filename: string, contentType: string?, transferEncoding: nil)
---@field filedata? fun(data: string) "" at the end of each file
---@field endmp? fun()
---@field error? fun(message: string)

---Reads a multipart/form-data body (form uploads) and calls the callbacks in body order.
---@param callbacks BaMultipartCallbacks
---@param size? integer accepted, ignored
---@return true|nil ok
---@return string|nil err
function BaRequest:multipart(callbacks, size) end

---@return string
function BaRequest:method() end
---@return string
function BaRequest:uri() end
---@return string
function BaRequest:url() end
---@return string|nil
function BaRequest:querystring() end
---@return string "1.1" or "1.0"
function BaRequest:version() end
---@return boolean
function BaRequest:issecure() end
---@return string ip
---@return integer port
---@return boolean isIPv6
function BaRequest:peername() end
---@return string ip
---@return integer port
---@return boolean isIPv6
function BaRequest:sockname() end
---The response's cookie of that name, else the one the request sent; nil when neither.
---@param name string
---@return COOKIE|nil cookie
function BaRequest:cookie(name) end
---The response's cookie of that name, made when it has none (sent once activated).
---@param name string
---@return COOKIE cookie
function BaRequest:createcookie(name) end
---The logged-in user: name, password, type ("basic", "digest", "form", "?" for request:login).
---@return string|nil name
---@return string|nil password
---@return string|nil authtype
function BaRequest:user() end
---Ends the login (all = every session of the user); true when a user was logged in.
---@param all? boolean
---@return boolean
function BaRequest:logout(all) end
---Logs the request in without credentials (name default "_autologin_"); returns the name when
---already logged in.
---@param name? string
---@param maxusers? integer default 1
---@param recycle? boolean default true
---@return boolean|string
function BaRequest:login(name, maxusers, recycle) end
---@param create? boolean
---@return BaSession|false session
function BaRequest:session(create) end
---Runs an LSP page or sends a file (relative: to the page's directory; "/...": the app's root).
---@param path string
---@return true
function BaRequest:include(path) end
---Drops the buffered body, runs path as include does, and ends the page (does not return).
---@param path string
function BaRequest:forward(path) end
---@param code integer
---@return boolean
function BaRequest:setstatus(code) end
---@param name string
---@param value string
---@return boolean
function BaRequest:setheader(name, value) end
---@param contentType string
---@return boolean
function BaRequest:setcontenttype(contentType) end
---The page is sent with this Content-Length instead of chunked.
---@param n integer
---@return boolean
function BaRequest:setcontentlength(n) end
---Writes the values; returns the number of bytes written.
---@return integer
function BaRequest:write(...) end
function BaRequest:flush() end
---@return boolean
function BaRequest:committed() end
---@param code integer
---@param msg? string
---@return boolean
function BaRequest:senderror(code, msg) end
---302 to `url` (made absolute); does not return: the page ends there, as with forward.
---`false` when the head was already sent.
---@param url string
---@return boolean
function BaRequest:sendredirect(url) end
---Stops the page at once and closes the connection.
function BaRequest:abort() end
---true when the request's method is in `methods` (HEAD and OPTIONS always are); else answers
---405 with an Allow field and ends the page.
---@param methods? string[]
---@return true
function BaRequest:allow(methods) end
---@return integer
function BaRequest:getstatus() end
---The field's value, or false.
---@param name string
---@return string|false
function BaRequest:containsheader(name) end
---@param url string
---@return string
function BaRequest:encodeurl(url) end
---`url` made absolute against the request's URL.
---@param url string
---@return string
function BaRequest:encoderedirecturl(url) end
---The Host field without its port.
---@return string?
function BaRequest:domain() end
---false in a forwarded or included page.
---@return boolean
function BaRequest:initial() end
---@return boolean, integer
function BaRequest:isforward() end
---@return boolean, integer
function BaRequest:isinclude() end
---@return boolean
function BaRequest:valid() end
---Body bytes written so far.
---@return integer
function BaRequest:bytecount() end
---Body bytes buffered, not yet sent.
---@return integer
function BaRequest:writesize() end
---false (status 304) when the client's copy is not older than `time`; else true and Last-Modified.
---@param time integer
---@return boolean
function BaRequest:checktime(time) end
---Iterator over the request's parameters (name, value).
function BaRequest:datapairs() end
---@param seconds integer
---@return boolean
function BaRequest:setmaxage(seconds) end
---@param name string
---@param time integer
---@return boolean
function BaRequest:setdateheader(name, time) end
---@return boolean
function BaRequest:setdefaultheaders() end
---Drops unsent output; without "buffer" also the status and header fields.
---@param what? "buffer"
---@return boolean
function BaRequest:reset(what) end
---The connection closes after this response.
function BaRequest:clearkeepalive() end
---@param on boolean
function BaRequest:setnodelay(on) end
---Accepted; does nothing here.
function BaRequest:downgrade() end
---Answers `t` as JSON (application/json; earlier output and header fields go, the status and
---cookies stay) and ends the page.
---@param t table
function BaRequest:json(t) end
---The command environment: the _ENV the request's pages and callbacks share.
---@return table
function BaRequest:env() end
---The output written and not yet sent (nil while setresponse collects it).
---@return string|nil
function BaRequest:getdata() end
---Sends the head now without chunked framing, then `data` unbuffered.
---@param data string|number|nil
---@return boolean
function BaRequest:send(data) end
---Collects the page's output from here; finalize(true) sends it deflate-compressed.
---@return RESPONSEBUF|nil
function BaRequest:setresponse() end
---401 with a Basic challenge for `realm`.
---@param realm string
---@param extra? string
function BaRequest:setbasic(realm, extra) end
---401 with a Digest challenge for `realm`.
---@param realm string
---@param extra? string
function BaRequest:setdigest(realm, extra) end
---Serves the request again from `path` once the page has ended; ends the page.
---@param path string
function BaRequest:redirect(path) end
---false on HTTPS; else 301 to https (or 403) and the page ends.
---@return false
function BaRequest:redirect2tls() end
---The response outlives the page: a deferred response object.
---@return BaAsyncResponse
function BaRequest:deferred() end
---Cipher suite and protocol on HTTPS; nil, "sslnotenabled" on plain HTTP.
---@return string|nil, string
function BaRequest:cipher() end
---The client's certificate table and whether it is trusted; nil, false without one.
---@return table|nil, boolean|string
function BaRequest:certificate() end
---true on an HTTPS connection.
---@return boolean
function BaRequest:clientcert() end

---The object of response:setresponse(): finalize([deflate]) sends the collected output
---(deflate-compressed when `deflate`); abort() drops it.
---@class RESPONSEBUF
---@field finalize fun(self: RESPONSEBUF, deflate?: boolean): boolean|string|nil
---@field abort fun(self: RESPONSEBUF): boolean|nil

-- ---------------------------------------------------------------------------- the app's directory (env.dir)

---A directory of the server's directory tree (ba.create.dir; docs/api/ba.create.dir.md).
---@class DIR
local DIR = {}
---The URL of the directory ("/a/b/"); "/" when it is not inserted.
---@return string
function DIR:baseuri() end
---The directory's name ("" without one).
---@return string
function DIR:name() end
---dir:insert() inserts into the server's root; dir:insert(sub [, true]) inserts sub.
---@param sub? DIR|RESRDR
---@param keep? boolean
---@return true
function DIR:insert(sub, keep) end
---Removes the directory from its parent; false when it had none.
---@return boolean
function DIR:unlink() end
---The directory function f(env, relpath): handles the request unless it returns false.
---@param f? fun(env: table, relpath: string): boolean?
---@return true
function DIR:setfunc(f) end
---Stores an authenticator (and authorizer) checked before the directory runs.
---@param authenticator? userdata
---@param authorizer? userdata
function DIR:setauth(authenticator, authorizer) end
---The page sent when the authorizer denies access.
---@param url string
function DIR:p403(url) end
---Plain-HTTP requests to this directory are redirected to HTTPS.
---@param on? boolean
---@return true
function DIR:redirect2tls(on) end
---Runs the directory function for the page's request; true unless it returned false.
---@param request BaRequest
---@param relpath string
---@return boolean
function DIR:service(request, relpath) end

---A resource reader (ba.create.resrdr, an app's `dir`): serves the files of an IO; has the
---DIR methods too.
---@class RESRDR: DIR
local RESRDR = {}
---The IO the files come from.
---@return BaIo
function RESRDR:io() end
---The table given to lspfilter (the pages' `app`), or nil.
---@return table?
function RESRDR:getapp() end
---.lsp files run as pages with `app` as their app table; true the first time.
---@param app? table
---@return boolean
function RESRDR:lspfilter(app) end
---Adds header fields to every response from the directory's files.
---@param t table<string, string>
---@return true
function RESRDR:header(t) end
---Cache-Control max-age (seconds) of the directory's static files.
---@param seconds integer
---@return true
function RESRDR:maxage(seconds) end
---A directory run before this one (and before its authenticator).
---@param dir DIR|RESRDR
---@param keep? boolean
---@return true
function RESRDR:insertprolog(dir, keep) end

-- ---------------------------------------------------------------------------- others

---A bytearray: b[i] is a byte, #b the window's size (see ba.bytearray).
---@class BTA

---A hash function: h(data) adds, h(true [, fmt]) finishes (see ba.crypto.hash).
---@class BaHash

---Incremental UBJSON parser from ba.ubjson.parser.
---@class BAUBJSON
local BAUBJSON = {}
---Feeds data: true and each completed top-level table (or true, {tables} with all = true),
---or nil, err ("parse", "stack overflow").
---@param data string
---@param all? boolean
---@return boolean|nil
function BAUBJSON:parse(data, all) end

---AES object from ba.crypto.symmetric.
---@class BASYMMETRIC
local BASYMMETRIC = {}
---Additional authenticated data for GCM/CCM.
---@param aad string
function BASYMMETRIC:setauth(aad) end
---@param data string
---@param padding? string "PKCS7"
---@return string ciphertext
---@return string? tag GCM/CCM: 16 bytes
function BASYMMETRIC:encrypt(data, padding) end
---decrypt(data, tag [, "PKCS7"]) for GCM/CCM; decrypt(data [, "PKCS7"]) for CBC.
---@return string|nil plaintext
---@return string|nil err
function BASYMMETRIC:decrypt(data, tagOrPadding, padding) end

---@class BaJsonParser
local BaJsonParser = {}

---@param data string
---@param all? boolean
---@return any|boolean|nil value_or_true
---@return any err_or_values
function BaJsonParser:parse(data, all) end

---@class SharkSsl
local SharkSsl = {}
---@param cert any from ba.create.sharkcert
---@return boolean
function SharkSsl:addcert(cert) end

---@class SharkCertStore
local SharkCertStore = {}
---addcert(io, name) or addcert(pemTextOrPath)
---@return integer|nil added
---@return string|nil err
function SharkCertStore:addcert(...) end

---An HTTP client (require"httpc".create()).
---@class HTTPCLIENT
local HTTPCLIENT = {}
---@param op table {url = ..., method = ..., header = {...}, query = {...}, deflate = true (ws://: offer permessage-deflate), ...}
---@return boolean|nil ok
---@return string|nil err "prxready" when `proxycon` opened the tunnel (then ba.socket.http2sock(h))
function HTTPCLIENT:request(op) end
---@return integer|nil status
---@return string|nil err
function HTTPCLIENT:status() end
---header(name): the first field's value and the status, or nil, "no error";
---header(): a table of every field and the status.
---@param name? string
---@return string|table|nil value
---@return integer|string status_or_err
function HTTPCLIENT:header(name) end
---@return fun(): string?, string?
function HTTPCLIENT:headerpairs() end
---@param n? integer|string a size, "*a", or 0 (drop the rest of the body, returns true)
---@return string|boolean|nil data
---@return string|nil err
function HTTPCLIENT:read(n) end
---@param data string
---@return boolean|nil ok
---@return integer|nil err -991 (no request body open) or -996 (write failed)
function HTTPCLIENT:write(data) end
---@return true
function HTTPCLIENT:close() end
---Iterator over the Set-Cookie fields of the response: `for name, value, attrs in h:cookie() do`
---(`attrs`: attribute name -> value as written, `""` for a flag; nil without attributes).
---Nothing before a request or after close(). Cookies are not stored or sent back.
---@return fun(): string, string, table|nil
function HTTPCLIENT:cookie() end
---@param ms integer 0 leaves the limit as it was
---@return true
function HTTPCLIENT:timeout(ms) end
---@return string|boolean
function HTTPCLIENT:trusted(...) end
---@return table|nil
function HTTPCLIENT:certificate() end
---@return string|nil
function HTTPCLIENT:cipher() end
---@return string|nil ip
---@return integer port_or_err -1 without a connection
---@return boolean isIPv6
function HTTPCLIENT:peername() end
---@return string|nil ip
---@return integer port_or_err -1 without a connection
---@return boolean isIPv6
function HTTPCLIENT:sockname() end
