<?lsp
-- The WebSocket endpoint: hand the upgrade request to a cosocket that runs app.wsEcho.
if request:header("Sec-WebSocket-Key") then
   local sock = ba.socket.req2sock(request)
   if sock then sock:event(app.wsEcho, "s") end
   return
end
response:senderror(400, "WebSocket clients only")
?>
