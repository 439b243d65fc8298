"""Moved to :mod:`tiffin.store.chain`; this old name is the same module, so old imports work."""

import sys

import tiffin.store.chain

sys.modules[__name__] = tiffin.store.chain
