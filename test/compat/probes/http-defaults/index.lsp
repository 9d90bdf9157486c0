<?lsp print("hello") ?>
