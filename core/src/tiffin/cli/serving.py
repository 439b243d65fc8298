"""``tiffin serve`` and ``tiffin run``: a service over HTTP, or one API call from the shell."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import typer

from tiffin.cli._common import fail, run_guarded

__all__ = ["add_to", "parse_size"]

_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?i?b?)?\s*$", re.IGNORECASE)
_UNITS = {
    "": 1,
    "b": 1,
    "k": 1000,
    "kb": 1000,
    "kib": 1024,
    "ki": 1024,
    "m": 1000**2,
    "mb": 1000**2,
    "mib": 1024**2,
    "mi": 1024**2,
    "g": 1000**3,
    "gb": 1000**3,
    "gib": 1024**3,
    "gi": 1024**3,
}


def parse_size(text: str) -> int:
    """``"100MiB"``, ``"10MB"``, ``"1048576"`` -> bytes."""
    match = _SIZE_RE.match(text)
    unit = (match.group(2) or "").lower() if match else None
    if match is None or unit not in _UNITS:
        raise typer.BadParameter(f"{text!r} is not a size; write e.g. 1048576, 10MB or 100MiB")
    return int(float(match.group(1)) * _UNITS[unit])


def serve(
    target: str = typer.Argument(
        ..., help="service.py:svc, module:svc, service.py, or a bento tag."
    ),
    host: str = typer.Option(
        "127.0.0.1", "--host", help="Interface to bind; 0.0.0.0 for every interface (containers)."
    ),
    port: int = typer.Option(3000, "--port", "-p", min=0, max=65535, help="TCP port."),
    workers: int = typer.Option(1, "--workers", min=1, help="Worker processes."),
    reload: bool = typer.Option(
        False, "--reload", help="Restart when files in the working directory change (development)."
    ),
    working_dir: Path | None = typer.Option(
        None,
        "--working-dir",
        help="Where to find the service module (default: the current directory).",
    ),
    max_body_size: str = typer.Option(
        "100MiB", "--max-body-size", help="Largest request body accepted; bigger ones get 413."
    ),
    access_log: bool = typer.Option(
        False, "--access-log/--no-access-log", help="Log every request."
    ),
    log_level: str = typer.Option("info", "--log-level", help="debug, info, warning or error."),
) -> None:
    """Serve a service over HTTP: each API at POST /<route>, plus /docs, /metrics and probes."""
    from tiffin._server._launch import serve as run_server

    if working_dir is not None and not working_dir.is_dir():
        raise fail(f"--working-dir {working_dir} is not a directory")
    run_server(
        target,
        working_dir=str(working_dir) if working_dir else None,
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        max_body_size=parse_size(max_body_size),
        access_log=access_log,
        log_level=log_level.lower(),
    )


_FAST_VALUES = {
    "--host": "host",
    "--port": "port",
    "-p": "port",
    "--workers": "workers",
    "--working-dir": "working_dir",
    "--max-body-size": "max_body_size",
    "--log-level": "log_level",
}
_FAST_FLAGS = {"--reload": ("reload", True), "--access-log": ("access_log", True)}
_FAST_FLAGS["--no-access-log"] = ("access_log", False)


def fast_serve(argv: list[str]) -> int | None:
    """``tiffin serve ARGS`` without building the Typer app; ``None``: let Typer handle ``argv``.

    Why: building the app loads every plugin's commands, and Typer coerces each parameter
    through a pydantic ``TypeAdapter`` (importing pydantic): ~0.1 s of every cold start (see
    ``docs/benchmarks.md``). Only plainly valid command lines take this path; ``--help``, an
    unknown option or a bad value go to Typer, which explains them as usual.
    """
    options: dict[str, object] = {}
    target: str | None = None
    args = iter(argv)
    for arg in args:
        name, eq, value = arg.partition("=")
        if name in _FAST_VALUES and not (eq and name == "-p"):
            if not eq:
                value = next(args, None)  # type: ignore[assignment]
                if value is None:
                    return None
            options[_FAST_VALUES[name]] = value
        elif arg in _FAST_FLAGS:
            key, flag = _FAST_FLAGS[arg]
            options[key] = flag
        elif arg.startswith("-") or target is not None:
            return None
        else:
            target = arg
    if target is None:
        return None
    try:
        port = int(str(options.get("port", 3000)))
        workers = int(str(options.get("workers", 1)))
        size = parse_size(str(options.get("max_body_size", "100MiB")))
    except (ValueError, typer.BadParameter):
        return None
    if workers < 1:
        return None
    working_dir = options.get("working_dir")
    return run_guarded(
        lambda: serve(
            target,
            host=str(options.get("host", "127.0.0.1")),
            port=port,
            workers=workers,
            reload=bool(options.get("reload", False)),
            working_dir=Path(str(working_dir)) if working_dir is not None else None,
            max_body_size=str(size),
            access_log=bool(options.get("access_log", False)),
            log_level=str(options.get("log_level", "info")),
        )
    )


def run(
    target: str = typer.Argument(
        ..., help="service.py:svc, module:svc, service.py, or a bento tag."
    ),
    api: str = typer.Argument(..., help="The API's name."),
    input: str = typer.Option(
        ...,
        "--input",
        "-i",
        help="The input itself (e.g. JSON), @FILE to read a file (CSV, .npy, an image...), or @- for stdin.",
    ),
    working_dir: Path | None = typer.Option(
        None, "--working-dir", help="Where to find the service module."
    ),
) -> None:
    """Call one API in-process and print its output exactly as the HTTP response body."""
    import logging

    from tiffin._server._launch import configure_logging
    from tiffin._service._oneshot import call_api
    from tiffin._service.loader import load_service

    configure_logging("warning")
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
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
    else:
        data = input.encode()
    svc = load_service(target, working_dir)
    out = call_api(svc, api, data, filename)
    sys.stdout.buffer.write(out)
    sys.stdout.buffer.flush()


def add_to(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.command("run")(run)
