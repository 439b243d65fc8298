"""What push, pull and ``--remote`` share on the command line: options, progress, summaries."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import typer

from tiffin import _plugins
from tiffin.cli._common import OutputFormat, echo_json


class _InstalledStrategies:
    """``--strategy``'s metavar in ``--help``: the strategies installed here, looked up only
    when the help is drawn (loading every strategy plugin would slow each start-up)."""

    def __str__(self) -> str:
        try:
            return "[" + "|".join(sorted(_plugins.transfer_strategies())) + "]"
        except Exception:  # a broken plugin is reported by `tiffin plugins`, not by --help
            return "NAME"

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


STRATEGY_OPTION = typer.Option(
    None,
    "--strategy",
    metavar=_InstalledStrategies(),  # type: ignore[arg-type]
    help="Use this transfer strategy: one of those installed here.",
)
THREADS_OPTION = typer.Option(10, "--threads", min=1, help="Files moved at once.")
FORCE_PUSH = typer.Option(False, "--force", help="Push even if the registry has this version.")
FORCE_PULL = typer.Option(False, "--force", help="Pull even if the local store has this version.")
QUIET_OPTION = typer.Option(False, "--quiet", "-q", help="No progress bar.")
REMOTE_OPTION = typer.Option(False, "--remote", help="Ask the configured registry instead.")


def transfer(
    description: str,
    work: Callable[[Any], Any],
    output: OutputFormat,
    quiet: bool,
) -> Any:
    """Run ``work(progress)`` under a progress bar, then print its summary (or JSON)."""
    from tiffin._progress import progress_bar

    with progress_bar(description, force=False if quiet else None) as progress:
        result, summary = work(progress)
    if output == OutputFormat.json:
        echo_json(summary.to_dict())
    else:
        sys.stdout.write(summary.line() + "\n")
    return result


def remote_rows(kind: str, name: str | None, labels: dict[str, str]) -> list[dict[str, Any]]:
    from tiffin._registry._client import RegistryClient

    with RegistryClient() as client:
        return client.list_versions(kind, name, labels)


def remote_get(kind: str, tag: str) -> dict[str, Any]:
    from tiffin._registry._client import RegistryClient
    from tiffin._registry._kinds import BENTOS, MODELS
    from tiffin._registry._pull import remote_version

    with RegistryClient() as client:
        return remote_version(client, MODELS if kind == "models" else BENTOS, tag)


def print_remote_table(rows: list[dict[str, Any]], extra: str, what: str) -> None:
    from rich.table import Table

    from tiffin.cli._common import table_console

    console = table_console()
    if not rows:
        console.print(f"no {what}s in the registry")
        return
    table = Table(box=None, header_style="bold")
    table.add_column("tag", no_wrap=True)
    table.add_column(extra, no_wrap=True)
    table.add_column("size", justify="right", no_wrap=True)
    table.add_column("pushed (UTC)", no_wrap=True)
    table.add_column("labels", overflow="fold")
    from tiffin._registry._summary import _size

    for row in rows:
        table.add_row(
            row["tag"],
            str(row.get(extra, "")),
            _size(row["size"]),
            row["pushed_at"][:19].replace("T", " "),
            ", ".join(f"{k}={v}" for k, v in sorted(row["labels"].items())),
        )
    console.print(table)
