"""Moved to :mod:`tiffin.store.manifest`; this old name is the same module, so old imports work."""

import sys

import tiffin.store.manifest

sys.modules[__name__] = tiffin.store.manifest
