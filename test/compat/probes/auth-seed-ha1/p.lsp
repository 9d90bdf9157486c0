<?lsp
local n, p, t = app[request:data"a"]:authenticate(request, request:data"rel" or "p.lsp")
if n then print("OK", n, t) end
?>
