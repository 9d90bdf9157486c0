<?lsp desc("rr " .. request:uri()) response:include("s/q.lsp") page.n = (page.n or 0) + 1 ?>n=<?lsp= page.n ?>
