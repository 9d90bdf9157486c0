<?lsp print(type(app), app and app.greet, type(io)) ?>
