"""A bento on its way to Ray workers: packed once on the driver, put in the object store,
unpacked once per node (not per task, not per actor) into a cache keyed by its content."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import io
import os
import shutil
import tarfile
import tempfile
from pathlib import Path

__all__ = ["pack", "unpack"]


def pack(folder: Path) -> tuple[bytes, str]:
    """The bento folder as an uncompressed tar, and a key naming its content."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        tar.add(folder, arcname="bento")
    data = buffer.getvalue()
    return data, hashlib.sha256(data).hexdigest()[:24]


def _cache_root() -> Path:
    root = Path(os.environ.get("TIFFIN_RAY_CACHE", Path(tempfile.gettempdir()) / "tiffin-ray"))
    root.mkdir(parents=True, exist_ok=True)
    return root


def unpack(data: bytes, key: str) -> Path:
    """The bento folder on this node, unpacked by the first actor here that needs it."""
    root = _cache_root()
    final = root / key / "bento"
    if (final / "bento.yaml").is_file():
        return final
    with open(root / f"{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (final / "bento.yaml").is_file():
            return final
        staging = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=root))
        try:
            with tarfile.open(fileobj=io.BytesIO(data), mode="r") as tar:
                tar.extractall(staging, filter="data")
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / "bento", final)
        finally:
            with contextlib.suppress(FileNotFoundError):
                shutil.rmtree(staging)
    return final
