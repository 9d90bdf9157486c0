<?lsp print("x page", request:uri()) ?>
