"""The client's note of an unfinished upload, so that a re-run resumes it.

``$TIFFIN_HOME/.uploads/multipart/<sha256>.json`` holds the registry's URL and the offer of the
upload in progress. A push killed half-way leaves it behind; the next push of the same blob to
the same registry finds it, asks the registry which parts that upload holds, and sends only
the others. Once the upload completes, or the registry no longer knows it, the note goes.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

__all__ = ["UploadNote"]


def _home() -> Path:
    """``$TIFFIN_HOME`` (default ``~/tiffin``), read at each use as DESIGN.md pins it."""
    return Path(os.environ.get("TIFFIN_HOME") or "~/tiffin").expanduser().absolute()


class UploadNote:
    """The note for one blob pushed to one registry."""

    def __init__(self, registry_url: str, sha256: str, size: int) -> None:
        self.registry_url = registry_url.rstrip("/")
        self.sha256 = sha256
        self.size = size
        self.path = _home() / ".uploads" / "multipart" / f"{sha256}.json"

    def load(self) -> dict[str, Any] | None:
        """The offer of an earlier, unfinished upload of this blob to this registry."""
        try:
            saved = json.loads(Path(self.path).read_text())
        except (OSError, ValueError):
            return None
        if (
            isinstance(saved, dict)
            and saved.get("registry") == self.registry_url
            and saved.get("size") == self.size
            and isinstance(saved.get("offer"), dict)
        ):
            return saved["offer"]
        return None

    def save(self, offer: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"registry": self.registry_url, "size": self.size, "offer": offer}))
        os.replace(tmp, self.path)

    def clear(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
