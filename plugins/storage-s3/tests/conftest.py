pytest_plugins = ["tiffin.testing.fixtures", "tiffin_s3.testing"]
