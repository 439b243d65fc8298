"""Bento commands: ``tiffin build|list|get|delete|export|import|push|pull|containerize``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from tiffin.cli._common import OUTPUT_OPTION, OutputFormat, echo_json, report, table_console
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

__all__ = ["add_to"]


def _bento_row(bento: Any) -> dict[str, Any]:
    info = bento.info
    return {
        "tag": str(bento.tag),
        "service": info.service,
        "size": sum(f.size for f in info.files),
        "models": [m.tag for m in info.models],
        "apis": [api.get("name") for api in info.apis],
        "labels": info.labels,
        "created_at": info.created_at.isoformat(),
        "path": str(bento.path),
    }


def build(
    path: Path = typer.Argument(
        Path("."), metavar="PATH", help="The project folder (build context)."
    ),
    bentofile: str = typer.Option(
        "bentofile.yaml", "--bentofile", "-f", help="Build config, relative to PATH."
    ),
    service: str | None = typer.Option(
        None, "--service", "-s", help="Service target, e.g. service.py:svc."
    ),
    label: list[str] | None = typer.Option(
        None, "--label", help="key=value, repeatable; added to the config's."
    ),
    output: OutputFormat = OUTPUT_OPTION,
) -> None:
    """Build a bento from PATH (default: here) and store it.

    The config comes from bentofile.yaml, else [tool.tiffin] in pyproject.toml.
    """
    from tiffin._bento import build as build_bento
    from tiffin._bento._config import load_config

    overrides: dict[str, Any] = {}
    if label:
        base = load_config(path.resolve(), bentofile).labels if path.is_dir() else {}
        overrides["labels"] = {**base, **parse_labels(label)}
    bento = build_bento(service, build_ctx=path, bentofile=bentofile, **overrides)
    if output == OutputFormat.json:
        echo_json(_bento_row(bento))
        return
    typer.echo(f"Built bento {bento.tag} at {bento.path}")
    typer.echo(f"Serve it with: tiffin serve {bento.tag}")
    typer.echo(f"Make an image with: tiffin containerize {bento.tag}")


def list_bentos(
    name: str | None = typer.Argument(None, metavar="NAME", help="Only this bento's versions."),
    label: list[str] = LABEL_OPTION,
    output: OutputFormat = OUTPUT_OPTION,
    remote: bool = REMOTE_OPTION,
) -> None:
    """List stored bentos, newest first (--remote: the registry's)."""
    import tiffin

    if remote:
        rows = remote_rows("bento", name, parse_labels(label))
        if output == OutputFormat.json:
            echo_json(rows)
        else:
            print_remote_table(rows, "service", "bento")
        return

    bentos = tiffin.list(name, parse_labels(label))
    if output == OutputFormat.json:
        echo_json([_bento_row(b) for b in bentos])
        return
    if not bentos:
        from tiffin._bento._carried import BENTO

        where = f"named {name!r} " if name else ""
        typer.echo(f"No bentos {where}in {BENTO.store.root}; build one with `tiffin build`.")
        return
    from rich.table import Table

    table = Table(box=None, header_style="bold")
    for column in ("tag", "service", "apis", "size", "models", "created"):
        table.add_column(column, no_wrap=column not in ("models", "apis"), overflow="fold")
    for b in bentos:
        row = _bento_row(b)
        table.add_row(
            row["tag"],
            row["service"],
            ", ".join(row["apis"]),
            human_size(row["size"]),
            ", ".join(row["models"]),
            b.info.created_at.strftime("%Y-%m-%d %H:%M:%S"),
        )
    table_console().print(table)


def get(
    tag: str = typer.Argument(..., metavar="TAG", help="NAME[:VERSION]"),
    output: str = typer.Option(
        "yaml", "--output", "-o", help="yaml (the manifest as stored) or json."
    ),
    remote: bool = REMOTE_OPTION,
) -> None:
    """Show a bento's manifest (bento.yaml); --remote: the registry's copy."""
    import tiffin
    from tiffin._bento._info import MANIFEST_NAME
    from tiffin.exceptions import InvalidArgument

    if output not in ("yaml", "json"):
        raise InvalidArgument(f"--output must be yaml or json, got {output!r}")
    if remote:
        manifest = remote_version("bento", tag).manifest
        if output == "json":
            from tiffin._converter import load_yaml

            echo_json(load_yaml(manifest))
        else:
            sys.stdout.write(manifest.decode("utf-8"))
        return

    bento = tiffin.get(tag)
    if output == "json":
        echo_json({**bento.info.to_dict(), "path": str(bento.path)})
    elif output == "yaml":
        sys.stdout.write((bento.path / MANIFEST_NAME).read_text(encoding="utf-8"))
    else:
        raise InvalidArgument(f"--output must be yaml or json, got {output!r}")


def delete(
    tag: str = typer.Argument(..., metavar="TAG", help="NAME[:VERSION]"),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
) -> None:
    """Delete a bento version (its models stay in the model store)."""
    import tiffin
    from tiffin._bento._carried import BENTO

    exact, _ = BENTO.store.resolve(tag)  # not get(): a damaged manifest must be deletable
    if not yes and not typer.confirm(f"Delete bento {exact}?", err=True):
        typer.echo("Nothing deleted.", err=True)
        raise typer.Exit(code=1)
    tiffin.delete(exact)
    typer.echo(f"Deleted bento {exact}")


def export(
    tag: str = typer.Argument(..., metavar="TAG", help="NAME[:VERSION]"),
    url: str = typer.Argument(
        ..., metavar="URL", help="A file path or any fsspec URL (s3://bucket/x.bento)."
    ),
    compression: str | None = typer.Option(
        None, "--compression", help="gz or xz (default: none, fastest)."
    ),
) -> None:
    """Export a bento, with its models, as one archive."""
    import tiffin
    from tiffin.store import progress_bar

    with progress_bar(f"export {tag}") as progress:
        written = tiffin.export_bento(tag, url, compression=compression, progress=progress)
    report(f"Exported bento {tiffin.get(tag).tag} to {written}", url)


def import_(
    url: str = typer.Argument(..., metavar="URL", help="A file path or any fsspec URL."),
) -> None:
    """Import a bento archive (verified file by file); its models join the model store."""
    from tiffin._bento._carried import BENTO
    from tiffin.store import LOCAL, Archive, TransferOptions, copy, progress_bar

    with progress_bar(f"import {url}") as progress:
        done = copy(BENTO, None, Archive(url), LOCAL, TransferOptions(progress=progress))
    bento = done.item
    if done.summary.unchanged:
        typer.echo(f"Bento {bento.tag} was already stored in {bento.path}: nothing imported")
    else:
        typer.echo(
            f"Imported bento {bento.tag} ({len(bento.info.models)} model(s)) into {bento.path}"
        )


def containerize(
    tag: str = typer.Argument(..., metavar="TAG", help="NAME[:VERSION]"),
    output_dir: Path | None = typer.Option(
        None,
        "--output-dir",
        "--output",
        help="Empty or new folder for the build context (default: a temporary folder).",
    ),
    image: str | None = typer.Option(
        None, "--image", "-t", help="Image name (default NAME:VERSION)."
    ),
    kubernetes: bool = typer.Option(
        False, "--kubernetes", help="Also write Kubernetes manifests into kubernetes/."
    ),
    no_build: bool = typer.Option(False, "--no-build", help="Only write the build context."),
    no_wheels: bool = typer.Option(
        False,
        "--no-wheels",
        help="Do not add wheels of locally installed packages (when tiffin comes from a package index).",
    ),
) -> None:
    """Write a bento's Docker build context and build the image when a builder is usable."""
    from tiffin._bento._containerize import containerize as run
    from tiffin._bento._info import DOCKERFILE

    result = run(
        tag,
        output=output_dir,
        image=image,
        kubernetes=kubernetes,
        build=not no_build,
        wheels=not no_wheels,
    )
    typer.echo(f"Build context: {result.context}")
    if result.wheels:
        typer.echo(f"Wheels included: {', '.join(result.wheels)}")
    for path in result.kubernetes:
        typer.echo(f"Kubernetes manifest: {path}")
    if result.built:
        typer.echo(f"Built image {result.image} with {Path(result.builder or '').name}")
        typer.echo(f"Run it with: docker run --rm -p 3000:3000 {result.image}")
        return
    command = f"docker build -t {result.image} -f {result.context / DOCKERFILE} {result.context}"
    if no_build:
        typer.echo(f"Not built. Build it with: {command}")
    else:
        typer.echo(f"Image not built: {result.reason}.", err=True)
        typer.echo(f"Build it where a container engine runs with: {command}")


_bare_noticed = False


def push(
    tag: str = typer.Argument(..., metavar="TAG", help="The bento to push (name:latest: newest)."),
    force: bool = FORCE_PUSH,
    without_models: bool = typer.Option(
        False,
        "--without-models",
        help="Push the bento without its models (the registry must have them).",
    ),
    bare: bool = typer.Option(
        False,
        "--bare",
        help="For now the same as --without-models (it warns): its meaning is changing to "
        "'the manifest only'.",
    ),
    strategy: str = STRATEGY_OPTION,
    threads: int = THREADS_OPTION,
    output: OutputFormat = OUTPUT_OPTION,
    quiet: bool = QUIET_OPTION,
) -> None:
    """Push a bento and its models to the configured registry (only files it lacks are sent)."""
    import tiffin

    if bare:
        # registries do not record manifest-only versions yet, so --bare keeps its old meaning
        # on the command line for now; tiffin.push(bare=True) already sends the manifest only
        global _bare_noticed
        if not _bare_noticed:
            _bare_noticed = True
            sys.stderr.write(
                "warning: --bare on a bento is changing meaning (to 'push the manifest only'); "
                "it still pushes the bento without its models: write --without-models\n"
            )
        without_models = True

    def work(progress: Any) -> Any:
        summary = tiffin.push(
            tag,
            force=force,
            with_models=not without_models,
            threads=threads,
            strategy=strategy,
            progress=progress,
        )
        return None, summary

    transfer(f"push {tag}", work, output, quiet)


def pull(
    tag: str = typer.Argument(..., metavar="TAG", help="The bento to pull (name:latest: newest)."),
    force: bool = FORCE_PULL,
    with_models: bool = typer.Option(
        False, "--with-models", help="Also put the bento's models into the local model store."
    ),
    to: Path = typer.Option(
        None, "--to", help="Write the bento's files into this new folder instead of the store."
    ),
    strategy: str = STRATEGY_OPTION,
    threads: int = THREADS_OPTION,
    output: OutputFormat = OUTPUT_OPTION,
    quiet: bool = QUIET_OPTION,
) -> None:
    """Pull a bento from the configured registry, verifying every file.

    An exact tag already stored is not fetched again (no network); --force downloads it again.
    """
    from tiffin._bento._carried import BENTO
    from tiffin.store import LOCAL, Folder, Remote, TransferOptions, copy

    def work(progress: Any) -> Any:
        options = TransferOptions(
            force=force,
            with_models=with_models,
            threads=threads,
            strategy=strategy,
            progress=progress,
        )
        done = copy(BENTO, tag, Remote(), LOCAL if to is None else Folder(to), options)
        return done.item, done.summary

    transfer(f"pull {tag}", work, output, quiet)


_COMMANDS = {
    "build": build,
    "list": list_bentos,
    "get": get,
    "delete": delete,
    "export": export,
    "import": import_,
    "push": push,
    "pull": pull,
    "containerize": containerize,
}


def add_to(app: typer.Typer) -> None:
    for name, command in _COMMANDS.items():
        app.command(name)(command)
    # BentoML users type `bentos list`: the same commands under that group too
    alias = typer.Typer(
        name="bentos",
        help="The bento commands again (tiffin list = tiffin bentos list, ...).",
        no_args_is_help=True,
        rich_markup_mode=None,
    )
    for name, command in _COMMANDS.items():
        alias.command(name)(command)
    app.add_typer(alias, name="bentos")
