"""``tiffin models label TAG KEY=VALUE ... [--remove KEY] [--remote]``: labels after a push."""

from __future__ import annotations

import sys

import typer

from tiffin.cli._common import OutputFormat, echo_json
from tiffin.cli._registry_common import REMOTE_OPTION

__all__ = ["add_to"]


def label(
    tag: str = typer.Argument(..., metavar="TAG", help="name:version (name alone: the newest)."),
    pairs: list[str] = typer.Argument(None, metavar="[KEY=VALUE]...", help="Labels to set."),
    remove: list[str] = typer.Option(None, "--remove", help="A label KEY to remove (repeatable)."),
    remote: bool = REMOTE_OPTION,
    output: OutputFormat = typer.Option(
        OutputFormat.table, "--output", "-o", help="table or json."
    ),
) -> None:
    """Set or remove a model's labels: locally, or with --remote in the registry (write token)."""
    from tiffin._labels import label_local_model, label_remote, parse_changes

    to_set, to_remove = parse_changes(pairs, remove)
    if remote:
        result = label_remote("models", tag, to_set, to_remove)
        where, shown, labels = " in the registry", result["tag"], result["labels"]
    else:
        model = label_local_model(tag, to_set, to_remove)
        where, shown, labels = "", str(model.tag), dict(model.info.labels)
    if output == OutputFormat.json:
        echo_json({"tag": shown, "labels": labels})
        return
    text = ", ".join(f"{k}={v}" for k, v in sorted(labels.items())) or "none"
    sys.stdout.write(f"labels of {shown}{where}: {text}\n")


def add_to(app: typer.Typer) -> None:
    """Add ``label`` to the ``models`` group (core's ``cli/models.py`` owns the group)."""
    for group in app.registered_groups:
        if group.name == "models" and group.typer_instance is not None:
            group.typer_instance.command("label")(label)
            return
