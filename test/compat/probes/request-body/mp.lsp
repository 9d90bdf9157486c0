<?lsp
local log = {}
local function add(...)
  local t = table.pack(...)
  for i = 1, t.n do t[i] = type(t[i]) == "string" and ("%q"):format(t[i]):gsub("\\\n", "\\n") or tostring(t[i]) end
  log[#log + 1] = table.concat(t, " ", 1, t.n)
end
local r1, r2 = request:multipart{
  formdata = function(...) add("formdata", ...) end,
  beginfile = function(...) add("beginfile", ...) end,
  filedata = function(d) add("filedata", #d) end,
  endmp = function(...) add("endmp", ...) end,
  error = function(...) add("error", ...) end,
}
add("return", r1, r2)
print(table.concat(log, "\n"))
?>
