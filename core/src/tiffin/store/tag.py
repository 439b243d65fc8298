"""Tags name a stored thing: ``name:version``.

Versions are generated, unique and sort by creation time as plain strings: 10 characters of
millisecond timestamp then 6 random ones, in lowercase Crockford base32 (like a ULID), so
``sorted(versions)`` is creation order and two processes saving the same name in the same
millisecond still get distinct versions. A version may also be chosen (``v1_approved``); the
stores then order by the creation time in its manifest (:func:`version_time_ms` reads a
generated one's from the string).
"""

from __future__ import annotations

import os
import re
import threading
import time

import attrs

from tiffin.exceptions import InvalidArgument

__all__ = ["Tag"]

MAX_NAME_LENGTH = 63
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_VERSION_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lowercase
_TIME_CHARS = 10
_RANDOM_CHARS = 6

_last_ms = 0
_lock = threading.Lock()


def _encode(number: int, width: int) -> str:
    chars = []
    for _ in range(width):
        number, digit = divmod(number, 32)
        chars.append(_ALPHABET[digit])
    return "".join(reversed(chars))


def new_version() -> str:
    """A fresh version string: time-ordered within this process, unique across processes."""
    global _last_ms
    with _lock:
        now = time.time_ns() // 1_000_000
        # strictly increasing within a process, even when the clock stalls or steps back
        now = max(now, _last_ms + 1)
        _last_ms = now
    random_part = int.from_bytes(os.urandom(4), "big") & ((1 << (5 * _RANDOM_CHARS)) - 1)
    return _encode(now, _TIME_CHARS) + _encode(random_part, _RANDOM_CHARS)


def version_time_ms(version: str) -> int | None:
    """The creation time (ms since the epoch) a generated version encodes; None for a version
    someone chose (``v1_approved``)."""
    if len(version) != _TIME_CHARS + _RANDOM_CHARS:
        return None
    number = 0
    for char in version[:_TIME_CHARS]:
        digit = _ALPHABET.find(char)
        if digit < 0:
            return None
        number = number * 32 + digit
    if any(c not in _ALPHABET for c in version[_TIME_CHARS:]):
        return None
    return number


def validate_name(name: object, *, what: str = "name") -> str:
    """Return ``name`` if it is a valid tag name, else raise a clear :class:`InvalidArgument`."""
    if not isinstance(name, str) or not name:
        raise InvalidArgument(f"{what} must be a non-empty string, got {name!r}")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidArgument(
            f"{what} {name!r} is {len(name)} characters long; at most {MAX_NAME_LENGTH} are allowed"
        )
    if not _NAME_RE.match(name):
        hint = f" (try {name.lower()!r})" if _NAME_RE.match(name.lower()) else ""
        raise InvalidArgument(
            f"{what} {name!r} is not valid: use lowercase letters, digits, '-', '.' and '_', "
            f"starting with a letter or digit{hint}"
        )
    return name


def validate_version(version: object) -> str:
    if not isinstance(version, str) or not version:
        raise InvalidArgument(f"version must be a non-empty string, got {version!r}")
    if len(version) > 128 or not _VERSION_RE.match(version):
        raise InvalidArgument(
            f"version {version!r} is not valid: use lowercase letters, digits, '-', '.' and '_'"
        )
    return version


@attrs.frozen(order=True)
class Tag:
    """A ``name:version`` pair. ``version`` is ``None`` for a bare name, meaning "latest"."""

    name: str = attrs.field(validator=lambda _i, _a, v: validate_name(v))
    version: str | None = attrs.field(
        default=None, validator=lambda _i, _a, v: v is None or validate_version(v)
    )

    @classmethod
    def parse(cls, text: str | Tag) -> Tag:
        """Parse ``"name"``, ``"name:latest"`` or ``"name:version"`` (a version may be a prefix)."""
        if isinstance(text, Tag):
            return text
        if not isinstance(text, str):
            raise InvalidArgument(f"a tag must be a string like 'name:version', got {text!r}")
        text = text.strip()
        name, sep, version = text.partition(":")
        if sep and not version:
            raise InvalidArgument(
                f"tag {text!r} has an empty version: write 'name' or 'name:version'"
            )
        if ":" in version:
            raise InvalidArgument(f"tag {text!r} has more than one ':': write 'name:version'")
        if version == "latest":
            version = ""
        return cls(validate_name(name, what="tag name"), version or None)

    @property
    def is_latest(self) -> bool:
        return self.version is None

    def __str__(self) -> str:
        return f"{self.name}:{self.version or 'latest'}"
