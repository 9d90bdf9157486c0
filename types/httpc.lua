---@meta httpc
-- require"httpc"
local M = {}

---A new HTTP client object. With `proxy` (an HTTP proxy unless `socks = true`) every request
---goes through a CONNECT tunnel; `proxycon = true` makes h:request stop once the tunnel is
---open (nil, "prxready") for ba.socket.http2sock(h).
---@param opt? table {shark = ctx, persistent = true, proxy = host, proxyport = 8080, proxyuser = ..., proxypass = ..., proxycon = true, socks = true, ...}
---@return HTTPCLIENT
function M.create(opt) end

---Splits a query string as Mako does: `name=value` pairs at `&`, values decoded.
---@param query string
---@return table<string, string>
function M.parsequery(query) end

return M
