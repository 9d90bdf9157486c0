<?lsp response:setcontenttype("text/plain") ?>hello
