<?lsp
local op = request:data("op")
local function show(c)
  if not c then print("nil") return end
  print(c:name(), c:value(), c:path(), c:domain(), c:maxage(), c:secure(), c:httponly(), c:comment())
end
if op == "getters" then
  local c = request:createcookie("n")
  print("type", type(c))
  show(c)
  print("setters return", select("#", c:value("v")), select("#", c:path("/")), select("#", c:domain("d.com")),
    select("#", c:maxage(5)), select("#", c:secure(1)), select("#", c:httponly(true)), select("#", c:comment("x")),
    select("#", c:activate()), select("#", c:delete()))
  show(c)
  c:secure(nil) c:httponly(false) c:maxage("7") c:value(12)
  show(c)
elseif op == "full" then
  local c = request:createcookie("n")
  c:value("a b;c,d=e\"f") c:domain("example.com") c:path("/p q") c:maxage(100) c:secure(true) c:httponly(true)
  c:comment("a comment")
  c:activate()
elseif op == "late" then
  local c = request:createcookie("n") c:value("v1") c:activate() c:value("v2") c:maxage(5)
elseif op == "delete" then
  local c = request:createcookie("gone") c:value("v") c:delete()
  local d = request:createcookie("old") d:value("v") d:delete() d:activate()
  show(d)
elseif op == "max0" then
  local c = request:createcookie("n") c:value("v") c:maxage(0) c:activate()
elseif op == "maxneg" then
  local c = request:createcookie("n") c:value("v") c:maxage(-5) c:activate()
elseif op == "noval" then
  request:createcookie("n"):activate()
elseif op == "two" then
  local a = request:createcookie("a") a:value("1") a:activate()
  local b = request:createcookie("b") b:value("2") b:activate()
  request:createcookie("c"):value("3")
elseif op == "same" then
  local a = request:createcookie("a") a:value("1")
  show(request:cookie("a"))
  local b = request:createcookie("a")
  print("same object", a == b)
  b:value("2") b:activate()
  show(a)
  print("missing", request:cookie("nope"))
elseif op == "afterout" then
  print("x") response:flush()
  local c = request:createcookie("n") c:value("v") c:activate()
  print("committed", response:committed())
elseif op == "session" then
  local a = request:createcookie("a") a:value("1") a:activate()
  request:session(true)
  local b = request:createcookie("b") b:value("2") b:activate()
elseif op == "senderror" then
  request:createcookie("a"):activate() response:senderror(404, "x")
elseif op == "redirect" then
  request:createcookie("a"):activate() response:sendredirect("/x")
elseif op == "json" then
  response:setheader("Set-Cookie", "s=1")
  request:createcookie("a"):activate() response:json{a = 1}
elseif op == "escape" then
  local s = {}
  for i = 32, 126 do s[#s + 1] = string.char(i) end
  local c = request:createcookie("n") c:value(table.concat(s) .. "\t\r\n") c:activate()
  local u = request:createcookie("u") u:value("\195\169") u:activate()
elseif op == "errors" then
  print(pcall(request.createcookie, request))
  print(pcall(request.cookie, request, {}))
  print("number name", request:createcookie(12):name())
  local c = request:createcookie("m")
  print(pcall(c.maxage, c, "x"))
  print(pcall(c.maxage, c, {}))
  print(pcall(c.value, c, {}))
  print(pcall(c.path, c, nil))
  print(pcall(c.value, {}))
  print(pcall(c.value, request))
elseif op == "recv" then
  for _, n in ipairs{"q", "v", "w", "e", "other", "none"} do show(request:cookie(n)) end
  local c = request:createcookie("q") print("createcookie of a received one", c:value())
  c:activate()
elseif op == "recv2" then
  for _, n in ipairs{"x", "u", "k", "z"} do
    local c = request:cookie(n)
    print(n, c and c:name(), c and (string.format("%q", c:value()):gsub("[\128-\255]", function(b) return ("<%02x>"):format(b:byte()) end)))
  end
end
?>
