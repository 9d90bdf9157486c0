<?lsp
local s = request:session()
print("type", type(s), math.type(s:id()), #s:id(true), s:user())
print("usecounter", s:usecounter(), "maxinactive", s:maxinactiveinterval(), s:peername(), s:creationtime() > 0, s:lastaccessedtime() > 0)
s.count = 1
print("attr", s.count, s:attributes().count, pcall(function() s.user = 1 end))
print("same", ba.session(s:id()).count, ba.session(s:id()):id() == s:id(), #ba.sessions("admin") >= 1)
print("maxinactive", s:maxinactiveinterval(30), s:maxinactiveinterval())
print("lock", s:lock(), s:lock(), s:release(), s:release())
local s2 = request:session()
print("terminate", s2:terminate(), pcall(function() return s2:id() end))
print("session after", request:session())
?>
