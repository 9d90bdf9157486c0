<?lsp
response:sendredirect("/x")
print("page went on")
trace("page went on")
?>
