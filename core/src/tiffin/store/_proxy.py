"""The ``proxy`` transfer strategy: blob bytes stream through the registry itself.

Works with every storage backend (the registry reads and writes through fsspec) and needs
nothing but HTTP to the registry, so it is everyone's fallback (priority 0). Neither side ever
holds a blob in memory: the client streams the file in 1 MiB chunks, the registry streams them
into its staging area while hashing (``RegistryAccess.receive``), and downloads stream back in
chunks, with HTTP ``Range`` so an interrupted download continues where it stopped.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tiffin.transfer import (
    CHUNK_SIZE,
    ResumableDownload,
    file_chunks,
    raise_for_registry,
    translate_errors,
)

__all__ = ["ProxyStrategy"]


class ProxyStrategy:
    """Upload with one streamed ``PUT``, download with one streamed (ranged) ``GET``."""

    name = "proxy"
    priority = 0

    # -- client side --------------------------------------------------------------------------

    def accepts(self, size: int) -> bool:
        return True

    def client_upload(
        self,
        offer: dict[str, Any],
        path: Path,
        size: int,
        http: Any,
        progress: Callable[[int], None],
    ) -> None:
        headers = {"Content-Type": "application/octet-stream", "Content-Length": str(size)}
        base = str(http.base_url)
        with translate_errors(base):
            response = http.request(
                offer.get("method", "PUT"),
                offer["url"],
                content=file_chunks(path, progress),
                headers=headers,
            )
        raise_for_registry(response, base)

    def client_download(
        self,
        offer: dict[str, Any],
        path: Path,
        size: int,
        http: Any,
        progress: Callable[[int], None],
    ) -> str | None:
        download = ResumableDownload(path, size, progress)
        if download.complete:
            return download.sha256
        base = str(http.base_url)
        with (
            translate_errors(base),
            http.stream("GET", offer["url"], headers=download.headers()) as response,
        ):
            resumed = response.status_code == 206
            if not resumed:
                raise_for_registry(response, base)
            return download.write(response.iter_raw(CHUNK_SIZE), resumed=resumed)

    # -- registry side ------------------------------------------------------------------------

    def registry_offer_upload(self, registry: Any, session: Any, base_url: str) -> dict[str, Any]:
        return {"method": "PUT", "url": f"{base_url}/uploads/{session.id}"}

    def registry_offer_download(
        self, registry: Any, sha256: str, size: int, base_url: str
    ) -> dict[str, Any]:
        return {"url": f"{base_url}/blobs/{sha256}"}

    def registry_routes(self, registry: Any) -> list[Any]:
        from starlette.routing import Route

        async def upload(request: Any) -> Any:
            from starlette.concurrency import run_in_threadpool
            from starlette.responses import JSONResponse

            await registry.authorize(request, "write")
            session_id = request.path_params["session_id"]
            session = await run_in_threadpool(registry.get_session, session_id)
            await registry.receive(session_id, request.stream())
            return JSONResponse({"sha256": session.sha256, "size": session.size}, status_code=201)

        async def download(request: Any) -> Any:
            return await _serve_blob(registry, request)

        return [
            Route("/uploads/{session_id}", upload, methods=["PUT"]),
            Route("/blobs/{sha256}", download, methods=["GET", "HEAD"]),
        ]


def _parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """``(start, end_exclusive)`` of a single ``bytes=`` range, or None for the whole blob."""
    from tiffin.exceptions import InvalidArgument

    if not header:
        return None
    unit, _, spec = header.partition("=")
    first, dash, last = spec.strip().partition("-")
    try:
        if unit.strip() != "bytes" or not dash or "," in spec:
            raise ValueError
        if first == "":
            start, end = max(size - int(last), 0), size
        else:
            start = int(first)
            end = int(last) + 1 if last else size
    except ValueError:
        raise InvalidArgument(f"unsupported Range header {header!r}; use bytes=START-") from None
    if start >= size or start < 0 or end <= start:
        error = InvalidArgument(f"Range {header!r} is outside the blob's {size} bytes")
        error.status_code = 416
        raise error
    return start, min(end, size)


async def _serve_blob(registry: Any, request: Any) -> Any:
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import Response, StreamingResponse

    await registry.authorize(request, "read")
    sha256 = request.path_params["sha256"]
    f = await run_in_threadpool(registry.open_blob, sha256)
    try:
        size = await run_in_threadpool(lambda: f.seek(0, os.SEEK_END))
        wanted = _parse_range(request.headers.get("range"), size)
    except BaseException:
        f.close()
        raise
    start, end = wanted or (0, size)
    headers = {
        "Accept-Ranges": "bytes",
        "Content-Length": str(end - start),
        "ETag": f'"{sha256}"',
        "Cache-Control": "private, max-age=31536000, immutable",
    }
    status = 206 if wanted else 200
    if wanted:
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
    if request.method == "HEAD":
        f.close()
        return Response(status_code=status, headers=headers)

    def read(n: int) -> bytes:
        return f.read(n)

    async def body() -> Any:
        try:
            await run_in_threadpool(f.seek, start)
            left = end - start
            while left > 0:
                chunk = await run_in_threadpool(read, min(CHUNK_SIZE, left))
                if not chunk:
                    break
                left -= len(chunk)
                yield chunk
        finally:
            await run_in_threadpool(f.close)

    return StreamingResponse(
        body(), status_code=status, headers=headers, media_type="application/octet-stream"
    )
