<?lsp
-- A reader is not called again after it returned nil: that stops Mako with a fatal error.
local size = tonumber(request:header("X-Size"))
local a = size and request:rawrdr(size) or request:rawrdr()
local t = {}
for d in a do t[#t + 1] = #d .. ":" .. d:sub(1, 4) end
print("a", #t, table.concat(t, " "))
local b = size and request:rawrdr(size) or request:rawrdr()
local first = b()
print("b first", first and first:sub(1, 4) or "nil", first and #first or 0)
?>
