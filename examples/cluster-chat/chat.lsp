<?lsp
-- The WebSocket endpoint: each connection runs app.wsChat as a cosocket.
if request:header("Sec-WebSocket-Key") then
   local sock = ba.socket.req2sock(request)
   if sock then sock:event(app.wsChat, "s") end
   return
end
response:senderror(400, "WebSocket clients only")
?>
