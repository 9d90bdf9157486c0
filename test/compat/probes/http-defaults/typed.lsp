<?lsp response:setcontenttype("text/plain") response:setheader("Cache-Control", "max-age=60") print("plain") ?>
