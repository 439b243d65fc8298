pytest_plugins = ["tiffin.testing.fixtures"]   # an empty $TIFFIN_HOME per test, CLI helpers
