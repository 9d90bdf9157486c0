<?lsp
local op = request:data"op"
if op == "r1" then response:sendredirect("/x/y.lsp") return end
if op == "r2" then response:sendredirect("y.lsp?a=1") return end
if op == "r3" then response:sendredirect("http://example.com/z") return end
if op == "fw" then response:setheader("X-Before", "1") print("before") response:forward("f.lsp") trace("after forward") print("after") return end
if op == "fwh" then response:forward("/.hid/h.lsp") return end
if op == "inc" then print("A") response:include("i.lsp") print("C") return end
if op == "allow" then print(pcall(request.allow, request, {"GET", "POST"})) return end
if op == "allownone" then print(pcall(request.allow, request)) return end
if op == "allowbad" then print(pcall(request.allow, request, "GET")) return end
?>
