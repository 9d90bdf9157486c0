---@meta
-- Type definitions of remora's Lua API for lua-language-server (LuaLS) and compatible editors.
-- Add this folder to "workspace.library" in .luarc.json:  { "workspace.library": ["types"] }

---@class BaSocket
local Sock = {}

---Reads what has arrived (at most `maxsize` bytes), waiting if nothing has.
---Returns nil,"socketreadfailed" when the peer closed, nil,"timeout" after `ms`.
---UDP: `read(true)`/`read(ms,true)` also returns ip, port, isIPv6. WebSocket: data, isText[, bytesRead, frameLen].
---@param ms? integer
---@param recvfrom? boolean
---@return string|nil data
---@return string|boolean|nil err_or_isText
function Sock:read(ms, recvfrom) end

---Sends data (string, number, bytearray); i, j select a range like string.sub.
---Queued ("s") sockets return true, queued or nil, queuedBytes for non-cosocket writers at the limit.
---@param data string|number|BaByteArray
---@param i? integer|boolean
---@param j? integer
---@return boolean|nil ok
---@return integer|string|nil queued_or_err
function Sock:write(data, i, j) end

---Waits for a client on a listening socket (own coroutine only); returns a blocking socket.
---@return BaSocket|nil
---@return string|nil err
function Sock:accept() end

---@return boolean closed true, or false if it was already closed
function Sock:close() end

---Attaches fn as the socket's own coroutine and runs it until it first waits. op "s" = queued writes.
---@param fn fun(sock: BaSocket, ...: any)
---@param op? "s"|"r"
---@return boolean|nil ok
---@return string|nil err
function Sock:event(fn, op, ...) end

---@return any ... the values passed to enable(...)
function Sock:disable() end

---@return boolean|nil
function Sock:enable(...) end

---@param max? integer
---@return integer previous
function Sock:queuelen(max) end

---@param n integer
---@return boolean
function Sock:maxsize(n) end

---@return boolean
function Sock:owner() end

---@return string state
---@return boolean hasNetworkSocket
function Sock:state() end

---@return string|nil ip
---@return integer|string port_or_err
---@return boolean|nil isIPv6
function Sock:peername() end

---@return string|nil ip
---@return integer|string port_or_err
---@return boolean|nil isIPv6
function Sock:sockname() end

---@param name "tcp-nodelay"|"keepalive"|"broadcast"|"dontroute"|"ip-membership"
---@return boolean|nil
function Sock:setoption(name, value, ...) end

---@return boolean
function Sock:websocket() end

---@param data? string
function Sock:ping(data) end

---@param data string
---@param host string
---@param port integer
function Sock:sendto(data, host, port) end

---@param ctx any TLS context from ba.create.sharkssl
---@param alpn? string
function Sock:upgrade(ctx, alpn) end

---@param name? string
---@return boolean|nil trusted
---@return string|nil why "certcn"|"cert"|"cn"|"none"|"sslnotenabled"
function Sock:trusted(name) end

---@return table|nil
function Sock:certificate() end

---@return string|nil cipher
---@return string|nil protocol
function Sock:cipher() end

---@class BaSocketOptions
---@field intf? string local interface/IP
---@field ipv6? boolean
---@field timeout? integer connect timeout in ms (default 1000)
---@field shark? any TLS context
---@field alpn? string
---@field port? integer local port (udpcon)

---@class BaByteArray

---@class BaSocketLib
---@field connect fun(host: string, port: integer, opt?: BaSocketOptions): BaSocket|nil, string?, string?
---@field bind fun(port: integer, opt?: BaSocketOptions): BaSocket|nil, string?
---@field udpcon fun(...): BaSocket|nil, string?, string?
---@field event fun(fn: fun(sock: BaSocket, ...: any), ...: any): BaSocket|nil
---@field getsock fun(): BaSocket|nil
---@field req2sock fun(request: any, raw?: boolean): BaSocket|nil, string?
---@field sock2req fun(sock: BaSocket, pushback?: string)
---@field http2sock fun(h: any): BaSocket|nil, string?
---@field toip fun(name: string, ipv6?: boolean): string|nil, string?
---@field n2h fun(size: integer, str: string, offset?: integer): integer
---@field h2n fun(size: integer, n: integer): string
---@field fn2h fun(size: integer, str: string, offset?: integer): number
---@field fh2n fun(size: integer, num: number): string
---@field stat fun(): integer, integer

---@class BaTimer
---@field set fun(self: BaTimer, ms: integer, keepref?: boolean, runnow?: boolean): boolean
---@field reset fun(self: BaTimer, ms: integer): boolean|nil
---@field cancel fun(self: BaTimer): boolean|nil

---@class BaThreadLib
---@field run fun(fn: fun()): integer
---@field create fun(): { run: fun(self: any, fn: fun()): integer, dbg: fun(self: any) }
---@field configure fun(n?: integer): integer
---@field dbg fun()

---@class Ba
---@field socket BaSocketLib
---@field thread BaThreadLib
---@field timer fun(fn: fun(): boolean?): BaTimer
---@field sleep fun(ms: integer)
---@field clock fun(): integer
---@field version fun(): integer
---@field bytearray table
---@field json { encode: fun(v: any): string|nil, string?, decode: fun(s: string): any, string?, null: any }
---@field crypto table
---@field rnd fun(min?: integer, max?: integer): integer
---@field rnds fun(n: integer): integer
---@field rndbs fun(n: integer): string
---@field b64encode fun(s: string): string
---@field b64decode fun(s: string): string|nil
---@field b64urlencode fun(s: string): string
---@field b64urldecode fun(s: string): string|nil
---@field urlencode fun(s: string|table): string
---@field urldecode fun(s: string): string
---@field openio fun(name: "home"|"disk"|"vm"|"net"): any
---@field mkio fun(io: any, path: string): any
---@field create table
---@field sharkclient fun(): any
ba = {}

---Writes "<function> <line>: " and the values, tab-separated, to the trace log.
function trace(...) end

---@param prio integer
function tracep(showLine, prio, ...) end
