"""Running a service under uvicorn: one worker in-process, or several (and ``--reload``)
through an app factory that each worker process calls.

``on_deployment`` hooks run here, once, in the parent process before any worker starts.
"""

from __future__ import annotations

import logging
import os
import socket
import sys
import tempfile
from pathlib import Path

from tiffin._server._options import LOOPS, ServeOptions
from tiffin.exceptions import InvalidArgument
from tiffin.store import enable_auto_pull

__all__ = ["ENV_MAX_BODY", "ENV_TARGET", "ENV_WORKING_DIR", "configure_logging", "serve"]

ENV_TARGET = "TIFFIN_SERVE_TARGET"
ENV_WORKING_DIR = "TIFFIN_SERVE_WORKING_DIR"
ENV_MAX_BODY = "TIFFIN_SERVE_MAX_BODY_SIZE"


LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")


def configure_logging(level: str = "info") -> None:
    """tiffin's own log lines on stderr (uvicorn configures its own loggers)."""
    if level.lower() not in LOG_LEVELS:
        raise InvalidArgument(f"log level {level!r} is not one of: {', '.join(LOG_LEVELS)}")
    level = "debug" if level.lower() == "trace" else level
    logger = logging.getLogger("tiffin")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
    logger.setLevel(level.upper())
    logger.propagate = False


def _loop(choice: str) -> str:
    """uvicorn's loop setting for ``--loop``: ``auto`` is uvloop where installed, else asyncio."""
    if choice != "auto":
        return choice
    import importlib.util

    return "uvloop" if importlib.util.find_spec("uvloop") is not None else "asyncio"


def serve(target: str, options: ServeOptions | None = None) -> None:
    """Load the service, run its deployment hooks, then serve it until SIGINT/SIGTERM."""
    import uvicorn

    from tiffin._target import resolve_target

    opts = options if options is not None else ServeOptions()
    configure_logging(opts.log_level)
    port, host = opts.port, opts.host
    if not 0 <= port <= 65535:
        raise InvalidArgument(f"port {port} is out of range: use 0 to 65535 (3000 by default)")
    if opts.production and opts.reload:
        raise InvalidArgument(
            "--production and --reload do not go together: --reload is for development"
        )
    if opts.loop not in LOOPS:
        raise InvalidArgument(f"--loop {opts.loop!r} is not one of: {', '.join(LOOPS)}")
    workers = opts.api_workers
    if workers < 1:
        raise InvalidArgument(f"--api-workers must be at least 1, got {workers}")
    # bind first, so a port in use is one line before the service and its hooks ever run
    sock = _listen(host, port)
    base = str(Path(opts.working_dir).resolve()) if opts.working_dir else os.getcwd()
    enable_auto_pull()  # the store chains may fetch what no local store holds
    try:
        svc = resolve_target(target, base)
    except BaseException:
        sock.close()
        raise
    if workers != 1 or opts.reload:
        sock.close()  # uvicorn's supervisor binds for its workers; we only checked it is free
    svc.run_deployment_hooks()
    config = dict(
        host=host,
        port=port,
        loop=_loop(opts.loop),
        http="httptools",
        ws="none",  # no WebSocket routes: importing a websockets implementation costs ~15 ms
        lifespan="on",
        access_log=opts.access_log,
        log_level=opts.log_level,
        server_header=False,  # no "server: uvicorn" on every answer: less to write, less to tell
        timeout_graceful_shutdown=None,
    )
    if workers == 1 and not opts.reload:
        from tiffin._server._app import build_app

        if any(runner.worker_count() for runner in svc.runners):
            from tiffin._runner._forkserver import start_fork_server

            # runner workers are forked from here, while this process has a single thread
            start_fork_server(svc.runners, close_in_child=[sock])
        app = build_app(svc, max_body_size=opts.max_body_size)
        bound_host, bound_port = sock.getsockname()[:2]
        logging.getLogger("tiffin.server").info(
            "serving %r on http://%s:%d (Ctrl-C stops)", svc.name, bound_host, bound_port
        )
        uvicorn.Server(uvicorn.Config(app, **config)).run(sockets=[sock])  # type: ignore[arg-type]
        return
    os.environ[ENV_TARGET] = target
    os.environ[ENV_WORKING_DIR] = base
    os.environ[ENV_MAX_BODY] = str(opts.max_body_size)
    with tempfile.TemporaryDirectory(prefix="tiffin-metrics-") as metrics_dir:
        if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
        uvicorn.run(
            "tiffin._server._worker:create_app",
            factory=True,
            workers=workers,
            reload=opts.reload,
            reload_dirs=[base] if opts.reload else None,
            **config,  # type: ignore[arg-type]
        )


def _listen(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port``, or one clear line saying why there cannot be one."""
    import errno

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise InvalidArgument(
            f"--host {host!r} is not an address of this machine: {exc.strerror}"
        ) from None
    family, _, _, _, address = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise InvalidArgument(
                f"cannot listen on {host}:{port}: the address is already in use; stop the other "
                f"server or pick another --port"
            ) from None
        raise InvalidArgument(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.set_inheritable(True)
    return sock
