"""The ``s3://`` storage backend: a file system plus every optional capability of the hookspec.

See :class:`tiffin.hookspecs.StorageBackend`. Streaming (export, import, stores) goes through
s3fs; the capabilities (presigned URLs, multipart uploads, ranged reads, atomic and
conditional writes) are single S3 requests on a botocore client. All of them raise
:class:`tiffin.exceptions.TiffinError` subclasses that name the URL and the likely fix.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from tiffin.exceptions import InvalidArgument
from tiffin_s3 import _checks
from tiffin_s3._conditional import ConditionalWrites
from tiffin_s3._connection import S3Connection, connection
from tiffin_s3._errors import translate
from tiffin_s3._multipart import MultipartUploads
from tiffin_s3._url import SCHEMES, S3Location, parse

__all__ = ["S3Storage"]


class S3Storage(MultipartUploads, ConditionalWrites):
    """``s3://bucket/key`` and ``s3a://bucket/key`` on AWS S3 or any S3-compatible server."""

    schemes = SCHEMES

    def filesystem(self, url: str) -> tuple[Any, str]:
        location = parse(url)
        with self.requests(location, "open") as conn:
            return conn.fs, location.fs_path

    @contextlib.contextmanager
    def requests(self, location: S3Location, action: str) -> Iterator[S3Connection]:
        """The connection, with any failure inside the block translated for ``location``."""
        conn: S3Connection | None = None
        try:
            conn = connection()
            yield conn
        except Exception as exc:
            raise translate(exc, location, conn, action) from exc

    # -- presigned URLs ------------------------------------------------------------------------

    def presign_get(self, url: str, expires_s: int = 3600) -> str:
        """A URL anyone may ``GET`` the object with, for ``expires_s`` seconds."""
        return self._presign("get_object", url, expires_s, "presign a download of")

    def presign_put(self, url: str, expires_s: int = 3600) -> str:
        """A URL anyone may ``PUT`` the object's bytes to, for ``expires_s`` seconds."""
        return self._presign("put_object", url, expires_s, "presign an upload to")

    def _presign(self, operation: str, url: str, expires_s: int, action: str) -> str:
        location = parse(url, need_key=True)
        expires_s = _checks.expiry(expires_s)
        with self.requests(location, action) as conn:
            _checks.require_credentials(conn)
            return conn.client.generate_presigned_url(
                operation,
                Params={"Bucket": location.bucket, "Key": location.key},
                ExpiresIn=expires_s,
            )

    # -- ranged reads ----------------------------------------------------------------------------

    def read_range(self, url: str, start: int, end: int) -> bytes:
        """Bytes ``[start, end)`` of the object (fewer at its end), in one ranged ``GET``."""
        location = parse(url, need_key=True)
        if not (isinstance(start, int) and isinstance(end, int)) or not 0 <= start <= end:
            raise InvalidArgument(f"a byte range needs 0 <= start <= end, got [{start}, {end})")
        if start == end:
            return b""
        with self.requests(location, "read") as conn:
            from botocore.exceptions import ClientError

            try:
                response = conn.client.get_object(
                    Bucket=location.bucket, Key=location.key, Range=f"bytes={start}-{end - 1}"
                )
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") == "InvalidRange":
                    return b""  # starts at or past the end of the object
                raise
            with contextlib.closing(response["Body"]) as body:
                data = body.read()
            if response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 200:
                data = data[start:end]  # a server that ignored Range sent everything
            return data
