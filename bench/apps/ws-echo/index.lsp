<?lsp
if request:header"Sec-WebSocket-Key" then
  local s = ba.socket.req2sock(request)
  if s then s:event(app.wsEcho, "s") end
  return
end
print("WebSocket echo: connect with a WebSocket client")
?>
