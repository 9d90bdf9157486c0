<?lsp print("in sub", request:uri(), request:data("op"), request:isforward()) ?>
