return { name = "mod", source = debug.getinfo(1, "S").source }
