"""Moved to :mod:`tiffin.store.home`; this old name is the same module, so old imports work."""

import sys

import tiffin.store.home
from tiffin.store.home import DEFAULT_HOME, tiffin_home  # noqa: F401  (for type checkers)

sys.modules[__name__] = tiffin.store.home
