<?lsp
print("P", pathname)
print("A", response:include"part.lsp")
print("B", pcall(response.include, response, "nothere.lsp"))
print("C", response:include"sub/s.shtml")
print("D", response:include"/.hid/h.lsp")
print("E", pcall(response.include, response, "/sub/x.lsp"))
response:setheader("X-Before", "1")
if request:data"f" then response:forward"/sub/x.lsp" print("not reached") end
?>
