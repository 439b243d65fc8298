"""A :class:`~tiffin.hookspecs.TransferSummary` for people (one line) and scripts (JSON)."""

from __future__ import annotations

from typing import Any

import attrs

from tiffin.hookspecs import TransferSummary

__all__ = ["human_size", "summary_dict", "summary_line"]

_VERBS = {
    "push": ("pushed", "sent"),
    "pull": ("pulled", "received"),
    "export": ("exported", "written"),
    "import": ("imported", "read"),
}


def human_size(n: int) -> str:
    """``n`` bytes as ``"12 B"``, ``"3.4 MiB"``..."""
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"


def summary_dict(summary: TransferSummary) -> dict[str, Any]:
    """Plain data for ``--output json``: every field, ``seconds`` rounded to milliseconds."""
    data = attrs.asdict(summary)
    data["seconds"] = round(summary.seconds, 3)
    return data


def summary_line(summary: TransferSummary) -> str:
    """One line: what moved and what was already there, or that everything was."""
    verb, moved = _VERBS.get(summary.action, (summary.action, "moved"))
    what = ", ".join(summary.tags) or "nothing"
    if summary.tags and set(summary.unchanged) >= set(summary.tags):
        return (
            f"already there: {what} ({summary.files} files, {human_size(summary.bytes_skipped)}; "
            f"nothing {moved}, {summary.seconds:.1f} s)"
        )
    text = (
        f"{verb} {what}: {summary.files} files, {human_size(summary.bytes_sent)} {moved}, "
        f"{human_size(summary.bytes_skipped)} skipped (already there)"
    )
    if summary.bytes_resumed:
        text += f", {human_size(summary.bytes_resumed)} resumed"
    text += f", {summary.seconds:.1f} s"
    if summary.unchanged:
        text += f"; already there: {', '.join(summary.unchanged)}"
    if summary.bare:
        text += f"; bare (manifest only): {', '.join(summary.bare)}"
    return text
