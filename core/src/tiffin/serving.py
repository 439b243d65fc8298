"""What a serving engine builds on: public, so an engine plugin needs no private module.

A serving engine (``tiffin.hookspecs.register_serving_engines``, ``tiffin serve --engine``)
receives a TARGET and a :class:`ServeOptions`; with these it loads the service the way ``tiffin
serve`` does and serves tiffin's own ASGI app (routes, descriptors, /docs, /metrics, V2):

    from tiffin.serving import build_app, configure_logging, resolve_target

    configure_logging(options.log_level)
    service = resolve_target(target)            # a file, module, bento folder or tag
    app = build_app(service)                    # tiffin's ASGI app for that service
"""

from __future__ import annotations

from tiffin._batch._target import bento_of_target
from tiffin._server._app import build_app
from tiffin._server._launch import _listen as listen
from tiffin._server._launch import configure_logging
from tiffin._server._options import ServeOptions
from tiffin._target import resolve_target

__all__ = [
    "ServeOptions",
    "bento_of_target",
    "build_app",
    "configure_logging",
    "listen",
    "resolve_target",
]
