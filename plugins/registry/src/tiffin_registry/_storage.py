"""Blob storage: content-addressed files in any storage backend, written through fsspec.

Layout under the storage URL::

    blobs/sha256/<first two hex digits>/<sha256>   verified blobs, never changed once there
    uploads/<session id>                           uploads in progress (staging)
    uploads/<session id>.<random>                  one request's own staging file, or the
                                                   private copy that is hashed and landed
    registry.db                                    the default SQLite database (local storage)

A blob lands only after its size and sha256 were checked: on local disk with one
``os.replace`` from the staging file (the same file system), on other file systems with
fsspec's ``mv``. Code paths for local disk are a fast path only; everything else goes through
the backend's fsspec filesystem, so a storage plugin (``s3://``) needs no change here.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import secrets
from collections.abc import AsyncIterator
from typing import Any, BinaryIO

from starlette.concurrency import run_in_threadpool

from tiffin.exceptions import DigestMismatch, InvalidArgument, TiffinError

__all__ = ["BlobStorage", "StorageFull"]


class StorageFull(TiffinError):
    """The registry's storage has no room left (HTTP 507)."""

    status_code = 507
    error_kind = "storage_full"


CHUNK = 1 << 20
_BUFFER = 4 << 20


class _FsspecOnly:
    """A stand-in backend for URL schemes no tiffin plugin claims (fsspec handles them)."""

    def __init__(self, scheme: str) -> None:
        self.schemes = (scheme,)

    def filesystem(self, url: str) -> tuple[Any, str]:
        import fsspec

        return fsspec.core.url_to_fs(url)


def _scheme(url: str) -> str:
    head, sep, _ = url.partition("://")
    return head.lower() if sep else "file"


class BlobStorage:
    """The registry's storage: where blobs and staged uploads live, and how bytes get there."""

    def __init__(self, url: str) -> None:
        from fsspec.implementations.local import LocalFileSystem

        from tiffin import _plugins

        if not url:
            raise InvalidArgument("--storage needs a folder or a URL (s3://bucket/prefix)")
        scheme = _scheme(url)
        if scheme == "file" and "://" not in url:
            url = os.path.abspath(os.path.expanduser(url))
        self.url = url.rstrip("/") or "/"
        backend = _plugins.storage_backends().get(scheme) or _FsspecOnly(scheme)
        try:
            self.fs, root = backend.filesystem(self.url)
        except (ImportError, ValueError) as exc:
            hint = " (pip install tiffin-s3)" if scheme in ("s3", "s3a") else ""
            raise InvalidArgument(
                f"--storage {url!r}: no storage backend handles {scheme!r} URLs{hint}: {exc}"
            ) from None
        self.backend = backend
        self.root = str(root).rstrip("/")
        self.local = isinstance(self.fs, LocalFileSystem)
        if self.local:
            if os.path.exists(self.root) and not os.path.isdir(self.root):
                raise InvalidArgument(f"--storage {url!r} is a file; give a folder")
            for sub in ("blobs/sha256", "uploads"):
                os.makedirs(os.path.join(self.root, sub), exist_ok=True)
        else:
            self._check_writable()

    def _check_writable(self) -> None:
        """Fail at start-up, in one line, when remote storage cannot be written.

        A missing bucket, wrong credentials or an unreachable endpoint would otherwise show up
        only as failed pushes; the backend's own error names the cause and the fix.
        """
        probe = f"{self.root}/uploads/.tiffin-check-{os.urandom(6).hex()}"
        try:
            with self.fs.open(probe, "wb") as f:
                f.write(b"ok")
        except TiffinError:
            raise
        except OSError as exc:
            raise InvalidArgument(f"--storage {self.url!r} cannot be written: {exc}") from None
        self.remove(probe)

    # -- where things live --------------------------------------------------------------------

    def _blob_rel(self, sha256: str) -> str:
        return f"blobs/sha256/{sha256[:2]}/{sha256}"

    def blob_path(self, sha256: str) -> str:
        return f"{self.root}/{self._blob_rel(sha256)}"

    def blob_url(self, sha256: str) -> str:
        return f"{self.url}/{self._blob_rel(sha256)}"

    def staging_path(self, session_id: str) -> str:
        return f"{self.root}/uploads/{session_id}"

    def staging_url(self, session_id: str) -> str:
        return f"{self.url}/uploads/{session_id}"

    # -- bytes --------------------------------------------------------------------------------

    def open_read(self, path: str) -> BinaryIO:
        if self.local:
            return open(path, "rb")
        return self.fs.open(path, "rb")

    def exists(self, path: str) -> bool:
        return os.path.isfile(path) if self.local else bool(self.fs.exists(path))

    def remove(self, path: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            if self.local:
                os.unlink(path)
            else:
                self.fs.rm(path)

    def size(self, path: str) -> int:
        return os.path.getsize(path) if self.local else int(self.fs.size(path))

    def hash_object(self, path: str) -> tuple[int, str]:
        """``(size, sha256)`` of a stored object, streamed."""
        digest = hashlib.sha256()
        size = 0
        with self.open_read(path) as f:
            while chunk := f.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
        return size, digest.hexdigest()

    def land(self, staged: str, sha256: str) -> None:
        """Move a verified staged object to its blob path (atomically on local disk).

        ``staged`` must be an object no one else can write (a request's own ``O_EXCL`` file, or
        the private copy :meth:`verified_copy` made): it replaces whatever is at the blob path,
        so a blob left damaged by an older registry is healed by the next upload.
        """
        target = self.blob_path(sha256)
        if self.local:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            os.replace(staged, target)
            return
        self.fs.mv(staged, target)

    def private_path(self, staged: str) -> str:
        """A fresh name beside ``staged`` that no URL, session or other request knows."""
        return f"{staged}.{secrets.token_hex(8)}"

    def verified_copy(self, staged: str) -> tuple[str, int, str]:
        """Copy ``staged`` into a fresh private object and hash *that*: ``(copy, size, sha256)``.

        Whoever can still write ``staged`` (a slow part PUT, a replayed presigned URL) cannot
        reach the copy, so what is hashed is what lands. Raises FileNotFoundError when nothing
        was staged.
        """
        fresh = self.private_path(staged)
        if not self.local:
            self.fs.copy(staged, fresh)
            try:
                size, digest = self.hash_object(fresh)
            except BaseException:
                self.remove(fresh)
                raise
            return fresh, size, digest
        hasher = hashlib.sha256()
        size = 0
        with open(staged, "rb") as src:
            out = self._open_write(fresh)
            try:
                with out:
                    while chunk := src.read(CHUNK):
                        out.write(chunk)
                        hasher.update(chunk)
                        size += len(chunk)
            except BaseException:
                self.remove(fresh)
                raise
        return fresh, size, hasher.hexdigest()

    def verify_at_rest(self, sha256: str, size: int) -> bool:
        """Whether the blob stored as ``sha256`` has that digest and ``size`` (read back)."""
        try:
            return self.hash_object(self.blob_path(sha256)) == (size, sha256)
        except FileNotFoundError:
            return False

    async def receive(
        self, staged: str, chunks: AsyncIterator[bytes], size: int, sha256: str
    ) -> None:
        """Stream ``chunks`` into ``staged`` while hashing; refuse a wrong size or digest.

        On any failure (short or long body, wrong digest, client gone) the staged object is
        removed and nothing lands.
        """
        digest = hashlib.sha256()
        f = await run_in_threadpool(self._open_write, staged)
        received = 0
        buffer = bytearray()

        def flush(data: bytes) -> None:
            f.write(data)
            digest.update(data)

        try:
            async for chunk in chunks:
                if not chunk:
                    continue
                received += len(chunk)
                if received > size:
                    raise DigestMismatch(
                        f"the upload of {sha256} sent more than the {size} bytes announced; "
                        f"nothing was stored"
                    )
                buffer += chunk
                if len(buffer) >= _BUFFER:
                    data, buffer = bytes(buffer), bytearray()
                    await run_in_threadpool(flush, data)
            if buffer:
                await run_in_threadpool(flush, bytes(buffer))
            await run_in_threadpool(f.close)
            if received != size:
                raise DigestMismatch(
                    f"the upload of {sha256} stopped after {received} of {size} bytes; "
                    f"nothing was stored: push again"
                )
            actual = digest.hexdigest()
            if actual != sha256:
                raise DigestMismatch(
                    f"the bytes uploaded as {sha256} have sha256 {actual}: the file changed or "
                    f"was damaged on the way; nothing was stored"
                )
            await run_in_threadpool(self.land, staged, sha256)
        except BaseException as exc:
            with contextlib.suppress(Exception):
                f.close()
            await run_in_threadpool(self.remove, staged)
            if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise StorageFull(
                    "the registry's storage is full; nothing was stored. Ask its operator to "
                    "free space (tiffin registry gc) and push again"
                ) from None
            raise

    def _open_write(self, path: str) -> BinaryIO:
        """A new object for writing; on local disk created exclusively (``O_EXCL``), so no two
        requests ever share a staging file."""
        if self.local:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            return os.fdopen(fd, "wb")
        self.fs.makedirs(path.rsplit("/", 1)[0], exist_ok=True)
        return self.fs.open(path, "wb")
