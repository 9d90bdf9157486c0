<?lsp
local m = request:data"m"
local args = {}
for w in (request:data"a" or ""):gmatch("[^,]+") do args[#args+1] = tonumber(w) or (w == "true" and true) or w end
local t = table.pack(pcall(request[m], request, table.unpack(args)))
if m == "datapairs" and t[1] then
  local keys = {}
  for k, v in t[2], t[3], t[4] do keys[#keys+1] = k .. "=" .. v end
  table.sort(keys)
  t = {n = 2, true, table.concat(keys, "&")}
end
for i = 1, t.n do t[i] = tostring(t[i]) end
print(m, table.concat(t, " "))
?>
