"""Storage backends: ``register_storage_backends`` and the optional object-store abilities."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from tiffin.hookspecs._markers import hookspec

if TYPE_CHECKING:
    import fsspec

__all__ = [
    "StorageBackend",
    "SupportsAtomicWrite",
    "SupportsMultipart",
    "SupportsMultipartPartUrl",
    "SupportsMultipartUploadPart",
    "SupportsPresign",
    "SupportsPresignGet",
    "SupportsPresignPut",
    "SupportsReadRange",
    "register_storage_backends",
]


@runtime_checkable
class StorageBackend(Protocol):
    """Maps URL schemes to fsspec filesystems, with optional object-store abilities.

    Required:

    - ``schemes``: a tuple of lowercase URL schemes served (``("s3", "s3a")``; the built-in
      local backend serves ``"file"`` and plain paths). A plain string is refused.
    - ``filesystem(url) -> (fs, path)``: an ``fsspec.AbstractFileSystem`` and the path within it.

    Optional capabilities, used by the stores and the registry when present, each a small
    protocol checked with ``isinstance(backend, SupportsPresign)`` (all take a URL and raise
    :class:`tiffin.exceptions.TiffinError` subclasses on user-fixable failures):
    :class:`SupportsPresignGet`, :class:`SupportsPresignPut` (both: :class:`SupportsPresign`),
    :class:`SupportsMultipart` with :class:`SupportsMultipartPartUrl` and/or
    :class:`SupportsMultipartUploadPart`, :class:`SupportsReadRange`,
    :class:`SupportsAtomicWrite`. Test one with :class:`tiffin.testing.StorageBackendContract`.
    """

    schemes: tuple[str, ...]

    def filesystem(self, url: str) -> tuple[fsspec.AbstractFileSystem, str]: ...


@runtime_checkable
class SupportsPresignGet(Protocol):
    """``presign_get(url, expires_s)``: a signed URL anyone may GET, without credentials."""

    def presign_get(self, url: str, expires_s: int) -> str: ...


@runtime_checkable
class SupportsPresignPut(Protocol):
    """``presign_put(url, expires_s)``: a signed URL anyone may PUT the object to."""

    def presign_put(self, url: str, expires_s: int) -> str: ...


@runtime_checkable
class SupportsPresign(SupportsPresignGet, SupportsPresignPut, Protocol):
    """Both presigned GET and PUT URLs."""


@runtime_checkable
class SupportsMultipart(Protocol):
    """A multipart upload: create, list the parts received, complete, abort.

    ``multipart_list_parts`` returns dicts with ``part_number``, ``etag`` and ``size``;
    ``multipart_complete`` takes ``(part_number, etag)`` pairs. Parts themselves go up through
    :class:`SupportsMultipartPartUrl` (a presigned PUT per part) or
    :class:`SupportsMultipartUploadPart` (the backend sends them).
    """

    def multipart_create(self, url: str) -> str: ...

    def multipart_list_parts(self, url: str, upload_id: str) -> list[dict[str, Any]]: ...

    def multipart_complete(
        self, url: str, upload_id: str, parts: list[tuple[int, str]]
    ) -> None: ...

    def multipart_abort(self, url: str, upload_id: str) -> None: ...


@runtime_checkable
class SupportsMultipartPartUrl(Protocol):
    """``multipart_part_url(url, upload_id, part_number, expires_s)``: a presigned part PUT."""

    def multipart_part_url(
        self, url: str, upload_id: str, part_number: int, expires_s: int
    ) -> str: ...


@runtime_checkable
class SupportsMultipartUploadPart(Protocol):
    """``multipart_upload_part(url, upload_id, part_number, data) -> etag``."""

    def multipart_upload_part(
        self, url: str, upload_id: str, part_number: int, data: bytes
    ) -> str: ...


@runtime_checkable
class SupportsReadRange(Protocol):
    """``read_range(url, start, end)``: bytes ``[start, end)`` without reading the rest."""

    def read_range(self, url: str, start: int, end: int) -> bytes: ...


@runtime_checkable
class SupportsAtomicWrite(Protocol):
    """``write_atomic(url, data, if_absent=False) -> bool``: all of ``data`` or nothing; with
    ``if_absent`` write only when nothing is there yet and return whether it wrote (how
    manifests are committed last, and how two writers never both win)."""

    def write_atomic(self, url: str, data: bytes, if_absent: bool = False) -> bool: ...


@hookspec
def register_storage_backends(register: Callable[[StorageBackend], None]) -> None:
    """Register storage backends.

    :param register: call ``register(backend)`` once per :class:`StorageBackend` instance. A
        scheme claimed twice is a warning naming both plugins; the first registered wins.

    Called once per process, the first time a URL is opened (export, import, registry storage).
    A URL whose scheme no backend claims falls back to fsspec's own implementations.
    """
