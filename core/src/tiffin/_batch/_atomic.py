"""Files that appear whole or not at all, even when the process is killed mid-write.

Locally a file is written unnamed (Linux ``O_TMPFILE``: a killed process leaves nothing
behind) and linked under its name when complete; where that is not available, under a hidden
temporary name renamed at the end. On other file systems it is written under a temporary name
beside the target and moved into place when complete.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import uuid
from typing import Any

__all__ = ["AtomicFile"]

_BUFFER = 1 << 20


class AtomicFile:
    """A binary file object for ``path`` on ``fs``; ``commit()`` publishes it, ``discard()`` drops it."""

    def __init__(self, fs: Any, path: str, local: bool) -> None:
        self.fs = fs
        self.path = path
        self.local = local
        self._fd: int | None = None
        self._temp: str | None = None
        if local:
            directory = os.path.dirname(path) or "."
            os.makedirs(directory, exist_ok=True)
            try:
                self._fd = os.open(directory, os.O_TMPFILE | os.O_WRONLY, 0o644)
            except (AttributeError, OSError):
                self._temp = os.path.join(
                    directory, f".{os.path.basename(path)}.{uuid.uuid4().hex[:12]}.tmp"
                )
                self._fd = os.open(self._temp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            self.file: Any = open(self._fd, "wb", buffering=_BUFFER, closefd=False)  # noqa: SIM115
        else:
            parent = posixpath.dirname(path)
            self._temp = posixpath.join(
                parent, f".{posixpath.basename(path)}.{uuid.uuid4().hex[:12]}.tmp"
            )
            self.file = fs.open(self._temp, "wb")

    def commit(self) -> None:
        """Publish the file under its name, replacing whatever was there."""
        self.file.close()
        if not self.local:
            self.fs.mv(self._temp, self.path)
            return
        assert self._fd is not None
        try:
            if os.environ.get("TIFFIN_FSYNC") == "1":  # power-loss durability, on request
                os.fsync(self._fd)
            if self._temp is None:  # an unnamed file: give it a temporary name, then rename
                named = os.path.join(
                    os.path.dirname(self.path) or ".",
                    f".{os.path.basename(self.path)}.{uuid.uuid4().hex[:12]}.tmp",
                )
                _link_fd(self._fd, named)
                self._temp = named
            os.replace(self._temp, self.path)
            self._temp = None
        finally:
            os.close(self._fd)
            self._fd = None

    def discard(self) -> None:
        """Drop the file: nothing appears under its name."""
        with contextlib.suppress(Exception):
            self.file.close()
        if self.local:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
            if self._temp is not None:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(self._temp)
        elif self._temp is not None:
            with contextlib.suppress(Exception):
                self.fs.rm(self._temp)
        self._temp = None


def _link_fd(fd: int, path: str) -> None:
    """Give the unnamed file open as ``fd`` the name ``path`` (``linkat`` with
    ``AT_SYMLINK_FOLLOW`` on ``/proc/self/fd/N``; ``os.link`` makes that call only when a
    directory descriptor is passed, so one is, though the absolute path ignores it)."""
    root = os.open("/", os.O_RDONLY)
    try:
        os.link(f"/proc/self/fd/{fd}", path, src_dir_fd=root, follow_symlinks=True)
    finally:
        os.close(root)
