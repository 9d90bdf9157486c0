---@meta httpc
-- require"httpc"
local M = {}

---A new HTTP client object.
---@param opt? table {shark = ctx, trusted = true, proxy = ..., timeout = ms, ...}
---@return BaHttpc
function M.create(opt) end

return M
