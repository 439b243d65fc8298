"""Moved to :mod:`tiffin.store.progress`; this old name is the same module."""

import sys

import tiffin.store.progress

sys.modules[__name__] = tiffin.store.progress
