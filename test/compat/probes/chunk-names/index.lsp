<?lsp
local ok, err = pcall(function() error("in page") end)
print(err)
print(debug.getinfo(1, "S").source)
?>
