<?lsp
print("mismatch", pcall(request.multipart, request, {filedata = function() end}))
print("no table", pcall(request.multipart, request))
?>
