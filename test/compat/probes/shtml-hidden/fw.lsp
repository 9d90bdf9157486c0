<?lsp response:forward("h.shtml") ?>
