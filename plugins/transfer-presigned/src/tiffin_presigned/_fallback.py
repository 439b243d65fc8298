"""Remembering presigned hosts this client cannot reach, and saying so once.

When a presigned URL's host refuses the connection or does not resolve (a storage endpoint
only reachable inside the registry's network), the blob goes through the registry instead
(the proxy strategy). The first time, one line on stderr says so; later blobs skip the
unreachable host at once instead of trying it again.
"""

from __future__ import annotations

import logging
import threading

import httpx

from tiffin.exceptions import TransferUnavailable

__all__ = ["check_reachable", "unreachable"]

logger = logging.getLogger("tiffin.presigned")
_lock = threading.Lock()
_unreachable: dict[str, str] = {}


def _host(url: str) -> str:
    parsed = httpx.URL(url)
    return f"{parsed.host}:{parsed.port or (443 if parsed.scheme == 'https' else 80)}"


def check_reachable(url: str) -> None:
    """Raise :class:`TransferUnavailable` at once for a host that failed before."""
    reason = _unreachable.get(_host(url))
    if reason is not None:
        raise TransferUnavailable(f"presigned host {_host(url)} is unreachable ({reason})")


def unreachable(url: str, exc: httpx.TransportError) -> TransferUnavailable:
    """Note ``url``'s host as unreachable (saying so the first time); the error to raise."""
    host = _host(url)
    reason = " ".join(str(exc).split()) or type(exc).__name__
    with _lock:
        first = host not in _unreachable
        _unreachable[host] = reason
    if first:
        logger.warning(
            "presigned URLs point at %s, which this machine cannot reach (%s); sending "
            "through the registry instead",
            host,
            reason,
        )
    return TransferUnavailable(f"presigned host {host} is unreachable ({reason})")
