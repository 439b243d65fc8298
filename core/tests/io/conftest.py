"""A tiny Starlette app per test that serves one descriptor pair the way the tiffin server does."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest


def make_client(
    input_desc: Any, output_desc: Any = None, func: Callable[..., Any] | None = None
) -> Any:
    """A client for ``POST /``: parse with ``input_desc``, call ``func``, answer with ``output_desc``."""
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from tiffin.exceptions import TiffinError

    output_desc = output_desc or input_desc
    func = func or (lambda *args, **kwargs: kwargs if kwargs else args[0])

    async def endpoint(request: Any) -> Any:
        try:
            value = await input_desc.from_http(request)
            result = func(**value) if input_desc.input_kwargs else func(value)
            return await output_desc.to_http(result)
        except TiffinError as exc:
            return JSONResponse(
                {"error": exc.message, "kind": exc.error_kind}, status_code=exc.status_code
            )

    return _Client(Starlette(routes=[Route("/", endpoint, methods=["POST"])]))


class _Client:
    """A synchronous face on ``httpx.AsyncClient`` over ASGI (starlette's TestClient warns on httpx)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def post(self, url: str, **kwargs: Any) -> Any:
        import asyncio

        import httpx

        async def go() -> Any:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                return await client.post(url, **kwargs)

        return asyncio.run(go())


@pytest.fixture
def serve_io() -> Callable[..., Any]:
    """``serve_io(NumpyNdarray(), func=...)`` -> a client whose ``.post("/", ...)`` reaches the app."""
    return make_client
