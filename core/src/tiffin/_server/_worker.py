"""The app factory each uvicorn worker process calls when ``tiffin serve`` runs several
workers or ``--reload``: the service to load comes from environment variables the parent set.
"""

from __future__ import annotations

import os

from starlette.applications import Starlette

from tiffin._server._app import build_app
from tiffin._server._launch import ENV_MAX_BODY, ENV_TARGET, ENV_WORKING_DIR, configure_logging
from tiffin._server._options import DEFAULT_MAX_BODY_SIZE

__all__ = ["create_app"]


def create_app() -> Starlette:
    from tiffin._target import resolve_target

    configure_logging(os.environ.get("TIFFIN_LOG_LEVEL", "info"))
    svc = resolve_target(os.environ[ENV_TARGET], os.environ.get(ENV_WORKING_DIR))
    if any(runner.worker_count() for runner in svc.runners):
        from tiffin._runner._forkserver import start_fork_server

        start_fork_server(svc.runners)  # before this worker process starts a thread of its own
    return build_app(svc, max_body_size=int(os.environ.get(ENV_MAX_BODY, DEFAULT_MAX_BODY_SIZE)))
