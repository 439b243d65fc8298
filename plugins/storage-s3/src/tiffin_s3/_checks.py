"""Argument checks shared by the capabilities: one clear line before any request is sent."""

from __future__ import annotations

from typing import Any

from tiffin.exceptions import InvalidArgument

#: SigV4 presigned URLs live at most 7 days.
MAX_EXPIRES_S = 7 * 24 * 3600
MAX_PARTS = 10_000


def expiry(expires_s: Any) -> int:
    if isinstance(expires_s, bool) or not isinstance(expires_s, int):
        raise InvalidArgument(f"expires_s must be a whole number of seconds, got {expires_s!r}")
    if not 1 <= expires_s <= MAX_EXPIRES_S:
        raise InvalidArgument(
            f"a presigned URL lives 1 to {MAX_EXPIRES_S} seconds (7 days), got {expires_s}"
        )
    return expires_s


def part_number(n: Any) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_PARTS:
        raise InvalidArgument(f"a part number is a whole number from 1 to {MAX_PARTS}, got {n!r}")
    return n


def upload_id(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidArgument(
            f"an upload id is the non-empty string multipart_create returned, got {value!r}"
        )
    return value


def body(data: Any) -> Any:
    """``data`` as something botocore sends: bytes, or a binary file object as it is."""
    if isinstance(data, bytes):
        return data
    if isinstance(data, bytearray | memoryview):
        return bytes(data)
    if callable(getattr(data, "read", None)):
        return data
    raise InvalidArgument(f"data must be bytes or a binary file object, got {type(data).__name__}")


def require_credentials(conn: Any) -> None:
    """Signing needs credentials; say so before botocore signs nothing (anonymous URLs)."""
    if conn.session.get_credentials() is None:
        from botocore.exceptions import NoCredentialsError

        raise NoCredentialsError()
