<?lsp
desc("index")
page.n = (page.n or 0) + 1
print("n=" .. page.n)
g1 = 1
app, io = "X", "Y"
print("assigned", tag(app), tag(io), tag(rawget(_ENV, "app")), tag(rawget(_G, "app")))
request:include("sub/inc.lsp")
response:include("/sub/inc.lsp")
print("after include", tag(app), tag(io), tag(page), pathname, g2)
?>
