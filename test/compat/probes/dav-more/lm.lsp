<?lsp
-- dav:lockmgr from a page: a lock owned by "WFM" (no user), its owner file and expiry.
response:setcontenttype"text/plain"
local d = app.davm
if request:data"unlock" then
  print("unlock", d:lockmgr("k.txt", false))
else
  print("lock", d:lockmgr("k.txt", request, 10))
  local xml, t = d:lockmgr("k.txt", true)
  print("owner", xml, math.type(t), t - os.time() >= 60 and t - os.time() <= 72)
  print("second", d:lockmgr("k2.txt", request, 10))
end
?>
