<?lsp
-- A page: Lua between the markers, text outside it. request and response are the same object.
local name = request:data("name") or "world"
response:setcontenttype("text/plain")
?>
Hello, <?lsp= name ?>!
You asked for <?lsp= request:uri() ?> with <?lsp= request:method() ?>.
WebSocket messages echoed so far: <?lsp= app.count ?>
