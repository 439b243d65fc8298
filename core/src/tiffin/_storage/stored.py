"""Moved to :mod:`tiffin.store.stored`; this old name is the same module, so old imports work."""

import sys

import tiffin.store.stored

sys.modules[__name__] = tiffin.store.stored
