<?lsp desc("fwd") gf = 1 app = "X" response:forward("sub/f.lsp") ?>
