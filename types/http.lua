---@meta http
-- require"http": httpc plus redirects (the object's .raw is the httpc object).
local M = {}

---@param opt? table as for require"httpc".create
---@return BaHttpc
function M.create(opt) end

return M
