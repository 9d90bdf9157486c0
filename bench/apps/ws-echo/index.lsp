<?lsp
if request:header"Sec-WebSocket-Key" then
  -- ?deflate=1: negotiate permessage-deflate (bench:ws's compressed table)
  local s = ba.socket.req2sock(request, {deflate = request:data"deflate" == "1"})
  if s then s:event(app.wsEcho, "s") end
  return
end
print("WebSocket echo: connect with a WebSocket client")
?>
