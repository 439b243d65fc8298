"""Tiffin's own features, registered through the public hooks exactly like third-party plugins."""
