"""Routes the registry serves for presigned URLs on local storage (no token: the URL is the key).

Mounted under ``/api/v1/transfer/presigned/``:

- ``PUT  uploads/{session}?sig=...``  the blob's bytes; streamed into staging while hashed, and
  the blob exists only if its size and sha256 are the session's
- ``GET  blobs/{sha256}?sig=...``     the blob (``Range`` supported)
- ``POST uploads/{session}/complete`` (token, write scope) after a client PUT its bytes to the
  storage's own presigned URL (S3): the registry checks them and lands the blob

A missing, expired, altered or replayed signature is a 403 that says which URL to ask for again.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from tiffin.exceptions import NotFound, TiffinError
from tiffin_presigned._signing import Signer, download_message, upload_message

__all__ = ["routes"]


class SignatureRefused(TiffinError):
    """A presigned URL that is expired, altered, or made for another blob (HTTP 403)."""

    status_code = 403
    error_kind = "forbidden"


def _refuse(what: str) -> SignatureRefused:
    return SignatureRefused(
        f"this presigned {what} URL is expired, altered or made for another blob; "
        f"ask the registry for a new one (push or pull again)"
    )


def routes(registry: Any) -> list[BaseRoute]:
    signer = Signer(registry)

    async def put_blob(request: Request) -> Response:
        session_id = request.path_params["session"]
        signature = request.query_params.get("sig", "")
        try:
            session = await run_in_threadpool(registry.get_session, session_id)
        except NotFound:
            raise _refuse("upload") from None
        message = upload_message(session.id, session.sha256, session.size)
        if session.strategy != "presigned" or not signer.verify(message, signature):
            raise _refuse("upload")
        await registry.receive(session.id, request.stream())
        return JSONResponse({"sha256": session.sha256, "size": session.size}, status_code=201)

    async def get_blob(request: Request) -> Response:
        sha256 = request.path_params["sha256"]
        signature = request.query_params.get("sig", "")
        if not signer.verify(download_message(sha256), signature):
            raise _refuse("download")
        if not await run_in_threadpool(registry.has_blob, sha256):
            raise NotFound(f"no blob {sha256} in this registry")
        return FileResponse(
            registry.blob_path(sha256),
            media_type="application/octet-stream",
            headers={"Cache-Control": "private, max-age=31536000, immutable"},
        )

    async def complete(request: Request) -> Response:
        await registry.authorize(request, "write")
        session = await run_in_threadpool(registry.get_session, request.path_params["session"])
        if session.strategy != "presigned":
            raise NotFound(f"no open presigned upload {session.id!r}")
        await run_in_threadpool(registry.finalize, session.id)
        return JSONResponse({"sha256": session.sha256, "size": session.size}, status_code=201)

    return [
        Route("/uploads/{session}", put_blob, methods=["PUT"]),
        Route("/uploads/{session}/complete", complete, methods=["POST"]),
        Route("/blobs/{sha256}", get_blob, methods=["GET", "HEAD"]),
    ]
