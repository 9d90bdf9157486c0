<?lsp
-- Whole messages of any size: wsread assembles the pieces of a message longer than the read
-- chunk (sock:maxsize, 257..8192 bytes, default 8192).
local function wsread(sock)
   local data, utf8, bytesRead, frameLen = sock:read()
   local reads = 1
   if frameLen then -- a piece: collect the rest
      local t = {}
      repeat
         t[#t + 1] = data
         data, utf8, bytesRead, frameLen = sock:read()
         reads = reads + 1
      until not data or frameLen == bytesRead
      if data then t[#t + 1] = data data = table.concat(t) end
   end
   return data, utf8, reads -- data, isText, reads; or nil, error
end

if request:header"Sec-WebSocket-Key" then
   local chunk = tonumber(request:data"chunk" or "") -- e.g. whole.lsp?chunk=1024
   local s = ba.socket.req2sock(request, {deflate = true})
   if s then
      s:event(function(s)
         if chunk then s:maxsize(chunk) end
         while true do
            local data, isText, reads = wsread(s)
            if not data then break end
            s:write(string.format("%d bytes (%s) in %d reads", #data, isText and "text" or "binary", reads), true)
         end
      end, "s")
   end
   return
end
response:sendredirect("index.html")
?>
