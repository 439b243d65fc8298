"""Where tiffin keeps its data. Read at every use, so a program may repoint it at any time."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_HOME = "~/tiffin"


def tiffin_home() -> Path:
    """The root of the local stores: ``$TIFFIN_HOME``, else ``~/tiffin``."""
    return Path(os.environ.get("TIFFIN_HOME") or DEFAULT_HOME).expanduser()
