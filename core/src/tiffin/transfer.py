"""Building blocks for a transfer strategy's client half (see ``tiffin.hookspecs.transfer``).

Every strategy that moves a blob in one HTTP request streams the file up in chunks and, on
the way down, continues an interrupted download after the bytes already in ``path``. These
two pieces do that once, for the built-in proxy strategy and for plugins alike, so that each
strategy only says where the bytes go and how its own errors read.

Errors: :func:`raise_for_registry` turns a registry's failure answer into the typed
:class:`tiffin.exceptions.TiffinError` it stands for (``NotFound``, ``DigestMismatch``,
``Unauthorized``...), and :func:`translate_errors` turns httpx's transport failures into one
readable :class:`tiffin.exceptions.RegistryUnreachable` line. A strategy raises
:class:`tiffin.exceptions.TransferUnavailable` to let the client fall back to the next one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tiffin.exceptions import (
    Conflict,
    DigestMismatch,
    Forbidden,
    InvalidArgument,
    NotFound,
    RegistryError,
    RegistryUnreachable,
    TiffinError,
    TransferUnavailable,
    Unauthorized,
)

if TYPE_CHECKING:
    import httpx

__all__ = [
    "CHUNK_SIZE",
    "ResumableDownload",
    "file_chunks",
    "raise_for_registry",
    "translate_errors",
]

#: Bytes per read and per write: large enough to stay off the profile, small enough to
#: keep memory flat whatever the blob's size.
CHUNK_SIZE = 1 << 20


def file_chunks(path: str | Path, progress: Callable[[int], None]) -> Iterator[bytes]:
    """The bytes of ``path`` in :data:`CHUNK_SIZE` pieces (an httpx request ``content``),
    each reported to ``progress`` as it is handed over."""
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK_SIZE):
            progress(len(chunk))
            yield chunk


class ResumableDownload:
    """A download into ``path`` of a blob of ``size`` bytes that keeps the bytes already there.

    On creation it hashes the bytes a previous attempt left (reporting them to ``progress``);
    send :meth:`headers` with the ``GET`` and hand the response's chunks to :meth:`write`,
    which returns the sha256 of the whole file::

        download = ResumableDownload(path, size, progress)
        if download.complete:
            return download.sha256
        with client.stream("GET", url, headers=download.headers()) as response:
            resumed = response.status_code == 206
            if not resumed:
                ...  # raise your error for a failure status
            return download.write(response.iter_raw(CHUNK_SIZE), resumed=resumed)
    """

    def __init__(self, path: str | Path, size: int, progress: Callable[[int], None]) -> None:
        self.path = Path(path)
        self.size = size
        self._progress = progress
        self._digest = hashlib.sha256()
        if size == 0:
            self.path.touch()  # an empty blob is complete at once: the file must still exist
        kept = self.path.stat().st_size if self.path.exists() else 0
        self.start = kept if kept <= size else 0  # longer than the blob: not a prefix of it
        if self.start:
            with open(self.path, "rb") as f:
                while chunk := f.read(CHUNK_SIZE):
                    self._digest.update(chunk)
            progress(self.start)

    @property
    def complete(self) -> bool:
        """Whether the kept bytes are the whole blob (no request needed)."""
        return self.start == self.size

    @property
    def sha256(self) -> str:
        """The hex sha256 of what the file holds so far."""
        return self._digest.hexdigest()

    def headers(self) -> dict[str, str]:
        """The request headers that ask for the rest of the blob (none for all of it)."""
        return {"Range": f"bytes={self.start}-"} if self.start else {}

    def write(self, chunks: Iterable[bytes], *, resumed: bool) -> str:
        """Write ``chunks`` after the kept bytes; return the whole file's sha256.

        ``resumed`` says the server honoured the range (HTTP 206). When it did not, the body
        is the whole blob: the kept bytes are dropped, and taken back from ``progress``.
        """
        if self.start and not resumed:
            self._progress(-self.start)
            self._digest, self.start = hashlib.sha256(), 0
        with open(self.path, "r+b" if self.start else "wb") as f:
            f.seek(self.start)
            f.truncate()
            for chunk in chunks:
                f.write(chunk)
                self._digest.update(chunk)
                self._progress(len(chunk))
        return self.sha256


_BY_KIND: dict[str, type[TiffinError]] = {
    "digest_mismatch": DigestMismatch,
    "transfer_unavailable": TransferUnavailable,
    "unauthorized": Unauthorized,
    "forbidden": Forbidden,
    "not_found": NotFound,
    "conflict": Conflict,
}
_BY_STATUS: dict[int, type[TiffinError]] = {
    400: InvalidArgument,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    413: InvalidArgument,
}


def _error_body(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except Exception:
        return {}
    return data if isinstance(data, dict) else {}


def raise_for_registry(response: httpx.Response, url: str) -> None:
    """Raise the typed :class:`tiffin.exceptions.TiffinError` a registry's failure answer
    (``{"error": ..., "kind": ...}``) stands for; return when ``response`` succeeded.

    ``url`` is the registry's, for the message. A 401 says how to log in, a 403 which scope
    is missing; ``kind`` picks the class (``not_found``: ``NotFound``, ``digest_mismatch``:
    ``DigestMismatch``...), else the status does, else ``RegistryError``. Never by the
    message's text; the token is never part of a message.
    """
    if response.is_success:
        return
    body = _error_body(response)
    kind = body.get("kind")
    message = body.get("error") if isinstance(body.get("error"), str) else None
    status = response.status_code
    if status == 401:
        message = (
            f"the registry at {url} refused the request (401): "
            + (message or "a token is needed")
            + "; set TIFFIN_REGISTRY_TOKEN or run `tiffin registry login URL --token TOKEN`"
        )
    elif status == 403:
        message = f"the registry at {url} refused the request (403): " + (
            message or "this token's scope does not allow it (a write token is needed to push)"
        )
    elif message is None:
        text = response.text.strip().splitlines()
        message = f"the registry at {url} answered {status}" + (
            f": {text[0][:200]}" if text else ""
        )
    cls = _BY_KIND.get(kind or "") or _BY_STATUS.get(status) or RegistryError
    error = cls(message)
    error.body = body  # type: ignore[attr-defined]
    raise error


@contextmanager
def translate_errors(url: str) -> Iterator[None]:
    """Turn httpx's transport failures inside the block into one readable
    :class:`tiffin.exceptions.RegistryUnreachable` line naming ``url``."""
    # deferred: this module is imported by entry-point modules, which stay light (no httpx)
    import httpx

    try:
        yield
    except httpx.ConnectError as exc:
        raise RegistryUnreachable(
            f"no registry answered at {url} ({_reason(exc)}); check TIFFIN_REGISTRY_URL or "
            f"`tiffin registry login`, and that the registry is running"
        ) from None
    except httpx.TimeoutException:
        raise RegistryUnreachable(f"the registry at {url} did not answer in time") from None
    except httpx.TransportError as exc:
        raise RegistryUnreachable(
            f"the connection to the registry at {url} failed ({_reason(exc)})"
        ) from None


def _reason(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:200]
