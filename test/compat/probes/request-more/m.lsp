<?lsp
local op = request:data"op"
local function msg(e) return (tostring(e):gsub("^[^\n]-:%d+: ", "")) end
if op == "getdata" then
  response:write("hello")
  local n = select("#", response:getdata())
  local d = response:getdata()
  response:reset("buffer")
  print(n, d)
elseif op == "write" then
  local a, b, c, d = response:write("a", "bc"), response:write(), response:write(12), response:write("")
  response:reset("buffer")
  print(a, b, c, d)
elseif op == "send" then
  response:setcontentlength(3)
  print(response:send("abc"))
elseif op == "mixsend" then
  -- send() while written output waits in the buffer: an error (a 500 when not caught).
  response:write("abc")
  print(pcall(response.send, response, "xyz"))
elseif op == "mixsend500" then
  response:write("abc")
  response:send("xyz")
elseif op == "sendempty" then
  response:setcontentlength(3)
  response:write("")
  response:send("xyz")
elseif op == "basic" then
  print(response:setbasic("realm1"))
elseif op == "digest" then
  print(response:setdigest("realm2", "x"))
elseif op == "basicbad" then
  print(pcall(response.setbasic, response))
elseif op == "redirfile" then
  print("dropped")
  response:redirect("/t.txt")
  print("not reached")
elseif op == "redirpage" then
  response:redirect("sub/p.lsp")
elseif op == "redirbad" then
  local ok, e = pcall(response.redirect, response)
  print(ok, msg(e))
elseif op == "r2tls" then
  print("dropped")
  response:redirect2tls()
  print("not reached")
elseif op == "tls" then
  print(response:cipher())
  print(response:certificate())
  print(response:clientcert())
elseif op == "deferred" then
  response:setheader("X-A", "1")
  print("dropped")
  local d = response:deferred()
  print("dropped too")
  ba.timer(function() d:setheader("X-D", "2") d:write("late") d:close() end):set(50, true)
elseif op == "setresp" then
  response:setheader("X-A", "1")
  local x = response:setresponse()
  response:setheader("X-B", "2")
  print("hello hello hello")
  -- Results go to the .preload's table (printed by the client once the answer is in): the
  -- answer leaves at finalize, so traces after it would race with the client's line (which
  -- waits for fin[3]).
  app.fin = {tostring(response:getdata()), tostring(response:setresponse())}
  app.fin[3] = tostring(x:finalize(true))
elseif op == "setrespabort" then
  local x = response:setresponse()
  print("dropped")
  app.abort = tostring(x:abort())
  print("kept")
end
?>
