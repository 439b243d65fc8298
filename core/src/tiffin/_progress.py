"""Moved to :mod:`tiffin.store.progress`; this old name is the same module."""

import sys

import tiffin.store.progress
from tiffin.store.progress import (  # noqa: F401  (the names type checkers see here)
    Progress,
    progress_bar,
    progress_enabled,
)

sys.modules[__name__] = tiffin.store.progress
