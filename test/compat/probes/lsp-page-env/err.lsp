<?lsp ge = 1 error("boom") ?>
