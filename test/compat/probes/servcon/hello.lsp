hello <?lsp=request:method()?> <?lsp=request:uri()?>
