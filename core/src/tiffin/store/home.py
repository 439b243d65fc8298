"""Where tiffin keeps its data. Read at every use, so a program may repoint it at any time."""

from __future__ import annotations

import os
from pathlib import Path

from tiffin.exceptions import InvalidArgument

DEFAULT_HOME = "~/tiffin"


def tiffin_home() -> Path:
    """The root of the local stores: ``$TIFFIN_HOME``, else ``~/tiffin``; always absolute.

    Absolute, so that a model's ``path`` stays valid after the program changes directory.
    """
    home = Path(os.environ.get("TIFFIN_HOME") or DEFAULT_HOME).expanduser().absolute()
    if home.exists() and not home.is_dir():
        raise InvalidArgument(
            f"TIFFIN_HOME is {str(home)!r}, which is not a folder; point TIFFIN_HOME at a folder "
            f"(it is created when missing)"
        )
    return home
