"""The ``presigned`` transfer strategy: both sides, as ``tiffin.hookspecs.TransferStrategy``.

Registry side: on storage whose backend presigns (``presign_put``/``presign_get``, S3 with
tiffin-s3) the offer is the storage's own URL; on local disk, a URL the registry serves itself,
HMAC-signed and expiring (:mod:`tiffin_presigned._routes`). Other storage: it declines.
Client side: one streamed ``PUT`` or (ranged) ``GET`` without the registry's token; a host it
cannot reach means :class:`tiffin.exceptions.TransferUnavailable`, so the client falls back.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from tiffin.hookspecs import SupportsPresignGet, SupportsPresignPut
from tiffin.transfer import CHUNK_SIZE, ResumableDownload, file_chunks

__all__ = ["PresignedStrategy"]

_TIMEOUT = httpx.Timeout(300.0, connect=10.0)


def expiry() -> int:
    """Seconds a presigned URL stays valid (``TIFFIN_PRESIGNED_EXPIRES``, default 900)."""
    from tiffin.exceptions import InvalidArgument

    value = os.environ.get("TIFFIN_PRESIGNED_EXPIRES") or "900"
    if not value.isdigit() or int(value) < 1:
        raise InvalidArgument(
            f"TIFFIN_PRESIGNED_EXPIRES must be a whole number of seconds >= 1, not {value!r}"
        )
    return int(value)


def _public(base_url: str) -> str:
    """Where clients reach the signed-URL routes: ``TIFFIN_PRESIGNED_BASE_URL`` when the
    operator serves them under another host (a download gateway), else the registry itself."""
    public = os.environ.get("TIFFIN_PRESIGNED_BASE_URL", "").rstrip("/")
    return f"{public}/api/v1/transfer/presigned" if public else base_url


def _local(registry: Any) -> bool:
    from fsspec.implementations.local import LocalFileSystem

    return isinstance(getattr(registry, "fs", None), LocalFileSystem)


class PresignedStrategy:
    """Bytes go straight to (or from) storage through short-lived signed URLs."""

    name = "presigned"
    priority = 10

    # -- client side --------------------------------------------------------------------------

    def accepts(self, size: int) -> bool:
        return True

    def client_upload(
        self,
        offer: dict[str, Any],
        path: Path,
        size: int,
        http: httpx.Client,
        progress: Callable[[int], None],
    ) -> None:
        from tiffin_presigned._errors import check
        from tiffin_presigned._fallback import check_reachable, unreachable

        url = offer["url"]
        check_reachable(url)
        sent = 0

        def counted(n: int) -> None:  # taken back from the bar when the PUT fails
            nonlocal sent
            sent += n
            progress(n)

        headers = {"Content-Length": str(size), **offer.get("headers", {})}
        with httpx.Client(timeout=_TIMEOUT) as storage:
            try:
                response = storage.put(url, content=file_chunks(path, counted), headers=headers)
            except httpx.ConnectError as exc:
                progress(-sent)
                raise unreachable(url, exc) from None
            except httpx.TransportError as exc:
                progress(-sent)
                check(None, "presigned upload", exc)
                raise
        check(response, "presigned upload")
        if offer.get("complete_url"):
            try:
                done = http.post(offer["complete_url"], timeout=_TIMEOUT)
            except httpx.TransportError as exc:
                check(None, "presigned upload's completion", exc)
                raise
            check(done, "presigned upload's completion")

    def client_download(
        self,
        offer: dict[str, Any],
        path: Path,
        size: int,
        http: httpx.Client,
        progress: Callable[[int], None],
    ) -> str | None:
        from tiffin_presigned._errors import check
        from tiffin_presigned._fallback import check_reachable, unreachable

        url = offer["url"]
        check_reachable(url)
        download = ResumableDownload(path, size, progress)
        if download.complete:
            return download.sha256
        with httpx.Client(timeout=_TIMEOUT) as storage:
            try:
                with storage.stream("GET", url, headers=download.headers()) as response:
                    resumed = response.status_code == 206
                    if not resumed:
                        check(response, "presigned download")
                    return download.write(response.iter_raw(CHUNK_SIZE), resumed=resumed)
            except httpx.ConnectError as exc:
                raise unreachable(url, exc) from None
            except httpx.TransportError as exc:
                check(None, "presigned download", exc)
                raise

    # -- registry side ------------------------------------------------------------------------

    def registry_offer_upload(
        self, registry: Any, session: Any, base_url: str
    ) -> dict[str, Any] | None:
        expires = expiry()
        if isinstance(registry.backend, SupportsPresignPut):
            url = registry.backend.presign_put(registry.staging_url(session.id), expires)
            complete = f"{base_url}/uploads/{session.id}/complete"
            return {"method": "PUT", "url": url, "complete_url": complete, "expires_s": expires}
        if _local(registry):
            from tiffin_presigned._signing import Signer, upload_message

            message = upload_message(session.id, session.sha256, session.size)
            signature = Signer(registry).sign(message, expires)
            url = f"{_public(base_url)}/uploads/{session.id}?sig={signature}"
            return {"method": "PUT", "url": url, "expires_s": expires}
        return None

    def registry_offer_download(
        self, registry: Any, sha256: str, size: int, base_url: str
    ) -> dict[str, Any] | None:
        expires = expiry()
        if isinstance(registry.backend, SupportsPresignGet):
            url = registry.backend.presign_get(registry.blob_url(sha256), expires)
            return {"url": url, "expires_s": expires}
        if _local(registry):
            from tiffin_presigned._signing import Signer, download_message

            signature = Signer(registry).sign(download_message(sha256), expires)
            url = f"{_public(base_url)}/blobs/{sha256}?sig={signature}"
            return {"url": url, "expires_s": expires}
        return None

    def registry_routes(self, registry: Any) -> list[Any]:
        """The signed-URL routes (offered on local disk only) and the completion route."""
        from tiffin_presigned._routes import routes

        return routes(registry)
