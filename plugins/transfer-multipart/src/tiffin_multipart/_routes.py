"""The registry side's HTTP routes, mounted under ``/api/v1/transfer/multipart/``.

- ``GET    uploads/{session}/parts``            the parts the registry holds (for resuming)
- ``PUT    uploads/{session}/parts/{n}``         one part's bytes (local disk, or a backend
  that uploads parts itself)
- ``POST   uploads/{session}/sign``             presigned part URLs (a backend that presigns)
- ``POST   uploads/{session}/complete``         assemble with the parts' ETags, check sha256
- ``DELETE uploads/{session}``                  abort
- ``GET    blobs/{sha256}``                     ranged reads for parallel downloads (local disk)

Every route needs the registry's token (write for uploads, read for downloads).
"""

from __future__ import annotations

import os
import secrets
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from tiffin.exceptions import InvalidArgument, NotFound
from tiffin_multipart import _config
from tiffin_multipart._part_stores import LocalParts, NativeParts, check_part, parts_for
from tiffin_multipart._parts import plan_parts

__all__ = ["routes"]

_BUFFER = 4 * 1024 * 1024


#: The cap on a JSON body, as on every route of the registry's own API.
MAX_JSON_BODY = 16 * 1024 * 1024


class PayloadTooLarge(InvalidArgument):
    status_code = 413
    error_kind = "payload_too_large"


class UnsupportedMediaType(InvalidArgument):
    status_code = 415
    error_kind = "unsupported_media_type"


async def _json(request: Request) -> dict[str, Any]:
    import json

    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/json":  # a web page's cross-site text/plain POST is refused
        raise UnsupportedMediaType(f"this route takes application/json, not {media or 'none'!r}")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_JSON_BODY:
        raise PayloadTooLarge(f"the request body is {declared} bytes; the limit is {MAX_JSON_BODY}")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_JSON_BODY:
            raise PayloadTooLarge(f"the request body is over the limit of {MAX_JSON_BODY} bytes")
    try:
        data = json.loads(bytes(body) or b"{}")
    except (ValueError, RecursionError) as exc:
        raise InvalidArgument(f"the request body is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise InvalidArgument("the request body must be a JSON object")
    return data


def _part_number(request: Request) -> int:
    text = request.path_params["part_number"]
    if not text.isdigit():
        raise InvalidArgument(f"part number {text!r} is not a positive integer")
    return int(text)


async def _receive_local(store: LocalParts, request: Request, start: int, size: int) -> None:
    """Stream the body into the staging file at ``start``; exactly ``size`` bytes or a 400."""
    fd = await run_in_threadpool(store.open_for_part)
    offset, received, buffer = start, 0, bytearray()
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > size:
                raise InvalidArgument(f"a part of {size} bytes was sent with more bytes")
            buffer += chunk
            if len(buffer) >= _BUFFER:
                data, buffer = bytes(buffer), bytearray()
                await run_in_threadpool(os.pwrite, fd, data, offset)
                offset += len(data)
        if buffer:
            await run_in_threadpool(os.pwrite, fd, bytes(buffer), offset)
    finally:
        os.close(fd)
    if received != size:
        raise InvalidArgument(f"the part stopped after {received} of its {size} bytes; send it again")


def routes(registry: Any) -> list[BaseRoute]:
    """The routes of the multipart strategy for one registry."""

    async def session_of(request: Request, scope: str) -> Any:
        await registry.authorize(request, scope)
        session = await run_in_threadpool(registry.get_session, request.path_params["session"])
        if session.strategy != "multipart" or "part_size" not in session.data:
            raise NotFound(f"no open multipart upload {session.id!r}")
        return session

    async def list_parts(request: Request) -> Response:
        session = await session_of(request, "write")
        held = await run_in_threadpool(parts_for(registry, session).list)
        return JSONResponse({"session": session.id, "part_size": session.data["part_size"],
                             "parts": held})

    async def put_part(request: Request) -> Response:
        session = await session_of(request, "write")
        part = check_part(session, _part_number(request))
        store = parts_for(registry, session)
        if isinstance(store, LocalParts):
            await _receive_local(store, request, part.start, part.size)
            etag = secrets.token_hex(12)  # names this write; the blob's sha256 checks content
            # completion may have started meanwhile: a late part is refused, not recorded
            await run_in_threadpool(registry.get_session, session.id)
            await run_in_threadpool(store.record, part, etag)
        else:
            body = await request.body()
            if len(body) != part.size:
                raise InvalidArgument(
                    f"part {part.number} must be {part.size} bytes, not {len(body)}"
                )
            etag = await run_in_threadpool(store.upload_part, part.number, body)
        # a write keeps the session alive, so gc never takes an upload that is moving
        await run_in_threadpool(registry.update_session, session.id, session.data)
        return JSONResponse(
            {"part_number": part.number, "etag": etag, "size": part.size},
            headers={"ETag": f'"{etag}"'},
        )

    async def sign_parts(request: Request) -> Response:
        session = await session_of(request, "write")
        store = parts_for(registry, session)
        if not (isinstance(store, NativeParts) and store.presigned):
            raise InvalidArgument(f"upload {session.id} takes its parts at its own part route")
        numbers = (await _json(request)).get("part_numbers")
        if not isinstance(numbers, list) or not all(isinstance(n, int) for n in numbers):
            raise InvalidArgument('"part_numbers" must be a list of integers')
        expires = _config.url_expiry()
        urls = {}
        for n in numbers:
            check_part(session, n)
            urls[str(n)] = await run_in_threadpool(store.part_url, n, expires)
        await run_in_threadpool(registry.update_session, session.id, session.data)
        return JSONResponse({"urls": urls, "expires_s": expires})

    async def complete(request: Request) -> Response:
        session = await session_of(request, "write")
        given = (await _json(request)).get("parts")
        if not isinstance(given, list):
            raise InvalidArgument('"parts" must be a list of {"part_number", "etag"}')
        store = parts_for(registry, session)
        held = {p["part_number"]: p for p in await run_in_threadpool(store.list)}
        planned = plan_parts(session.size, int(session.data["part_size"]))
        etags = {}
        for item in given:
            if not isinstance(item, dict) or not isinstance(item.get("part_number"), int):
                raise InvalidArgument('each of "parts" must be {"part_number": N, "etag": "..."}')
            etags[item["part_number"]] = str(item.get("etag", "")).strip('"')
        for part in planned:
            mine = held.get(part.number)
            if mine is None or mine["size"] != part.size:
                raise InvalidArgument(
                    f"upload {session.id} lacks part {part.number} of {len(planned)}; send it, "
                    f"then complete again"
                )
            if etags.get(part.number) != mine["etag"]:
                raise InvalidArgument(
                    f"part {part.number} of upload {session.id} has ETag {mine['etag']!r}, not "
                    f"{etags.get(part.number)!r}: it was replaced since; list the parts again"
                )
        await run_in_threadpool(store.complete, [(p.number, etags[p.number]) for p in planned])
        try:
            await run_in_threadpool(registry.finalize, session.id)
        finally:
            await run_in_threadpool(store.cleanup)
        return JSONResponse({"sha256": session.sha256, "size": session.size}, status_code=201)

    async def abort(request: Request) -> Response:
        session = await session_of(request, "write")
        await run_in_threadpool(parts_for(registry, session).abort)
        await run_in_threadpool(registry.abort_session, session.id)
        return Response(status_code=204)

    async def blob(request: Request) -> Response:
        await registry.authorize(request, "read")
        sha256 = request.path_params["sha256"]
        if not await run_in_threadpool(registry.has_blob, sha256):
            raise NotFound(f"no blob {sha256} in this registry")
        return FileResponse(
            registry.blob_path(sha256),
            media_type="application/octet-stream",
            headers={"Cache-Control": "private, max-age=31536000, immutable"},
        )

    return [
        Route("/uploads/{session}/parts", list_parts, methods=["GET"]),
        Route("/uploads/{session}/parts/{part_number}", put_part, methods=["PUT"]),
        Route("/uploads/{session}/sign", sign_parts, methods=["POST"]),
        Route("/uploads/{session}/complete", complete, methods=["POST"]),
        Route("/uploads/{session}", abort, methods=["DELETE"]),
        Route("/blobs/{sha256}", blob, methods=["GET", "HEAD"]),
    ]
