"""Running a service under uvicorn: one worker in-process, or several (and ``--reload``)
through an app factory that each worker process calls.

``on_deployment`` hooks run here, once, in the parent process before any worker starts.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from pathlib import Path

from tiffin._server._app import DEFAULT_MAX_BODY_SIZE

__all__ = ["ENV_MAX_BODY", "ENV_TARGET", "ENV_WORKING_DIR", "configure_logging", "serve"]

ENV_TARGET = "TIFFIN_SERVE_TARGET"
ENV_WORKING_DIR = "TIFFIN_SERVE_WORKING_DIR"
ENV_MAX_BODY = "TIFFIN_SERVE_MAX_BODY_SIZE"


def configure_logging(level: str = "info") -> None:
    """tiffin's own log lines on stderr (uvicorn configures its own loggers)."""
    logger = logging.getLogger("tiffin")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
    logger.setLevel(level.upper())
    logger.propagate = False


def serve(
    target: str,
    *,
    working_dir: str | None = None,
    host: str = "127.0.0.1",
    port: int = 3000,
    workers: int = 1,
    reload: bool = False,
    max_body_size: int = DEFAULT_MAX_BODY_SIZE,
    access_log: bool = False,
    log_level: str = "info",
) -> None:
    """Load the service, run its deployment hooks, then serve it until SIGINT/SIGTERM."""
    import uvicorn

    from tiffin._service.loader import load_service

    configure_logging(log_level)
    base = str(Path(working_dir).resolve()) if working_dir else os.getcwd()
    svc = load_service(target, base)
    svc.run_deployment_hooks()
    options = dict(
        host=host,
        port=port,
        loop="uvloop",
        http="httptools",
        ws="none",  # no WebSocket routes: importing a websockets implementation costs ~15 ms
        lifespan="on",
        access_log=access_log,
        log_level=log_level,
        timeout_graceful_shutdown=None,
    )
    if workers == 1 and not reload:
        from tiffin._server._app import build_app

        app = build_app(svc, max_body_size=max_body_size)
        uvicorn.Server(uvicorn.Config(app, **options)).run()  # type: ignore[arg-type]
        return
    os.environ[ENV_TARGET] = target
    os.environ[ENV_WORKING_DIR] = base
    os.environ[ENV_MAX_BODY] = str(max_body_size)
    with tempfile.TemporaryDirectory(prefix="tiffin-metrics-") as metrics_dir:
        if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
        uvicorn.run(
            "tiffin._server._worker:create_app",
            factory=True,
            workers=workers,
            reload=reload,
            reload_dirs=[base] if reload else None,
            **options,  # type: ignore[arg-type]
        )
