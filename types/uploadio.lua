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
