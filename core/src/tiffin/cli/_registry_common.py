"""What the model and bento commands share: transfer options, labels, sizes, summaries, and
``--remote`` listings. Every transfer goes through the public doors (``tiffin.models.push``,
``tiffin.push``...) or :func:`tiffin.store.copy`; nothing here knows which remote it talks to."""

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
FORCE_PULL = typer.Option(
    False, "--force", help="Download again even if the local store has this version."
)
QUIET_OPTION = typer.Option(False, "--quiet", "-q", help="No progress bar.")
REMOTE_OPTION = typer.Option(False, "--remote", help="Ask the configured registry instead.")
LABEL_OPTION = typer.Option(
    None, "--label", "-l", help="Only those with this KEY=VALUE label (repeatable)."
)


def parse_labels(pairs: list[str] | None) -> dict[str, str]:
    """``--label KEY=VALUE`` options as a dict; a malformed one is a one-line error."""
    from tiffin.exceptions import InvalidArgument

    labels: dict[str, str] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise InvalidArgument(f"--label must look like KEY=VALUE, got {pair!r}")
        labels[key] = value
    return labels


def human_size(n: int) -> str:
    from tiffin.store.summary import human_size as size

    return size(n)


def transfer(
    description: str, work: Callable[[Any], Any], output: OutputFormat, quiet: bool
) -> Any:
    """Run ``work(progress) -> (result, summary)`` under a progress bar, then print the summary
    (one line, or JSON)."""
    from tiffin.store import progress_bar, summary_dict, summary_line

    with progress_bar(description, force=False if quiet else None) as progress:
        result, summary = work(progress)
    if output == OutputFormat.json:
        echo_json(summary_dict(summary))
    else:
        sys.stdout.write(summary_line(summary) + "\n")
    return result


def _row(version: Any) -> dict[str, Any]:
    return {
        "kind": version.kind,
        "name": version.name,
        "version": version.version,
        "tag": version.tag,
        "labels": dict(version.labels),
        "size": version.size,
        "created_at": version.created_at,
        "bare": version.bare,
        **version.details,
    }


def remote_rows(kind: str, name: str | None, labels: dict[str, str]) -> list[dict[str, Any]]:
    """The configured remote's versions of ``kind`` as JSON-able rows, newest first."""
    import tiffin
    from tiffin import models

    lister = models.list_remote if kind == "model" else tiffin.list_remote
    return [_row(v) for v in lister(name, labels)]


def remote_version(kind: str, tag: str) -> Any:
    """The configured remote's :class:`~tiffin.store.RemoteVersion` of ``tag``."""
    import tiffin
    from tiffin import models

    getter = models.get_remote if kind == "model" else tiffin.get_remote
    return getter(tag)


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
    for row in rows:
        pushed = str(row.get("pushed_at") or row.get("created_at") or "")
        table.add_row(
            row["tag"] + (" (bare)" if row.get("bare") else ""),
            str(row.get(extra, "")),
            human_size(row["size"]),
            pushed[:19].replace("T", " "),
            ", ".join(f"{k}={v}" for k, v in sorted(row["labels"].items())),
        )
    console.print(table)
