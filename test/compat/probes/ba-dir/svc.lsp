<?lsp print(pcall(app.SVC.service, app.SVC, request, "x/y")) print(pcall(app.SVC.service, app.SVC, request)) ?>
