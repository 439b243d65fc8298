"""Moved to :mod:`tiffin.store.archive`; this old name is the same module, so old imports work."""

import sys

import tiffin.store.archive

sys.modules[__name__] = tiffin.store.archive
