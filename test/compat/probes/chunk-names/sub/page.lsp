<?lsp
local ok, err = pcall(function() error("in sub page") end)
print(err)
?>
