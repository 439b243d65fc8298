"""``s3://bucket/key`` URLs: split and checked before any request is made."""

from __future__ import annotations

import re

import attrs

from tiffin.exceptions import InvalidArgument

SCHEMES = ("s3", "s3a")
# loose on purpose (MinIO, Ceph and R2 differ from AWS in the details): what can never work
_BUCKET = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,254}$")


@attrs.frozen
class S3Location:
    """One bucket and an object key (or a prefix; ``""`` for the bucket itself)."""

    url: str
    bucket: str
    key: str

    @property
    def fs_path(self) -> str:
        """The path s3fs uses: ``bucket/key``."""
        return f"{self.bucket}/{self.key}" if self.key else self.bucket


def parse(url: str, *, need_key: bool = False) -> S3Location:
    """Split ``url``; :class:`InvalidArgument` naming the URL when it cannot be an S3 object."""
    if not isinstance(url, str):
        raise InvalidArgument(f"an S3 URL must be a string like s3://bucket/key, got {url!r}")
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.lower() not in SCHEMES:
        raise InvalidArgument(f"{url!r} is not an S3 URL; write s3://bucket/key")
    rest = rest.split("?", 1)[0]
    bucket, _, key = rest.partition("/")
    if not bucket:
        raise InvalidArgument(f"{url!r} names no bucket; write s3://bucket/key")
    if not _BUCKET.match(bucket):
        raise InvalidArgument(
            f"{url!r}: {bucket!r} is not a valid bucket name (3-63 letters, digits, '.', '-')"
        )
    if need_key and (not key or key.endswith("/")):
        raise InvalidArgument(
            f"{url!r} names no object; give a key after the bucket, like s3://{bucket}/name.tiffin"
        )
    return S3Location(url, bucket, key)
