"""Reading a request's body within the server's size limit, before its input descriptor runs.

Shared by the native API routes and the Open Inference Protocol routes. A body of up to
:data:`READ_AHEAD_MAX` bytes (or one sent without a ``Content-Length``, which must be counted
as it comes) is read here straight from ASGI ``receive``: one call for the usual one-message
body, where Starlette's ``Request.body()`` runs an async generator in a closing context (a few
microseconds a request, measured in ``docs/benchmarks.md``). The descriptor then reads it from
memory. A bigger body is left to the descriptor, which may stream it (a multipart upload spools
its files to disk).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import ClientDisconnect, Request

from tiffin._server._errors import error_response

__all__ = ["READ_AHEAD_MAX", "read_body"]

#: Bodies up to this many bytes are read before the input descriptor runs.
READ_AHEAD_MAX = 1 << 20


class _TooLarge(Exception):
    pass


async def read_body(request: Request, limit: int) -> Any:
    """Read the body now when it is small or of unknown size; an error response, or None.

    413 when the declared or the actual size passes ``limit``; 400 for a malformed
    ``Content-Length`` or a client that went away mid-body.
    """
    length = None
    for key, value in request.scope["headers"]:  # raw: no Headers object per request
        if key == b"content-length":
            length = value
            break
    try:
        if length is not None:
            declared = int(length)
            if declared > limit:
                raise _TooLarge
            if declared > READ_AHEAD_MAX:
                return None  # the descriptor reads (or streams) it
        await _receive_all(request, limit)
    except _TooLarge:
        return error_response(
            413,
            f"request body is larger than the server's limit of {limit} bytes "
            "(tiffin serve --max-body-size)",
            "too_large",
        )
    except ValueError:
        return error_response(400, f"bad Content-Length header {length!r}", "bad_input")
    except ClientDisconnect:
        return error_response(
            400, "the client went away before sending the whole body", "bad_input"
        )
    return None


async def _receive_all(request: Request, limit: int) -> None:
    receive = request.receive
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        kind = message["type"]
        if kind == "http.request":
            chunk = message.get("body", b"")
            if chunk:
                size += len(chunk)
                if size > limit:
                    raise _TooLarge
                chunks.append(chunk)
            if not message.get("more_body", False):
                break
        elif kind == "http.disconnect":
            raise ClientDisconnect
    request._stream_consumed = True
    request._body = chunks[0] if len(chunks) == 1 else b"".join(chunks)  # Starlette reads it
