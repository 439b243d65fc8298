pytest_plugins = ["tiffin.testing.fixtures"]
