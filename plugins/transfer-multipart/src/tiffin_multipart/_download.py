"""The client half of a multipart download: concurrent ranged GETs into a pre-sized file.

The blob lands in ``<destination>.multipart`` (sized up front, each part written at its own
offset as it streams in) with a small JSON journal of the finished parts beside it. A pull
killed half-way and started again keeps the journal's parts and fetches only the others. The
whole file's sha256 is checked before it is renamed onto ``destination``; a mismatch removes
the partial file, so the next try starts clean. Memory: one 1 MiB buffer per thread.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import httpx

from tiffin_multipart._errors import TransferFailed, failure
from tiffin_multipart._parts import Part, plan_parts, run_parts
from tiffin_multipart._retry import with_retries

__all__ = ["DownloadReport", "download", "partial_paths"]

_CHUNK = 1024 * 1024
_TIMEOUT = httpx.Timeout(120.0, connect=15.0)


@attrs.frozen
class DownloadReport:
    """What one download fetched now, and what an earlier, interrupted try had kept."""

    sha256: str
    parts_fetched: int
    bytes_fetched: int
    parts_resumed: int
    bytes_resumed: int


def partial_paths(destination: Path) -> tuple[Path, Path]:
    """The partial file and its journal for ``destination``."""
    return (
        destination.with_name(destination.name + ".multipart"),
        destination.with_name(destination.name + ".multipart.json"),
    )


class _Journal:
    """Which parts of the partial file are complete; rewritten atomically after each part."""

    def __init__(self, path: Path, key: dict[str, Any]) -> None:
        self.path = path
        self.key = key
        self.done: set[int] = set()
        self._lock = threading.Lock()

    def load(self, partial: Path, size: int) -> None:
        try:
            saved = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return
        if saved.get("key") == self.key and partial.exists() and partial.stat().st_size == size:
            self.done = {int(n) for n in saved.get("done", [])}

    def mark(self, number: int) -> None:
        with self._lock:
            self.done.add(number)
            tmp = self.path.with_name(self.path.name + ".tmp")
            tmp.write_text(json.dumps({"key": self.key, "done": sorted(self.done)}))
            os.replace(tmp, self.path)


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(4 * _CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def download(
    offer: dict[str, Any],
    destination: Path,
    http: httpx.Client,
    progress: Callable[[int], None],
    *,
    threads: int,
) -> DownloadReport:
    """Fetch the blob ``offer`` describes (``url``, ``size``, ``sha256``, ``part_size``).

    The file lands on ``destination`` only when its sha256 is the offer's; otherwise the
    partial file is removed and :class:`tiffin_multipart._errors.TransferFailed` is raised.
    """
    destination = Path(destination)
    size = int(offer["size"])
    digest = str(offer["sha256"])
    parts = plan_parts(size, int(offer["part_size"]))
    doing = f"multipart download of blob {digest[:12]}"
    partial, journal_path = partial_paths(destination)
    journal = _Journal(
        journal_path, {"digest": digest, "size": size, "part_size": offer["part_size"]}
    )
    journal.load(partial, size)
    if not journal.done:
        with open(partial, "wb") as f:
            f.truncate(size)
    todo = [p for p in parts if p.number not in journal.done]
    resumed = [p for p in parts if p.number in journal.done]

    authenticated = bool(offer.get("authenticated", True))
    client = http if authenticated else httpx.Client(timeout=_TIMEOUT)
    fd = os.open(partial, os.O_WRONLY)
    try:

        def fetch(part: Part) -> None:
            if part.size == 0:
                journal.mark(part.number)
                return
            sent: list[int] = []

            def get() -> None:
                offset = part.start
                headers = {"Range": f"bytes={part.start}-{part.end - 1}"}
                with client.stream("GET", offer["url"], headers=headers, timeout=_TIMEOUT) as r:
                    r.raise_for_status()
                    if r.status_code != 206 and not (part.start == 0 and part.size == size):
                        raise TransferFailed(
                            f"{doing} failed: {offer['url'].split('?')[0]} ignores Range "
                            f"requests (answered {r.status_code}); use --strategy proxy"
                        )
                    for chunk in r.iter_bytes(_CHUNK):
                        if offset + len(chunk) > part.end:
                            raise httpx.RemoteProtocolError("more bytes than the range asked for")
                        os.pwrite(fd, chunk, offset)
                        offset += len(chunk)
                        progress(len(chunk))
                        sent.append(len(chunk))
                if offset != part.end:
                    raise httpx.RemoteProtocolError(
                        f"part {part.number} stopped after {offset - part.start} of {part.size} bytes"
                    )

            def attempt() -> None:
                # a retried part starts over: take back the progress its failed try reported
                if sent:
                    progress(-sum(sent))
                    sent.clear()
                get()

            try:
                with_retries(attempt)
            except httpx.HTTPError as exc:
                raise failure(exc, f"{doing}, part {part.number}") from exc
            journal.mark(part.number)

        run_parts(fetch, todo, threads, "tiffin-range")
    finally:
        os.close(fd)
        if client is not http:
            client.close()

    actual = _sha256_of(partial)
    if actual != digest:
        for path in (partial, journal_path):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        raise TransferFailed(
            f"{doing} failed: the bytes received hash to {actual[:12]}, not {digest[:12]}; "
            f"nothing was stored, run the same command again",
            status_code=502,
        )
    os.replace(partial, destination)
    with contextlib.suppress(FileNotFoundError):
        journal_path.unlink()
    return DownloadReport(
        sha256=actual,
        parts_fetched=len(todo),
        bytes_fetched=sum(p.size for p in todo),
        parts_resumed=len(resumed),
        bytes_resumed=sum(p.size for p in resumed),
    )
