return { name = "pkg.sub" }
