<?lsp response:include("rrdir/p.lsp") ?>
