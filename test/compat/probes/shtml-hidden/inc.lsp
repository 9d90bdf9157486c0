<?lsp response:include("h.shtml") response:include("sub/s.shtml") ?>
