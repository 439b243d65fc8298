"""Moved to :mod:`tiffin.store.manifest`; this old name is the same module, so old imports work."""

import sys

import tiffin.store.manifest
from tiffin.store.manifest import (  # noqa: F401  (the names type checkers see here)
    CHUNK_SIZE,
    FileEntry,
    hash_file,
    scan,
    verify,
)

sys.modules[__name__] = tiffin.store.manifest
