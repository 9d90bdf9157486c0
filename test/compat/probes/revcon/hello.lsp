<?lsp response:setcontenttype"text/plain" print("hello from", request:url(), request:header"Host", request:data"x") ?>
