<?lsp response:setcontentlength(5) response:write("12345") ?>
