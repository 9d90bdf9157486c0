<?lsp
local which = request:data"a" or "basic"
local n, p, t = app[which]:authenticate(request, "page.lsp")
if not n then return end
print("OK", n, p, t, request:user())
?>
