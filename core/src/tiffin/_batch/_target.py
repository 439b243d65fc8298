"""Whether a ``tiffin batch`` TARGET names a bento (which a cluster can ship to its workers).

The service itself is found by :func:`tiffin._target.resolve_target`, the one place that
decides what a TARGET means for ``tiffin serve``; this only asks the same question's other half.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tiffin._bento import Bento

__all__ = ["bento_of_target"]


def bento_of_target(target: str, working_dir: str) -> Bento | None:
    """The bento ``target`` names (a folder holding ``bento.yaml``, or a tag), else ``None``."""
    from tiffin._bento.loader import bento_from
    from tiffin._service.loader import resolve_module

    base = Path(working_dir)
    folder = base / Path(target).expanduser()
    if (folder / "bento.yaml").is_file():
        return bento_from(folder)
    module_part = target.partition(":")[0]
    if module_part and resolve_module(module_part, base) is not None:
        return None
    return bento_from(target)
