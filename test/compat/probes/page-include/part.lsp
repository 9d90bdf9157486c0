<?lsp print("in part", request:uri(), pathname or "-") ?>
