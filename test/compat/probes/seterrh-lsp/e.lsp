<?lsp
marker = "m1"
_G.lastenv = _ENV
_G.lastcmdenv = request:env()
if request:data("op") == "page2" then marker2 = 2 end
error("page boom")
?>
