"""Moved to :mod:`tiffin.store.local`; this old name is the same module, so old imports work."""

import sys

import tiffin.store.local

sys.modules[__name__] = tiffin.store.local
