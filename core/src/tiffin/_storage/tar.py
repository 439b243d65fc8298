"""Moved to :mod:`tiffin.store.tar`; this old name is the same module, so old imports work."""

import sys

import tiffin.store.tar

sys.modules[__name__] = tiffin.store.tar
