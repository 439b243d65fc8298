"""s3fs's file system, with files whose failures read as one-line tiffin errors.

Core streams archives through ``fs.open(path, "wb")`` and ``fs.open(path, "rb")``; every
request those files make (the ``HEAD`` on open, ranged ``GET`` reads, multipart part uploads,
the final ``PUT`` or ``CompleteMultipartUpload``) can fail on credentials, permissions, a
missing bucket or an unreachable endpoint. The files returned here translate those failures
(see :mod:`tiffin_s3._errors`); the rest of s3fs is unchanged, so its own internal handling
of ``FileNotFoundError`` keeps working.

Writes are all or nothing, as S3 makes them: the object appears when its single ``PUT`` or its
``CompleteMultipartUpload`` succeeds; a failed or discarded write aborts its multipart upload.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from s3fs import S3FileSystem

from tiffin_s3._errors import translate
from tiffin_s3._url import S3Location

if TYPE_CHECKING:
    from tiffin_s3._connection import S3Connection

__all__ = ["TiffinS3FileSystem"]


class TiffinS3FileSystem(S3FileSystem):
    """An ``S3FileSystem`` whose opened files raise tiffin errors naming the URL."""

    def __init__(self, *args: Any, connection: S3Connection, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tiffin_connection = connection

    def _location(self, path: str) -> S3Location:
        path = self._strip_protocol(path)
        bucket, _, key = path.partition("/")
        return S3Location(f"s3://{path}", bucket, key)

    def _open(self, path: str, mode: str = "rb", **kwargs: Any) -> Any:
        location = self._location(path)
        action = "read" if "r" in mode else "write"
        try:
            f = super()._open(path, mode, **kwargs)
        except Exception as exc:
            raise translate(exc, location, self.tiffin_connection, action) from exc
        return _TranslatingFile(f, location, self.tiffin_connection, action)


class _TranslatingFile:
    """Wraps an ``S3File``: the same methods, with S3 failures as tiffin errors."""

    def __init__(self, f: Any, location: S3Location, conn: S3Connection, action: str) -> None:
        self._f = f
        self._location = location
        self._conn = conn
        self._action = action

    def _call(self, method: str, *args: Any) -> Any:
        try:
            return getattr(self._f, method)(*args)
        except (ValueError, TypeError):
            raise  # misuse of the file object itself (closed, bad arguments): a bug, not S3
        except Exception as exc:
            raise translate(exc, self._location, self._conn, self._action) from exc

    def read(self, size: int = -1) -> bytes:
        return self._call("read", size)

    def readinto(self, buffer: Any) -> int:
        return self._call("readinto", buffer)

    def write(self, data: Any) -> int:
        return self._call("write", data)

    def flush(self) -> None:
        self._call("flush")

    def close(self) -> None:
        self._call("close")

    def discard(self) -> None:
        """Give up a write: abort its multipart upload, so nothing appears at the URL."""
        try:
            self._call("discard")
        finally:
            self._f.closed = True  # a later close() must not flush (and start a new upload)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._f.seek(offset, whence)

    def tell(self) -> int:
        return self._f.tell()

    def seekable(self) -> bool:
        return self._f.seekable()

    def readable(self) -> bool:
        return self._f.readable()

    def writable(self) -> bool:
        return self._f.writable()

    @property
    def closed(self) -> bool:
        return self._f.closed

    def __getattr__(self, name: str) -> Any:
        return getattr(self._f, name)

    def __enter__(self) -> _TranslatingFile:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        if exc_info[0] is not None and self.writable():
            self.discard()
        else:
            self.close()
