<?lsp print("B inc", request:isinclude()) ?>
