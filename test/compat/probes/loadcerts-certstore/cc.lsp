<?lsp
-- As Mako's docs say: ask for the client's certificate, then see who signed it.
local asked = request:clientcert()
local c, trusted = request:certificate()
print(asked, c and c.subject.commonname or tostring(c), trusted)
?>
