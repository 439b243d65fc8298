"""Moving one blob: ask the registry for an offer, use the best strategy both sides have.

The client lists its installed strategies (highest ``priority`` first, only those that
``accept`` the blob's size, or just the one ``--strategy`` names); the registry answers with
the first of them it also offers, or ``"strategy": null``. When the client side of the chosen
strategy raises :class:`TransferUnavailable`, the client asks again without it. Downloads land
in ``$TIFFIN_HOME/.downloads/<sha256>.part`` first, so a pull that was killed resumes there; a
file leaves that folder only once its size and sha256 are right.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import threading
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from tiffin import _plugins
from tiffin._missing_plugin import missing_message
from tiffin.exceptions import (
    DigestMismatch,
    InvalidArgument,
    MissingPlugin,
    RegistryError,
    TiffinError,
    TransferUnavailable,
)
from tiffin.hookspecs import SupportsAccepts, SupportsClientDownload, SupportsClientUpload
from tiffin.store._registry_client import RegistryClient
from tiffin.store.home import tiffin_home
from tiffin.store.manifest import hash_file
from tiffin.store.progress import Progress

__all__ = [
    "ByteCounter",
    "download_blob",
    "partial_dir",
    "upload_blob",
    "upload_blob_resumed",
]

DOWNLOADS_DIR = ".downloads"


class ByteCounter:
    """Thread-safe running total of bytes moved, forwarded to a ``progress(done, total)`` bar."""

    def __init__(self, total: int, progress: Progress | None) -> None:
        self.total = total
        self.done = 0
        self._progress = progress
        self._lock = threading.Lock()

    def __call__(self, n: int) -> None:
        with self._lock:
            self.done += n
            done = self.done
        if self._progress is not None:
            self._progress(done, self.total)


def _candidates(size: int, forced: str | None, direction: str) -> list[Any]:
    strategies = _plugins.transfer_strategies()
    method = SupportsClientUpload if direction == "upload" else SupportsClientDownload
    if forced is not None:
        strategy = strategies.get(forced)
        if strategy is None or not isinstance(strategy, method):
            names = [n for n, s in strategies.items() if isinstance(s, method)]
            raise MissingPlugin(missing_message("transfer strategy", forced, names, "--strategy"))
        return [strategy]
    usable = [
        s
        for s in strategies.values()
        if isinstance(s, method) and (not isinstance(s, SupportsAccepts) or s.accepts(size))
    ]
    return sorted(usable, key=lambda s: (-int(s.priority), s.name))


def _negotiate(
    client: RegistryClient,
    direction: str,
    sha256: str,
    size: int,
    forced: str | None,
    attempt: Callable[[Any, dict], Any],
) -> tuple[str | None, Any]:
    """Offer, try, fall back: ``(strategy name, attempt's result)``; ``(None, None)`` if the
    registry already has the blob (uploads)."""
    candidates = _candidates(size, forced, direction)
    declined: list[str] = []
    while candidates:
        answer = client.offer(direction, sha256, size, [s.name for s in candidates])
        if answer.get("exists"):
            return None, None
        chosen = answer.get("strategy")
        if chosen is None:
            break
        strategy = next((s for s in candidates if s.name == chosen), None)
        if strategy is None:
            raise RegistryError(
                f"the registry at {client.url} chose the strategy {chosen!r}, which this client "
                f"did not ask for; upgrade the registry or the client"
            )
        try:
            return chosen, attempt(strategy, answer["offer"])
        except TransferUnavailable as exc:
            declined.append(f"{chosen} ({exc})")
            if forced is not None:
                raise
            candidates = [s for s in candidates if s.name != chosen]
        except Exception as exc:
            # a typed failure fails the transfer; anything else is the strategy's own bug
            if forced is not None or isinstance(exc, TiffinError | OSError):
                raise
            _broken_client_half(chosen, direction, exc)
            declined.append(f"{chosen} (raised {type(exc).__name__})")
            candidates = [s for s in candidates if s.name != chosen]
    offered = ", ".join(answer.get("offered") or []) if candidates else ""
    if forced is not None:
        raise TransferUnavailable(
            f"the registry at {client.url} does not offer the strategy {forced!r} for this blob "
            f"(it offers: {offered or 'none'}); drop --strategy to let tiffin choose"
        )
    mine = ", ".join(s.name for s in _candidates(size, None, direction)) or "none"
    raise TransferUnavailable(
        f"no transfer strategy in common with the registry at {client.url} for a {direction} "
        f"(this client has: {mine}; the registry offers: {offered or 'none'}"
        + (f"; declined: {'; '.join(declined)}" if declined else "")
        + ")"
    )


def _broken_client_half(name: str, direction: str, exc: Exception) -> None:
    warnings.warn(
        f"transfer strategy {name!r} (from {_plugins.distribution_of('strategy', name)}) raised "
        f"in client_{direction}: {type(exc).__name__}: {' '.join(str(exc).split())}; falling back "
        f"to the next strategy. Report it to the plugin's authors, or uninstall it",
        _plugins.TiffinPluginWarning,
        stacklevel=4,
    )


def upload_blob(
    client: RegistryClient,
    sha256: str,
    size: int,
    path: Path,
    progress: Callable[[int], None],
    strategy: str | None = None,
) -> str | None:
    """Upload one file unless the registry has it; return the strategy used (None: skipped)."""
    return upload_blob_resumed(client, sha256, size, path, progress, strategy)[0]


def upload_blob_resumed(
    client: RegistryClient,
    sha256: str,
    size: int,
    path: Path,
    progress: Callable[[int], None],
    strategy: str | None = None,
) -> tuple[str | None, int]:
    """:func:`upload_blob`, and how many bytes the registry already had from an earlier,
    interrupted upload: what a strategy's ``client_upload`` returns when it resumes (an int;
    ``None`` counts as 0)."""

    def attempt(s: Any, offer: dict) -> int:
        resumed = s.client_upload(offer, path, size, client.http, progress)
        return resumed if isinstance(resumed, int) and 0 < resumed <= size else 0

    name, resumed = _negotiate(client, "upload", sha256, size, strategy, attempt)
    return name, resumed or 0


def partial_dir() -> Path:
    return tiffin_home() / DOWNLOADS_DIR


@contextlib.contextmanager
def _partial_file(sha256: str) -> Iterator[Path]:
    """The resumable download file of ``sha256``, locked for this process; a private file when
    another process holds the shared one."""
    folder = partial_dir()
    folder.mkdir(parents=True, exist_ok=True)
    shared = folder / f"{sha256}.part"
    lock = open(folder / f"{sha256}.lock", "a")  # noqa: SIM115
    try:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            path = shared
        except BlockingIOError:
            path = folder / f"{sha256}.{os.getpid()}.{threading.get_ident()}.part"
        try:
            yield path
        finally:
            if path != shared:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
    finally:
        lock.close()


def download_blob(
    client: RegistryClient,
    sha256: str,
    size: int,
    destination: Path,
    progress: Callable[[int], None],
    strategy: str | None = None,
) -> tuple[str, int]:
    """Download one blob into ``destination`` (verified, then renamed there); return the
    strategy used and how many bytes an earlier, interrupted download had already fetched."""
    with _partial_file(sha256) as part:
        for retry in (False, True):
            had = part.stat().st_size if part.exists() else 0
            resumed = 0 < had <= size

            def attempt(s: Any, offer: dict, part: Path = part) -> str | None:
                return s.client_download(offer, part, size, client.http, progress)

            try:
                name, digest = _negotiate(client, "download", sha256, size, strategy, attempt)
            except OSError as exc:
                if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                    raise TiffinError(
                        f"no space left on the device holding {part.parent} while pulling "
                        f"{size} bytes; free some space and pull again (it resumes)"
                    ) from None
                raise
            have_size = part.stat().st_size if part.exists() else -1
            if digest is None and have_size == size:
                digest = hash_file(part)[1]
            if have_size == size and digest == sha256:
                destination.parent.mkdir(parents=True, exist_ok=True)
                os.replace(part, destination)
                return name or "?", had if resumed else 0
            with contextlib.suppress(FileNotFoundError):
                part.unlink()
            if resumed and not retry:
                continue  # the resumed prefix was bad: once more from the start
            raise DigestMismatch(
                f"the registry at {client.url} sent {have_size} bytes with sha256 {digest} for the "
                f"blob {sha256} ({size} bytes); nothing was kept. The registry's copy may be "
                f"damaged: ask its operator to check it"
            )
    raise InvalidArgument("unreachable")  # pragma: no cover
