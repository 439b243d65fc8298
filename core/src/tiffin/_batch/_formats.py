"""The file formats ``tiffin batch`` reads and writes, and how a name tells which."""

from __future__ import annotations

from tiffin.exceptions import InvalidArgument

__all__ = ["FORMATS", "check_format", "format_of"]

#: Format name -> the suffixes that name it.
FORMATS: dict[str, tuple[str, ...]] = {
    "parquet": (".parquet", ".pq"),
    "csv": (".csv",),
    "jsonl": (".jsonl", ".ndjson"),
}


def check_format(name: str, what: str) -> str:
    if name not in FORMATS:
        raise InvalidArgument(
            f"{what} {name!r} is not a format tiffin batch knows: use {', '.join(FORMATS)}"
        )
    return name


def format_of(path: str) -> str | None:
    """``parquet``, ``csv`` or ``jsonl`` from a file name's suffix, or ``None``."""
    lower = path.lower()
    for name, suffixes in FORMATS.items():
        if lower.endswith(suffixes):
            return name
    return None
