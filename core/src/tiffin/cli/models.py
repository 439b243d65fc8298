"""``tiffin models list|get|delete|export|import|push|pull``: the model store from the shell."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Any

import typer

from tiffin.cli._common import (
    OUTPUT_OPTION,
    OutputFormat,
    echo_json,
    fail,
    report,
    table_console,
)
from tiffin.cli._registry_common import (
    FORCE_PULL,
    FORCE_PUSH,
    LABEL_OPTION,
    QUIET_OPTION,
    REMOTE_OPTION,
    STRATEGY_OPTION,
    THREADS_OPTION,
    human_size,
    parse_labels,
    print_remote_table,
    remote_rows,
    remote_version,
    transfer,
)

__all__ = ["app"]

app = typer.Typer(
    help="Manage the local model store: list, inspect, delete, export and import models.",
    no_args_is_help=True,
)


class ManifestFormat(StrEnum):
    yaml = "yaml"
    json = "json"


class Compression(StrEnum):
    gz = "gz"
    xz = "xz"


def _summary(model: Any) -> dict[str, Any]:
    info = model.info
    return {
        "tag": str(model.tag),
        "name": info.name,
        "version": info.version,
        "framework": info.framework,
        "labels": dict(info.labels),
        "size": sum(f.size for f in info.files),
        "created_at": info.created_at.isoformat(),
        "path": str(model.path),
    }


@app.command("list")
def list_models(
    name: str = typer.Argument(None, metavar="NAME", help="Only this model's versions."),
    label: list[str] = LABEL_OPTION,
    output: OutputFormat = OUTPUT_OPTION,
    remote: bool = REMOTE_OPTION,
) -> None:
    """List stored models, newest first (--remote: the registry's)."""
    from tiffin import models

    if remote:
        rows = remote_rows("model", name, parse_labels(label))
        if output == OutputFormat.json:
            echo_json(rows)
        else:
            print_remote_table(rows, "framework", "model")
        return

    found = models.list(name, labels=parse_labels(label))
    if output == OutputFormat.json:
        echo_json([_summary(m) for m in found])
        return
    from rich.table import Table

    console = table_console()
    if not found:
        console.print(
            "no models stored"
            + (f" named {name!r}" if name else "")
            + (" with those labels" if label else "")
        )
        return
    table = Table(box=None, header_style="bold")
    table.add_column("tag", no_wrap=True)
    table.add_column("framework", no_wrap=True)
    table.add_column("size", justify="right", no_wrap=True)
    table.add_column("created (UTC)", no_wrap=True)
    table.add_column("labels", overflow="fold")
    for m in found:
        info = m.info
        table.add_row(
            str(m.tag),
            info.framework,
            human_size(sum(f.size for f in info.files)),
            info.created_at.strftime("%Y-%m-%d %H:%M:%S"),
            ", ".join(f"{k}={v}" for k, v in sorted(info.labels.items())),
        )
    console.print(table)


@app.command("get")
def get_model(
    tag: str = typer.Argument(
        ..., metavar="TAG", help="name, name:latest, name:version or a unique version prefix."
    ),
    output: ManifestFormat = typer.Option(
        ManifestFormat.yaml, "--output", "-o", help="yaml or json."
    ),
    remote: bool = REMOTE_OPTION,
) -> None:
    """Show a model's manifest (model.yaml); --remote: the registry's copy."""
    from tiffin import models

    if remote:
        version = remote_version("model", tag)
        if output == ManifestFormat.json:
            from tiffin._converter import load_yaml

            data = load_yaml(version.manifest)
            data["labels"] = dict(version.labels)  # as the registry has them: edited after a push
            echo_json(data)
        else:
            sys.stdout.write(version.manifest.decode("utf-8"))
        return
    model = models.get(tag)
    data = model.info.to_dict()
    if output == ManifestFormat.json:
        echo_json(data)
        return
    from tiffin._converter import dump_yaml

    sys.stdout.write(dump_yaml(data))


@app.command("delete")
def delete_model(
    tag: str = typer.Argument(
        ..., metavar="TAG", help="The version to delete (name:latest deletes the newest)."
    ),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
) -> None:
    """Delete one model version."""
    from tiffin import models

    exact, _ = models.store().resolve(tag)  # not get(): a damaged manifest must be deletable
    if not yes:
        if not sys.stdin.isatty():
            raise fail(f"refusing to delete {exact} without confirmation: pass --yes")
        if not typer.confirm(f"Delete model {exact}?", default=False, err=True):
            sys.stderr.write("not deleted\n")
            raise typer.Exit(code=1)
    models.delete(exact)
    typer.echo(f"Deleted model {exact}")


@app.command("export")
def export_model(
    tag: str = typer.Argument(..., metavar="TAG", help="The model to export."),
    url: str = typer.Argument(
        ..., metavar="URL", help="Where to write it: a path or an fsspec URL (memory://, s3://...)."
    ),
    compression: Compression = typer.Option(
        None, "--compression", "-c", help="gz or xz (default: a plain, fast tar)."
    ),
) -> None:
    """Write a model as one archive file (a tar stream, manifest first)."""
    from tiffin import models
    from tiffin.store import progress_bar

    model = models.get(tag)
    with progress_bar(f"export {model.tag}") as progress:
        models.export_model(
            model.tag,
            url,
            compression=compression.value if compression else None,
            progress=progress,
        )
    report(f"Exported model {model.tag} to {url}", url)  # not into the archive when it is stdout


@app.command("import")
def import_model(
    url: str = typer.Argument(..., metavar="URL", help="The archive: a path or an fsspec URL."),
) -> None:
    """Import a model archive, verifying every file's sha256."""
    from tiffin._model import MODEL
    from tiffin.store import LOCAL, Archive, TransferOptions, copy, progress_bar

    with progress_bar(f"import {url}") as progress:
        done = copy(MODEL, None, Archive(url), LOCAL, TransferOptions(progress=progress))
    model = done.item
    if done.summary.unchanged:
        typer.echo(f"Model {model.tag} was already stored in {model.path}: nothing imported")
    else:
        typer.echo(f"Imported model {model.tag} into {model.path}")


@app.command("push")
def push_model(
    tag: str = typer.Argument(..., metavar="TAG", help="The model to push (name:latest: newest)."),
    force: bool = FORCE_PUSH,
    bare: bool = typer.Option(
        False, "--bare", help="Push the manifest only (the registry records a bare version)."
    ),
    strategy: str = STRATEGY_OPTION,
    threads: int = THREADS_OPTION,
    output: OutputFormat = OUTPUT_OPTION,
    quiet: bool = QUIET_OPTION,
) -> None:
    """Push a model to the configured registry (only files it lacks are sent)."""
    from tiffin import models

    def work(progress: Any) -> Any:
        summary = models.push(
            tag, force=force, bare=bare, threads=threads, strategy=strategy, progress=progress
        )
        return None, summary

    transfer(f"push {tag}", work, output, quiet)


@app.command("pull")
def pull_model(
    tag: str = typer.Argument(..., metavar="TAG", help="The model to pull (name:latest: newest)."),
    force: bool = FORCE_PULL,
    strategy: str = STRATEGY_OPTION,
    threads: int = THREADS_OPTION,
    output: OutputFormat = OUTPUT_OPTION,
    quiet: bool = QUIET_OPTION,
) -> None:
    """Pull a model from the configured registry into the local store, verifying every file.

    An exact tag already stored is not fetched again (no network); --force downloads it again.
    """
    from tiffin._model import MODEL
    from tiffin.store import LOCAL, Remote, TransferOptions, copy

    def work(progress: Any) -> Any:
        options = TransferOptions(
            force=force, threads=threads, strategy=strategy, progress=progress
        )
        done = copy(MODEL, tag, Remote(), LOCAL, options)
        return done.item, done.summary

    transfer(f"pull {tag}", work, output, quiet)
