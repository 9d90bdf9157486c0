<?lsp print("in f.lsp", request:isforward(), request:uri(), request:initial()) ?>
