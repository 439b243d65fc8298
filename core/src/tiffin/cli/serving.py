"""``tiffin serve`` and ``tiffin run``: a service over HTTP, or one API call from the shell."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from tiffin._server._options import DEFAULT_MAX_BODY_TEXT, ServeOptions
from tiffin.cli import _fast_serve
from tiffin.cli._common import fail
from tiffin.cli._flags import log_level

__all__ = ["add_to", "parse_size"]


def parse_size(text: str) -> int:
    """``"100MiB"``, ``"10MB"``, ``"1048576"`` -> bytes."""
    try:
        return _fast_serve.parse_size(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


_DEFAULTS = ServeOptions()


def serve(
    target: str = typer.Argument(
        ..., metavar="TARGET", help="service.py:svc, module:svc, service.py, or a bento tag."
    ),
    host: str = typer.Option(
        _DEFAULTS.host,
        "--host",
        help="Interface to bind; 0.0.0.0 for every interface (containers).",
    ),
    port: int = typer.Option(_DEFAULTS.port, "--port", "-p", min=0, max=65535, help="TCP port."),
    workers: int | None = typer.Option(
        _DEFAULTS.workers,
        "--api-workers",
        "--workers",
        min=1,
        help="API worker processes (default 1; with --production, one per CPU).",
    ),
    production: bool = typer.Option(
        _DEFAULTS.production,
        "--production",
        help="Serve for production: no reload, one API worker per CPU unless --api-workers says.",
    ),
    reload: bool = typer.Option(
        _DEFAULTS.reload,
        "--reload",
        help="Restart when files in the working directory change (development).",
    ),
    working_dir: Path | None = typer.Option(
        None,
        "--working-dir",
        help="Where to find the service module (default: the current directory).",
    ),
    max_body_size: str = typer.Option(
        DEFAULT_MAX_BODY_TEXT,
        "--max-body-size",
        help="Largest request body accepted; bigger ones get 413.",
    ),
    access_log: bool = typer.Option(
        _DEFAULTS.access_log, "--access-log/--no-access-log", help="Log every request."
    ),
    log_level: str = typer.Option(
        _DEFAULTS.log_level, "--log-level", help="debug, info, warning or error."
    ),
    loop: str = typer.Option(
        _DEFAULTS.loop, "--loop", help="Event loop: auto (uvloop where installed), uvloop, asyncio."
    ),
    engine: str = typer.Option(
        "local",
        "--engine",
        help="Serving engine: local (built in) or one a plugin adds (ray from tiffin-ray).",
    ),
) -> None:
    """Serve a service over HTTP: each API at POST /<route>, plus /docs, /metrics and probes."""
    from tiffin._server._launch import serve as run_server

    if working_dir is not None and not working_dir.is_dir():
        raise fail(f"--working-dir {working_dir} is not a directory")
    run = run_server
    if engine != "local":  # the default never loads plugins: tiffin serve stays as fast
        from tiffin import _plugins

        engines = _plugins.serving_engines()
        if engine not in engines:
            raise fail(
                f"--engine {engine}: no serving engine of that name is installed (installed: "
                f"{', '.join(sorted(engines)) or 'none'}); ray comes from pip install tiffin-ray"
            )
        run = engines[engine].serve
    run(
        target,
        ServeOptions(
            host=host,
            port=port,
            workers=workers,
            production=production,
            reload=reload,
            working_dir=str(working_dir) if working_dir else None,
            max_body_size=parse_size(max_body_size),
            access_log=access_log,
            log_level=log_level.lower(),
            loop=loop.lower(),
        ),
    )


def run(
    target: str = typer.Argument(
        ..., metavar="TARGET", help="service.py:svc, module:svc, service.py, or a bento tag."
    ),
    api: str = typer.Argument(..., metavar="API", help="The API's name."),
    input: str = typer.Option(
        ...,
        "--input",
        "-i",
        help="The input itself (e.g. JSON), a path to an existing file or @FILE to read it (CSV, .npy, an image...), or @- for stdin.",
    ),
    working_dir: Path | None = typer.Option(
        None, "--working-dir", help="Where to find the service module."
    ),
) -> None:
    """Call one API in-process and print its output exactly as the HTTP response body."""
    import logging

    from tiffin._server._launch import configure_logging
    from tiffin._service._oneshot import call_api
    from tiffin._target import resolve_target
    from tiffin.exceptions import TiffinError

    level = log_level("warning")
    configure_logging(level)
    logging.basicConfig(stream=sys.stderr, level=level.upper())
    filename: str | None = None
    if input.startswith("@"):
        source = input[1:]
        if source == "-":
            data = sys.stdin.buffer.read()
        else:
            path = Path(source)
            if path.is_dir():
                raise fail(f"--input {input}: {path} is a directory; name a file")
            if not path.is_file():
                raise fail(f"--input {input}: no such file {path}")
            data, filename = path.read_bytes(), path.name
    elif _existing_file(input):
        path = Path(input)
        data, filename = path.read_bytes(), path.name
    else:
        data = input.encode()
    svc = resolve_target(target, working_dir)
    try:
        out = call_api(svc, api, data, filename)
    except TiffinError:
        raise
    except Exception as exc:  # the API's own code failed on this input: one line, not a traceback
        logging.getLogger("tiffin.run").debug("API %r failed:", api, exc_info=True)
        raise fail(
            f"API {api!r} failed on this input: {type(exc).__name__}: {' '.join(str(exc).split())}"
            " (tiffin -v run ... shows the traceback)"
        ) from None
    sys.stdout.buffer.write(out)
    if sys.stdout.isatty() and not out.endswith(b"\n"):
        sys.stdout.buffer.write(b"\n")  # leave the shell prompt on its own line
    sys.stdout.buffer.flush()


def _existing_file(text: str) -> bool:
    """Whether ``--input`` names an existing file (``./data.csv``), as BentoML's examples use it."""
    if not text or "\n" in text or len(text) > 4096 or text.lstrip()[:1] in "[{\"":
        return False
    try:
        return Path(text).expanduser().is_file()
    except (OSError, ValueError):
        return False


def add_to(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.command("run")(run)
