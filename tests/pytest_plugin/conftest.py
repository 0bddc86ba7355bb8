"""The plugin's tests run small test suites of a user's with pytest's own ``pytester``."""

pytest_plugins = ["pytester"]
