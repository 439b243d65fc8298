"""The HTTP server: a Starlette app for a service, served by uvicorn (``tiffin serve``)."""

from __future__ import annotations

from tiffin._server._app import DEFAULT_MAX_BODY_SIZE, build_app

__all__ = ["DEFAULT_MAX_BODY_SIZE", "build_app"]
