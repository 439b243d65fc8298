"""Drive an ASGI app in-process from synchronous tests, lifespan included.

Starlette's ``TestClient`` warns when used with httpx; this is the same idea on httpx's own
``ASGITransport``: the app's lifespan (runners start, startup hooks) runs on an event loop in a
background thread, and each request is sent to that loop.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

__all__ = ["ASGIClient"]


class ASGIClient:
    """``with ASGIClient(build_app(svc)) as client: client.post("/classify", json=[[1, 2]])``."""

    def __init__(self, app: Any, base_url: str = "http://test") -> None:
        self.app = app
        self.base_url = base_url
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._lifespan: Any = None
        self._client: Any = None

    def _run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()

    def __enter__(self) -> ASGIClient:
        import httpx

        self._thread.start()
        router = getattr(self.app, "router", None)
        if router is not None and getattr(router, "lifespan_context", None) is not None:
            self._lifespan = router.lifespan_context(self.app)
            self._run(self._lifespan.__aenter__())

        async def make() -> Any:
            transport = httpx.ASGITransport(app=self.app)
            return httpx.AsyncClient(transport=transport, base_url=self.base_url)

        self._client = self._run(make())
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if self._client is not None:
                self._run(self._client.aclose())
            if self._lifespan is not None:
                self._run(self._lifespan.__aexit__(None, None, None))
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._loop.close()

    def request(self, method: str, url: str, **kwargs: Any) -> Any:
        return self._run(self._client.request(method, url, **kwargs))

    def get(self, url: str, **kwargs: Any) -> Any:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> Any:
        return self.request("POST", url, **kwargs)
