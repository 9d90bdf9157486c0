<?lsp
-- node.lookup is an async TypeScript function: this page waits for it; other requests and
-- cosockets keep running meanwhile.
local user = node.lookup(request:data("id") or "7")
response:setcontenttype("application/json")
print(ba.json.encode({sum = node.add(2, 3), user = user}))
?>
