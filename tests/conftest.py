pytest_plugins = [
    "tiffin.testing.fixtures",
    "tiffin.testing.skips",
    "tiffin_registry.testing",
    "tiffin_s3.testing",
]
