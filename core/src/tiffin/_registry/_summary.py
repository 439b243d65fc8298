"""What a push or pull did: files, bytes moved and skipped, time; printed or given as JSON."""

from __future__ import annotations

from typing import Any

import attrs

__all__ = ["TransferSummary"]


@attrs.define
class TransferSummary:
    """Counters for one push or pull (models of a bento included)."""

    action: str  # "push" or "pull"
    tags: list[str] = attrs.Factory(list)
    files: int = 0
    files_sent: int = 0
    files_skipped: int = 0
    bytes_sent: int = 0
    bytes_skipped: int = 0
    bytes_resumed: int = 0  # pull: bytes an interrupted earlier pull had fetched already
    seconds: float = 0.0
    unchanged: list[str] = attrs.Factory(list)  # versions that were already there (no-op)
    strategies: dict[str, int] = attrs.Factory(dict)  # blobs moved per strategy

    def add(self, other: TransferSummary) -> None:
        self.tags += [t for t in other.tags if t not in self.tags]
        self.unchanged += [t for t in other.unchanged if t not in self.unchanged]
        for field in (
            "files",
            "files_sent",
            "files_skipped",
            "bytes_sent",
            "bytes_skipped",
            "bytes_resumed",
        ):
            setattr(self, field, getattr(self, field) + getattr(other, field))
        for name, n in other.strategies.items():
            self.strategies[name] = self.strategies.get(name, 0) + n

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)

    def line(self) -> str:
        """One line for people: what moved, what was skipped, how long it took."""
        verb = "pushed" if self.action == "push" else "pulled"
        moved = "sent" if self.action == "push" else "received"
        what = ", ".join(self.tags) or "nothing"
        text = (
            f"{verb} {what}: {self.files} files, {_size(self.bytes_sent)} {moved}, "
            f"{_size(self.bytes_skipped)} skipped (already there), {self.seconds:.1f} s"
        )
        if self.unchanged:
            text += f"; unchanged: {', '.join(self.unchanged)}"
        return text


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"
