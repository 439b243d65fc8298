"""Moved to :mod:`tiffin.store.urls`; this old name is the same module, so old imports work."""

import sys

import tiffin.store.urls

sys.modules[__name__] = tiffin.store.urls
