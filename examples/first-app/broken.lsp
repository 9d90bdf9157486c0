<?lsp
-- A page with a mistake, to see what errors look like.
local t = nil
print(t.field)
?>
