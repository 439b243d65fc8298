"""The built-in ``local`` serving engine (tiffin's own uvicorn server), registered like a plugin's.

``tiffin serve`` without ``--engine`` (or with ``--engine local``) never looks this up: it serves
directly, so the default path stays as fast as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tiffin.hookspecs import ServingEngine, hookimpl

__all__ = ["LocalServingEngine"]


class LocalServingEngine:
    """``tiffin serve TARGET``: the service or bento on tiffin's HTTP server, in this process."""

    name = "local"

    def serve(self, target: str, options: Any) -> None:
        from tiffin._server._launch import serve as run_server

        run_server(target, options)


@hookimpl
def register_serving_engines(register: Callable[[ServingEngine], None]) -> None:
    register(LocalServingEngine())
