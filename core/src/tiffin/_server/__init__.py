"""The HTTP server: a Starlette app for a service, served by uvicorn (``tiffin serve``).

Nothing is imported here eagerly: the command line reads ``_server._options`` to build its
``serve`` command, and ``tiffin --help`` must not import Starlette for that.
"""

from __future__ import annotations

from typing import Any

__all__ = ["DEFAULT_MAX_BODY_SIZE", "build_app"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from tiffin._server import _app

        return getattr(_app, name)
    raise AttributeError(name)
