<?lsp
-- WebSocket chat endpoint.
if request:header"Sec-WebSocket-Key" then
   local s = ba.socket.req2sock(request, {deflate = true})
   if s then s:event(app.wsChat, "s") end
   return
end
response:sendredirect("index.html")
?>
