<?lsp desc("f") print("f", gf) ?>
