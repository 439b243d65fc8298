"""``tiffin run``: call one API of a service in-process, without a server.

The input goes through the descriptor's ``from_cli`` and the output through ``to_cli``, so the
bytes printed are the bytes the HTTP response body would hold. Lifecycle hooks run as they do
under ``tiffin serve`` (deployment, startup, the call, shutdown); runners run locally.
"""

from __future__ import annotations

import contextlib
import inspect
import sys
from typing import Any

from tiffin._service._context import Context
from tiffin._service._service import Service
from tiffin.exceptions import NotFound

__all__ = ["call_api"]


def _fake_request(route: str) -> Any:
    from starlette.requests import Request

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/" + route,
        "raw_path": ("/" + route).encode(),
        "query_string": b"",
        "headers": [],
        "client": None,
        "server": None,
        "scheme": "http",
        "http_version": "1.1",
        "root_path": "",
    }
    return Request(scope)


def call_api(svc: Service, api_name: str, data: bytes, filename: str | None = None) -> bytes:
    """Run ``svc``'s API ``api_name`` on ``data`` (a file's bytes or literal input); return
    the output as the HTTP body bytes. User code's prints go to stderr, never stdout."""
    import asyncio

    api = svc.apis.get(api_name)
    if api is None:
        known = ", ".join(svc.apis) or "none"
        raise NotFound(f"service {svc.name!r} has no API {api_name!r} (its APIs: {known})")

    async def main() -> bytes:
        from starlette.concurrency import run_in_threadpool

        state: dict[str, Any] = {}
        for runner in svc.runners:
            await run_in_threadpool(runner.init_local)
        await svc.arun_hooks(svc.startup_hooks, Context(None, state))
        try:
            value = api.input.from_cli(data, filename)
            if inspect.isawaitable(value):
                value = await value
            ctx = Context(_fake_request(api.route), state) if api.ctx_param is not None else None
            args, kwargs = api.call_args(value, ctx)
            if api.is_async:
                result = await api.func(*args, **kwargs)
            else:
                result = await run_in_threadpool(api.func, *args, **kwargs)
            if inspect.isawaitable(result):
                result = await result
            out = api.output.to_cli(result)
            if inspect.isawaitable(out):
                out = await out
            return out if isinstance(out, bytes) else str(out).encode()
        finally:
            await svc.arun_hooks(svc.shutdown_hooks, Context(None, state))

    with contextlib.redirect_stdout(sys.stderr):
        svc.run_deployment_hooks()
        return asyncio.run(main())
