<?lsp desc("rr " .. request:uri()) response:include("s/q.lsp") ?>
