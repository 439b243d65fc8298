"""What every command shares: user errors as one line, JSON output, consoles on the right stream."""

from __future__ import annotations

import sys
from collections.abc import Callable
from enum import StrEnum
from typing import Any

import typer

from tiffin.cli._guard import run_guarded


class OutputFormat(StrEnum):
    table = "table"
    json = "json"


OUTPUT_OPTION = typer.Option(
    OutputFormat.table, "--output", "-o", help="table for people, json for scripts."
)


def echo_json(data: Any) -> None:
    """Print ``data`` as JSON on stdout, and nothing else there."""
    import json  # not at module level: every start-up of the CLI would pay for it

    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def table_console() -> Any:
    """A rich console for tables on stdout: a terminal's width, or no cut when piped.

    Piped into ``grep`` or a file, rich would assume 80 columns and drop or cut columns.
    """
    import os

    from rich.console import Console

    piped = not sys.stdout.isatty() and "COLUMNS" not in os.environ
    return Console(width=1000 if piped else None)


def is_stdout(url: str) -> bool:
    """Whether ``url`` names this process's stdout (``/dev/stdout``, ``/dev/fd/1``, its pipe)."""
    import os

    try:
        return os.path.samestat(os.stat(url), os.fstat(sys.stdout.fileno()))
    except (OSError, ValueError):
        return False


def report(message: str, url: str) -> None:
    """Say what was written to ``url``: on stdout, unless the archive itself went there."""
    stream = sys.stderr if is_stdout(url) else sys.stdout
    stream.write(message + "\n")


def fail(message: str) -> typer.Exit:
    """Print one readable error line on stderr; ``raise fail(...)`` exits with code 1."""
    sys.stderr.write(f"error: {message}\n")
    return typer.Exit(code=1)


def run_cli(build_app: Callable[[], typer.Typer], argv: list[str] | None) -> int:
    """Run the app; map :class:`tiffin.exceptions.TiffinError` to one line and exit code 1."""

    def run() -> None:
        command = typer.main.get_command(build_app())
        command.main(args=argv, prog_name="tiffin", standalone_mode=True)

    return run_guarded(run)

