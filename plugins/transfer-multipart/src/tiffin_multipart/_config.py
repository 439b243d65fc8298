"""The multipart strategy's knobs: threshold, part size, threads and retries.

Each has a default and an environment variable, read at every use (a test or a long-running
process may change it). Sizes accept plain bytes or a binary suffix: ``64MiB``, ``16M``, ``1G``.
"""

from __future__ import annotations

import os
import re

from tiffin.exceptions import InvalidArgument

__all__ = [
    "DEFAULT_PART_SIZE",
    "DEFAULT_THREADS",
    "DEFAULT_THRESHOLD",
    "MAX_PARTS",
    "parse_size",
    "part_size",
    "retry_attempts",
    "retry_initial_delay",
    "threads",
    "threshold",
]

MiB = 1024 * 1024
DEFAULT_THRESHOLD = 64 * MiB
DEFAULT_PART_SIZE = 16 * MiB
DEFAULT_THREADS = 10
#: S3's ceiling on the number of parts; the part size grows for blobs that would need more.
MAX_PARTS = 10_000

_UNITS = {"": 1, "k": 1024, "m": MiB, "g": 1024 * MiB, "t": 1024 * 1024 * MiB}
_SIZE = re.compile(r"^\s*(\d+)\s*([kmgt]?)(?:i?b)?\s*$", re.IGNORECASE)


def parse_size(text: str, *, what: str) -> int:
    """``"16MiB"`` -> 16777216; a clear :class:`InvalidArgument` naming ``what`` otherwise."""
    match = _SIZE.match(str(text))
    if not match or int(match.group(1)) <= 0:
        raise InvalidArgument(
            f"{what} must be a positive size such as 16777216, 16MiB or 1GiB, not {text!r}"
        )
    return int(match.group(1)) * _UNITS[match.group(2).lower()]


def _size_env(var: str, default: int) -> int:
    value = os.environ.get(var)
    return default if not value else parse_size(value, what=var)


def _int_env(var: str, default: int, minimum: int) -> int:
    value = os.environ.get(var)
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        number = minimum - 1
    if number < minimum:
        raise InvalidArgument(f"{var} must be a whole number >= {minimum}, not {value!r}")
    return number


def threshold() -> int:
    """Blobs at least this big use multipart when the registry offers it (``TIFFIN_MULTIPART_THRESHOLD``)."""
    return _size_env("TIFFIN_MULTIPART_THRESHOLD", DEFAULT_THRESHOLD)


def part_size(blob_size: int | None = None) -> int:
    """The part size (``TIFFIN_MULTIPART_PART_SIZE``), grown so a blob never needs > MAX_PARTS."""
    size = _size_env("TIFFIN_MULTIPART_PART_SIZE", DEFAULT_PART_SIZE)
    if blob_size is not None and blob_size > size * MAX_PARTS:
        size = -(-blob_size // MAX_PARTS)
    return size


def threads() -> int:
    """Parts in flight at once when the caller does not say (``TIFFIN_MULTIPART_THREADS``)."""
    return _int_env("TIFFIN_MULTIPART_THREADS", DEFAULT_THREADS, 1)


def retry_attempts() -> int:
    """Tries per part request before giving up (``TIFFIN_MULTIPART_RETRIES``, default 8)."""
    return _int_env("TIFFIN_MULTIPART_RETRIES", 8, 1)


def retry_initial_delay() -> float:
    """First back-off delay in seconds (``TIFFIN_MULTIPART_RETRY_DELAY``, default 0.2)."""
    value = os.environ.get("TIFFIN_MULTIPART_RETRY_DELAY")
    if not value:
        return 0.2
    try:
        delay = float(value)
    except ValueError:
        delay = -1.0
    if delay < 0:
        raise InvalidArgument(
            f"TIFFIN_MULTIPART_RETRY_DELAY must be a number of seconds >= 0, not {value!r}"
        )
    return delay


def url_expiry() -> int:
    """Seconds a presigned part or download URL stays valid (``TIFFIN_MULTIPART_URL_EXPIRES``)."""
    return _int_env("TIFFIN_MULTIPART_URL_EXPIRES", 3600, 1)
