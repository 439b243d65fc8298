"""Moved to :mod:`tiffin.store.tag`; this old name is the same module, so old imports work."""

import sys

import tiffin.store.tag

sys.modules[__name__] = tiffin.store.tag
