"""Reading a request body that came without a Content-Length, within the server's limit.

Shared by the native API routes and the Open Inference Protocol routes.
"""

from __future__ import annotations

from starlette.requests import Request

__all__ = ["TooLarge", "read_limited"]


class TooLarge(Exception):
    """The body passed the limit; the caller answers 413."""


async def read_limited(request: Request, limit: int) -> None:
    """Read a body sent without a Content-Length, refusing it once it passes ``limit``."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge
        chunks.append(chunk)
    request._body = b"".join(chunks)  # Starlette serves later reads from here
