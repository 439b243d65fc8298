"""The ``multipart`` transfer strategy: both sides, as ``tiffin.hookspecs.TransferStrategy``.

Client side: blobs of at least ``TIFFIN_MULTIPART_THRESHOLD`` (64 MiB) move in parts,
``TIFFIN_MULTIPART_THREADS`` (10) at a time; ``--strategy multipart`` uses it for any blob.
Registry side: offers an upload when the storage is local disk or has native multipart (S3),
a download when the storage is local disk or can presign GETs; otherwise it declines and the
client falls back to the next strategy.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from tiffin.hookspecs import SupportsMultipartPartUrl, SupportsPresignGet
from tiffin_multipart import _config

__all__ = ["MultipartStrategy"]

logger = logging.getLogger("tiffin.multipart")


class MultipartStrategy:
    """Parallel, resumable, retried part transfers for large blobs."""

    name = "multipart"
    priority = 20

    # -- client side --------------------------------------------------------------------------

    def accepts(self, size: int) -> bool:
        return size >= _config.threshold()

    def client_upload(
        self,
        offer: dict[str, Any],
        path: Path,
        size: int,
        http: httpx.Client,
        progress: Callable[[int], None],
    ) -> int:
        from tiffin_multipart._resume import UploadNote
        from tiffin_multipart._upload import upload

        note = UploadNote(str(http.base_url), offer["sha256"], size)
        offer = _resumable(note.load(), offer, http) or offer
        note.save(offer)
        try:
            report = upload(offer, Path(path), size, http, progress, threads=_config.threads())
        except Exception as exc:
            if getattr(exc, "status_code", None) in (400, 404, 409):  # the upload is gone
                note.clear()
            raise
        note.clear()
        if report.parts_skipped:
            logger.info(
                "resumed the upload of %s: %d parts (%d bytes) were already there",
                offer["sha256"][:12], report.parts_skipped, report.bytes_skipped,
            )
        return report.bytes_skipped  # reported as the push's bytes_resumed

    def client_download(
        self,
        offer: dict[str, Any],
        path: Path,
        size: int,
        http: httpx.Client,
        progress: Callable[[int], None],
    ) -> str | None:
        from tiffin_multipart._download import download

        report = download(offer, Path(path), http, progress, threads=_config.threads())
        return report.sha256

    # -- registry side ------------------------------------------------------------------------

    def registry_offer_upload(
        self, registry: Any, session: Any, base_url: str
    ) -> dict[str, Any] | None:
        from tiffin_multipart._part_stores import (
            LocalParts,
            NativeParts,
            local_capable,
            native_capable,
        )

        part_size = _config.part_size(session.size)
        if native_capable(registry.backend):
            data = NativeParts.start(registry, session, part_size)
            direct = not isinstance(registry.backend, SupportsMultipartPartUrl)
        elif local_capable(registry):
            data = LocalParts.start(registry, session, part_size)
            direct = True
        else:
            return None
        registry.update_session(session.id, data)
        here = f"{base_url}/uploads/{session.id}"
        offer = {
            "session": session.id,
            "sha256": session.sha256,
            "size": session.size,
            "part_size": data["part_size"],
            "parts_url": f"{here}/parts",
            "complete_url": f"{here}/complete",
            "abort_url": here,
        }
        if direct:
            offer["part_url"] = f"{here}/parts/{{part_number}}"
        else:
            offer["sign_url"] = f"{here}/sign"
        return offer

    def registry_offer_download(
        self, registry: Any, sha256: str, size: int, base_url: str
    ) -> dict[str, Any] | None:
        from tiffin_multipart._part_stores import local_capable

        offer = {"sha256": sha256, "size": size, "part_size": _config.part_size(size)}
        if local_capable(registry):
            return {**offer, "url": f"{base_url}/blobs/{sha256}", "authenticated": True}
        if isinstance(registry.backend, SupportsPresignGet):
            url = registry.backend.presign_get(registry.blob_url(sha256), _config.url_expiry())
            return {**offer, "url": url, "authenticated": False}
        return None

    def registry_routes(self, registry: Any) -> list[Any]:
        from tiffin_multipart._routes import routes

        return routes(registry)

    def registry_abort(self, registry: Any, session: Any) -> None:
        """Free what an abandoned upload holds (``tiffin registry gc`` calls this)."""
        from tiffin_multipart._part_stores import parts_for

        if "part_size" in session.data:
            parts_for(registry, session).abort()


def _resumable(
    previous: dict[str, Any] | None, offer: dict[str, Any], http: httpx.Client
) -> dict[str, Any] | None:
    """The earlier upload's offer when the registry still has it open; the new one is aborted."""
    if not previous or previous.get("session") == offer.get("session"):
        return None
    if previous.get("sha256") != offer.get("sha256"):
        return None
    try:
        response = http.get(previous["parts_url"], timeout=30)
    except (httpx.HTTPError, KeyError):
        return None
    if response.status_code != 200:
        return None
    # the fresh session is not needed: free it now rather than at the next gc
    with contextlib.suppress(httpx.HTTPError):
        http.delete(offer["abort_url"], timeout=30)
    return previous
