"""Refuse ``torch.export`` archives that would make ``torch.export.load`` unpickle.

``torch.export.load`` reads plain tensors from raw bytes, but it unpickles (with
``weights_only=False``) any weight or constant the archive marks ``use_pickle``, any custom or
opaque object constant, legacy ``.pt`` weight files, and example inputs that the safe loader
refuses. An archive saved by ``tiffin.torch.save_model`` from an ordinary module has none of
these, so one that does was made elsewhere or tampered with: it is refused before torch
opens it, and the ``export`` format keeps its promise of loading without running code.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

from tiffin.exceptions import InvalidArgument

__all__ = ["check_plain_pt2"]


def check_plain_pt2(file: Path, tag: Any) -> None:
    """Raise :class:`InvalidArgument` unless every entry of ``file`` loads without unpickling."""
    problems: list[str] = []
    try:
        with zipfile.ZipFile(file) as archive:
            for name in archive.namelist():
                problems += _problems(archive, name)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        problems.append(f"not a readable archive ({exc})")
    if problems:
        raise InvalidArgument(
            f"model {tag}: its torch.export archive would run pickled code when loaded "
            f"({'; '.join(problems[:3])}); it was not written by tiffin.torch.save_model from a "
            f"plain module. Save the module again with format='export'"
        )


def _problems(archive: zipfile.ZipFile, name: str) -> list[str]:
    parts = name.split("/")
    if "data" not in parts:
        return []
    area = parts[parts.index("data") + 1] if parts.index("data") + 1 < len(parts) else ""
    leaf = parts[-1]
    if area in {"weights", "constants"} and leaf.endswith("_config.json"):
        return _config_problems(json.loads(archive.read(name)), name)
    if area in {"weights", "constants"} and leaf.endswith(".pt"):
        return [f"{name} is a pickled legacy file"]
    if area == "sample_inputs" and leaf.endswith(".pt"):
        return _sample_problems(archive.read(name), name)
    return []


def _config_problems(config: dict[str, Any], name: str) -> list[str]:
    out = []
    for fqn, entry in (config.get("config") or {}).items():
        if entry.get("use_pickle"):
            out.append(f"{fqn} in {name} is pickled")
        path_name = str(entry.get("path_name", ""))
        if "constants" in name and not path_name.startswith("tensor"):
            out.append(f"{fqn} in {name} is a Python object ({path_name})")
    return out


def _sample_problems(data: bytes, name: str) -> list[str]:
    import torch

    try:
        torch.load(io.BytesIO(data), weights_only=True)
    except Exception:
        return [f"{name} needs full unpickling"]
    return []
