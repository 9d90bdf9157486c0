<?lsp
response:setheader("X-One", "1")
response:setheader("X-Two", "2")
response:write("ok")
?>
