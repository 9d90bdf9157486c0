<?lsp desc("inc") print("inc", pathname, page.name) page.name = "inc" g2 = 2 ?>
