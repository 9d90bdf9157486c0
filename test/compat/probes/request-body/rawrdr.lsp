<?lsp
-- A reader is not called again after it returned nil: that stops Mako with a fatal error.
local size = tonumber(request:header("X-Size"))
local a = size and request:rawrdr(size) or request:rawrdr()
local b = size and request:rawrdr(size) or request:rawrdr()
print("types", type(a), a == b)
local t = {}
for d in a do t[#t + 1] = #d .. ":" .. d:sub(1, 4) end
print("a", #t, table.concat(t, " "))
print("b first", (b() or "nil"):sub(1, 4))
?>
