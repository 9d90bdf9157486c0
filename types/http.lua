---@meta http
-- require"http": httpc plus redirects (the object's .raw is the httpc object).
local M = {}

---A require"http" object: the httpc methods (following redirects), plus
---`h:url()`: the URL (and query table) the final response came from, after redirects;
---`h:mkop(a [, b])`: a new table with a's fields then b's (`mkop(a)`: a merged into the defaults).
---@class BaHttpWrapper: HTTPCLIENT
---@field raw HTTPCLIENT the underlying httpc object
---@field url fun(self: BaHttpWrapper): string|nil, table|string|nil
---@field mkop fun(self: BaHttpWrapper, a: table, b?: table): table

---The table given (without its connection options such as `shark`, `persistent`, `proxy`)
---holds default fields for every request.
---@param opt? table as for require"httpc".create
---@return BaHttpWrapper
function M.create(opt) end

---The method table of the wrapper objects.
---@return table
function M.getmetatable() end

return M
