pytest_plugins = ["tiffin.testing.fixtures", "tiffin_registry.testing", "tiffin_s3.testing"]
