"""Where a registry keeps the parts of an upload until it completes.

Two kinds, chosen by what the storage can do:

- :class:`LocalParts` (local disk): parts are written at their offsets into the session's
  pre-sized staging file; a small marker file per finished part (written last, by rename)
  records its ETag, so a part cut off half-way never counts as held.
- :class:`NativeParts` (a backend with the ``multipart_*`` capabilities, such as S3): the
  storage's own multipart upload, created on the session's staging object; clients send parts
  straight to presigned part URLs when the backend can presign them.

Either way completion leaves the whole blob at the session's staging object, and
``RegistryAccess.finalize`` checks its size and sha256 before the blob exists.
"""

from __future__ import annotations

import builtins
import contextlib
import json
import os
import shutil
from typing import Any

from tiffin.exceptions import InvalidArgument
from tiffin.hookspecs import (
    SupportsMultipart,
    SupportsMultipartPartUrl,
    SupportsMultipartUploadPart,
)
from tiffin_multipart._parts import Part, plan_parts

__all__ = ["LocalParts", "NativeParts", "check_part", "local_capable", "native_capable", "parts_for"]

#: S3 refuses parts under 5 MiB (all but the last).
NATIVE_MIN_PART = 5 * 1024 * 1024


def native_capable(backend: Any) -> bool:
    """Whether the storage backend has its own multipart upload."""
    return isinstance(backend, SupportsMultipart) and isinstance(
        backend, (SupportsMultipartPartUrl, SupportsMultipartUploadPart)
    )


def local_capable(registry: Any) -> bool:
    from fsspec.implementations.local import LocalFileSystem

    return isinstance(getattr(registry, "fs", None), LocalFileSystem)


def check_part(session: Any, number: int) -> Part:
    """The planned part ``number`` of ``session``, or a 400 naming the valid range."""
    parts = plan_parts(session.size, int(session.data["part_size"]))
    if not 1 <= number <= len(parts):
        raise InvalidArgument(
            f"upload {session.id} has parts 1 to {len(parts)}; there is no part {number}"
        )
    return parts[number - 1]


class LocalParts:
    """Parts written into the staging file on local disk, one marker file per finished part."""

    presigned = False

    def __init__(self, registry: Any, session: Any) -> None:
        self.registry = registry
        self.session = session
        self.path = registry.staging_path(session.id)
        self.markers = self.path + ".parts"

    @staticmethod
    def start(registry: Any, session: Any, part_size: int) -> dict[str, Any]:
        return {"mode": "local", "part_size": part_size}

    def open_for_part(self) -> int:
        """A descriptor of the staging file, created and sized on first use."""
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o644)
        if os.fstat(fd).st_size < self.session.size:
            os.ftruncate(fd, self.session.size)
        return fd

    def record(self, part: Part, etag: str) -> None:
        """Mark ``part`` finished, after its bytes are in the staging file."""
        os.makedirs(self.markers, exist_ok=True)
        final = os.path.join(self.markers, str(part.number))
        tmp = f"{final}.{os.getpid()}.tmp"
        with open(tmp, "w") as f:
            json.dump({"part_number": part.number, "etag": etag, "size": part.size}, f)
        os.replace(tmp, final)

    def list(self) -> list[dict[str, Any]]:
        found = []
        with contextlib.suppress(FileNotFoundError):
            for name in os.listdir(self.markers):
                if name.isdigit():
                    marker = os.path.join(self.markers, name)
                    with contextlib.suppress(FileNotFoundError, ValueError), open(marker) as f:
                        found.append(json.load(f))
        return sorted(found, key=lambda p: p["part_number"])

    def complete(self, parts: builtins.list[tuple[int, str]]) -> None:
        """Nothing to assemble: the staging file already holds every part in place."""

    def cleanup(self) -> None:
        shutil.rmtree(self.markers, ignore_errors=True)

    def abort(self) -> None:
        self.cleanup()


class NativeParts:
    """The storage backend's own multipart upload on the session's staging object."""

    def __init__(self, registry: Any, session: Any) -> None:
        self.registry = registry
        self.session = session
        self.backend = registry.backend
        self.url = registry.staging_url(session.id)
        self.upload_id = session.data["upload_id"]
        self.presigned = isinstance(self.backend, SupportsMultipartPartUrl)

    @staticmethod
    def start(registry: Any, session: Any, part_size: int) -> dict[str, Any]:
        upload_id = registry.backend.multipart_create(registry.staging_url(session.id))
        return {
            "mode": "native",
            "part_size": max(part_size, NATIVE_MIN_PART),
            "upload_id": upload_id,
        }

    def part_url(self, number: int, expires_s: int) -> str:
        return self.backend.multipart_part_url(self.url, self.upload_id, number, expires_s)

    def upload_part(self, number: int, data: bytes) -> str:
        return self.backend.multipart_upload_part(self.url, self.upload_id, number, data)

    def list(self) -> list[dict[str, Any]]:
        return [
            {"part_number": int(p["part_number"]), "etag": str(p["etag"]).strip('"'),
             "size": int(p["size"])}
            for p in self.backend.multipart_list_parts(self.url, self.upload_id)
        ]

    def complete(self, parts: builtins.list[tuple[int, str]]) -> None:
        self.backend.multipart_complete(self.url, self.upload_id, parts)

    def cleanup(self) -> None:
        """Nothing left once the storage completed the upload."""

    def abort(self) -> None:
        with contextlib.suppress(Exception):  # already completed or aborted: nothing to free
            self.backend.multipart_abort(self.url, self.upload_id)


def parts_for(registry: Any, session: Any) -> LocalParts | NativeParts:
    if session.data.get("mode") == "native":
        return NativeParts(registry, session)
    return LocalParts(registry, session)
