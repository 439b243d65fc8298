"""``tiffin serve`` without Typer: the cold start of a server is a figure users feel.

Building the Typer app loads every plugin's commands and imports Typer, click and pydantic:
about 0.1 s of each start (see ``docs/benchmarks.md``). A plainly valid ``tiffin serve`` command
line is parsed here instead; ``--help``, an unknown option or a bad value return ``None`` so
that Typer handles them with its usual messages.
"""

from __future__ import annotations

import re
from pathlib import Path

from tiffin._server._options import DEFAULT_MAX_BODY_TEXT, ServeOptions
from tiffin.cli._guard import run_guarded

__all__ = ["fast_serve", "parse_size"]

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
        raise ValueError(f"{text!r} is not a size; write e.g. 1048576, 10MB or 100MiB")
    return int(float(match.group(1)) * _UNITS[unit])


_FAST_VALUES = {
    "--host": "host",
    "--port": "port",
    "-p": "port",
    "--workers": "workers",
    "--api-workers": "workers",
    "--loop": "loop",
    "--working-dir": "working_dir",
    "--max-body-size": "max_body_size",
    "--log-level": "log_level",
}
_FAST_FLAGS = {
    "--reload": ("reload", True),
    "--production": ("production", True),
    "--access-log": ("access_log", True),
}
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
    defaults = ServeOptions()
    try:
        port = int(str(options.get("port", defaults.port)))
        workers = int(str(options["workers"])) if "workers" in options else defaults.workers
        size = parse_size(str(options.get("max_body_size", DEFAULT_MAX_BODY_TEXT)))
    except ValueError:
        return None
    if workers is not None and workers < 1:
        return None
    working_dir = options.get("working_dir")
    if working_dir is not None and not Path(str(working_dir)).is_dir():
        return None  # Typer's path explains it
    serve_options = ServeOptions(
        host=str(options.get("host", defaults.host)),
        port=port,
        workers=workers,
        production=bool(options.get("production", defaults.production)),
        reload=bool(options.get("reload", defaults.reload)),
        working_dir=str(working_dir) if working_dir is not None else None,
        max_body_size=size,
        access_log=bool(options.get("access_log", defaults.access_log)),
        log_level=str(options.get("log_level", defaults.log_level)).lower(),
        loop=str(options.get("loop", defaults.loop)).lower(),
    )

    def serve() -> None:
        from tiffin._server._launch import serve as run_server

        run_server(target, serve_options)

    return run_guarded(serve)
