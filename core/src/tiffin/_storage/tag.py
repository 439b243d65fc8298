"""Moved to :mod:`tiffin.store.tag`; this old name is the same module, so old imports work."""

import sys

import tiffin.store.tag
from tiffin.store.tag import (  # noqa: F401  (the names type checkers see here)
    MAX_NAME_LENGTH,
    Tag,
    new_version,
    validate_name,
    validate_version,
)

sys.modules[__name__] = tiffin.store.tag
