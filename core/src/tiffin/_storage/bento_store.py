"""Moved to :mod:`tiffin._bento._carried` (the bento kind); kept so that old imports work."""

from tiffin._bento._carried import bento_store

__all__ = ["bento_store"]
