<?lsp
-- A JSON API: read the request body, answer with JSON.
local parts = {}
for data in request:rawrdr() do parts[#parts + 1] = data end
local t = ba.json.decode(table.concat(parts))
if type(t) ~= "table" or type(t.numbers) ~= "table" then
   response:senderror(400, "expected {\"numbers\": [...]}")
   return
end
local sum = 0
for _, n in ipairs(t.numbers) do sum = sum + n end
response:setcontenttype("application/json")
response:write(ba.json.encode({sum = sum}))
?>
