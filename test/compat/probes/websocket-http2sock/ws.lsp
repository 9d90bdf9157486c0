<?lsp
local s = ba.socket.req2sock(request)
if s then
  s:event(function(s)
    while true do
      local d, bin = s:read()
      if not d then break end
      s:write("echo:" .. d, bin)
    end
  end, "s")
end
?>
