<?lsp
print("rawrdr", pcall(request.rawrdr, request))
print("data k", request:data("k"))
?>
