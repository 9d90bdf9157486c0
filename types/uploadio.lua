---@meta
-- Uploads, deferred responses, Lua IOs, the trace logger and the IO helpers (issue 15, item 3).

---An upload service over io; returns the uploader: uploader(request, name, startfunc, completefunc, errorfunc [, env [, keep]]).
---Does not return (the page ends) unless keep is true.
---@param io BaIo
---@param maxuploads? integer concurrent uploads (default 65535)
---@return fun(request: BaRequest, name: string, startfunc: fun(env: table, upload: BaUpload), completefunc: fun(env: table, upload: BaUpload), errorfunc: fun(env: table, upload: BaUpload, code: string, message: string?), env?: table, keep?: boolean)
function ba.create.upload(io, maxuploads) end

---An upload in progress (the callbacks' second argument); "expired" after the last callback.
---@class BaUpload
local BaUpload = {}
---@return string url of the request without the query
function BaUpload:url() end
---@return string name path and file name
function BaUpload:name() end
---@return boolean
function BaUpload:multipart() end
---@return table|false session
function BaUpload:session() end
---@return BaAsyncResponse
function BaUpload:response() end

---A deferred response (upload:response()).
---@class BaAsyncResponse
local BaAsyncResponse = {}
---@return boolean
function BaAsyncResponse:valid() end
---@param conclose? boolean close the connection afterwards
function BaAsyncResponse:close(conclose) end
function BaAsyncResponse:abort() end
---@return boolean|nil ok
---@return string|nil err
function BaAsyncResponse:setstatus(code, msg) end
---@return boolean|nil ok
---@return string|nil err
function BaAsyncResponse:setheader(name, value) end
function BaAsyncResponse:setcontentlength(n) end
---@return boolean|nil ok
---@return string|nil err
function BaAsyncResponse:send(data, size) end
---@return boolean|nil ok
---@return string|nil err
function BaAsyncResponse:write(...) end

---A new table of the named IOs: disk, home, net, vm.
---@return table<string, BaIo>
function ba.io() end

---The Lua code of an LSP page (BAS's form); raw = true leaves out the `local _ENV,pathname,io,page,app=...` header.
---@param source string
---@param raw? boolean
---@return string|nil code
---@return string|nil err "start tag without end tag at line# N"
function ba.parselsp(source, raw) end

---Loads a Lua file from io (default: the vm IO).
---@param name string
---@return function|nil
---@return string|nil err
function ba.loadfile(name, ...) end

---Installs the error handler fn(message, env), called before an error is traced; returns the previous one.
---@param fn? fun(message: string, env: table?)
---@return function|nil previous
function ba.seterrh(fn) end

ba.xmlrpc = {}
---An XML-RPC base64 value: a function returning its XML and "XMLRPC".
---@param s string
---@return fun(): string, string
function ba.xmlrpc.base64(s) end
---An XML-RPC dateTime.iso8601 value (seconds, or a formatted string); iso8601(s, true) reads s into seconds.
---@return (fun(): string, string)|integer|nil
function ba.xmlrpc.iso8601(...) end

---The TraceLogger service (one per server); served at /rtl/<name>/ (default "tracelogger.service").
---@param name? string|nil
---@return BaTraceLogger
function ba.create.tracelogger(name) end

---@class BaTraceLogger
local BaTraceLogger = {}
---The settings (request, requestheaders, responseheaders, http11state, responsebody, priority); applies t when given.
---@param t? table
---@return table
function BaTraceLogger:configure(t) end
---fn(conns) runs when a client connects (1) or leaves (0).
---@param fn fun(conns: integer)
---@return true
function BaTraceLogger:onclient(fn) end
function BaTraceLogger:close() end

---An IO whose operations are the Lua functions of t (open, stat, files, mkdir, rmdir, remove, rename).
---@param t table
---@return BaLuaIo
function ba.create.luaio(t) end

---An IO made by ba.create.luaio (the methods of an IO object).
---@class BaLuaIo
local BaLuaIo = {}
function BaLuaIo:open(name, mode) end
function BaLuaIo:stat(name) end
function BaLuaIo:files(dir, attrs) end
function BaLuaIo:mkdir(name) end
function BaLuaIo:rmdir(name) end
function BaLuaIo:remove(name) end
function BaLuaIo:rename(from, to) end
function BaLuaIo:resourcetype() end
function BaLuaIo:realpath(name) end
function BaLuaIo:loadfile(name, env) end
function BaLuaIo:dofile(name, env) end
---As BaIo's (docs/api/ba.io.md): io.type of a file object, nil for the IO.
function BaLuaIo:type(obj) end
---Raises "Not supported or closed" (only a zip file's IO closes).
function BaLuaIo:close() end
---false (no hidden attribute).
function BaLuaIo:hide(name, hide) end
---nil, "noimplementation".
function BaLuaIo:encrypted(name) end
---false (no password).
function BaLuaIo:setpasswd(password, binary, required) end
---true for a table without network fields, else raises "Not a NetIo object".
function BaLuaIo:netconf(t) end

---A file of a ba.create.luaio IO.
---@class BaLuaIoFile
local BaLuaIoFile = {}
function BaLuaIoFile:read(n) end
function BaLuaIoFile:write(...) end
function BaLuaIoFile:seek(pos) end
function BaLuaIoFile:flush() end
function BaLuaIoFile:close() end
---A reverse connection (docs/api/ba-misc.md#barevcon): dials `url` with GET; a 202 answer makes
---the connection one the broker sends HTTP requests over. In a script run without the server
---it raises "not supported by this runtime".
---@class RevCon
local RevCon = {}
---Sets the GET's header fields; the first call starts the connection loop.
---@param headers table<string, string>
function RevCon:token(headers) end
---The last HTTP status (or negative error code) and how many connections the broker accepted.
---@return integer status, integer count
function RevCon:status() end
---Ends the reverse connection (connections already serving go on); true.
---@return boolean
function RevCon:close() end
---@param opts {url: string, trusted?: boolean, shark?: userdata, intf?: string, ipv6?: boolean}
---@return RevCon
function ba.revcon(opts) end
---A WebDAV directory (docs/api/ba.create.dav.md): a directory object with io(), lockmgr() and service().
---@class DAV
local DAV = {}
---The IO object the directory serves.
---@return table io
function DAV:io() end
---Lock manager: (name) -> locked; (name, request, seconds) -> true | nil, err;
---(name, true) -> ownerxml, endtime | nil, err; (name, false) -> true | nil, err.
---@param name string
---@return any, any
function DAV:lockmgr(name, ...) end
---Runs WebDAV for a page's request, `rel` being the path below the directory: true, or false
---for GET/HEAD of a directory (nothing sent).
---@param request table
---@param rel string
---@return boolean
function DAV:service(request, rel) end
---ba.create.dav([name] [, priority], io [, lockdir] [, maxuploads, maxlocks])
---@return DAV
function ba.create.dav(...) end
ba.pipe = {}
---Makes a named pipe (FIFO); true or nil, message.
---@param path string
---@param mode? integer default 0700
---@return boolean|nil, string?
function ba.pipe.mkfifo(path, mode) end
---Opens a FIFO as a socket object: with `fn`, read-write and run as `fn(pipe, ...)`'s cosocket;
---without, write only. Nil and the system's message on failure.
---@param path string
---@param fn? fun(pipe: table, ...)
---@return table|nil, string?
function ba.pipe.open(path, fn, ...) end
