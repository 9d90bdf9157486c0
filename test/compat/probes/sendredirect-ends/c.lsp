<?lsp
local ok, e = pcall(response.sendredirect, response, "/p")
trace("after pcall", ok, e)
?>
