pytest_plugins = ["tiffin.testing.fixtures", "tiffin.testing.skips", "tiffin_s3.testing"]
