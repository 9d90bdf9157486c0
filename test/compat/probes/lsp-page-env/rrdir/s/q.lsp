<?lsp desc("rr inc " .. request:uri()) ?>
