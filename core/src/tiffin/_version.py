"""The one version shared by every first-party tiffin package."""

__version__ = "0.1.0"
