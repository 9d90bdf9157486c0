<?lsp
local ok, err = pcall(app.upload, request)
print("uploader raised", err)
print("arg", pcall(app.upload, nil))
?>
