<?lsp
-- WebSocket echo endpoint (the seed's cosocket WebSocket server page with "s" mode).
if request:header"Sec-WebSocket-Key" then
   local s = ba.socket.req2sock(request, {deflate = true})
   if s then s:event(app.wsEcho, "s") end
   return
end
response:sendredirect("index.html")
?>
