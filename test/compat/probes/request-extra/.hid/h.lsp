<?lsp print("hidden page") ?>
