<?lsp print("hidden") ?>
