pytest_plugins = ["tiffin.testing.fixtures", "tiffin.testing.skips"]
