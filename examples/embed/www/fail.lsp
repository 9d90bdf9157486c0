<?lsp
-- A rejected promise raises a Lua error at this line: "node.lookup: id must be a non-empty string".
local ok, err = pcall(node.lookup, "")
print(ok, err)
node.lookup("")
?>
