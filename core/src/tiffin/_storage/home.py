"""Moved to :mod:`tiffin.store.home`; this old name is the same module, so old imports work."""

import sys

import tiffin.store.home

sys.modules[__name__] = tiffin.store.home
