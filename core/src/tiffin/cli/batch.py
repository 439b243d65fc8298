"""``tiffin batch``: score a dataset through an API, offline, on the local engine or a plugin's."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from tiffin.cli._common import fail

__all__ = ["add_to"]


def batch(
    target: str = typer.Argument(
        ...,
        metavar="TARGET",
        help="What tiffin serve takes: service.py:svc, module:svc, a bento tag or a bento folder.",
    ),
    api: str = typer.Argument(..., metavar="API", help="The API's name."),
    input: str = typer.Option(
        ..., "--input", "-i", help="A file, a folder or a glob, at any fsspec URL."
    ),
    output: str = typer.Option(
        ...,
        "--output",
        "-o",
        help="A .parquet, .csv or .jsonl file, or a folder (no suffix) of Parquet parts.",
    ),
    format: str | None = typer.Option(
        None, "--format", help="The input's format when its names do not tell: parquet, csv, jsonl."
    ),
    batch_size: int = typer.Option(
        4096, "--batch-size", min=1, help="Rows per API call (per row for a JSON API)."
    ),
    columns: str | None = typer.Option(
        None, "--columns", help="Input columns the API receives, a,b,c (default: all)."
    ),
    keep_columns: str | None = typer.Option(
        None, "--keep-columns", help="Input columns copied beside the predictions, e.g. id."
    ),
    workers: int = typer.Option(
        1, "--workers", min=1, help="API calls in flight at once (Ray: actors)."
    ),
    on_error: str = typer.Option(
        "fail",
        "--on-error",
        help="A failing row: fail (stop), skip (leave it out) or null (null prediction and an error column).",
    ),
    max_failed_fraction: float = typer.Option(
        0.5,
        "--max-failed-fraction",
        help="With --on-error skip or null: the job fails (exit 1, nothing written) when every "
        "row failed or more than this fraction of them did.",
    ),
    engine: str = typer.Option("local", "--engine", help="local, or ray (pip install tiffin-ray)."),
    address: str | None = typer.Option(
        None, "--address", help="The cluster to join (Ray; default $RAY_ADDRESS, else a local one)."
    ),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing output."),
    working_dir: Path | None = typer.Option(
        None, "--working-dir", help="Where to find the service module (default: cwd)."
    ),
) -> None:
    """Score a dataset (Parquet, CSV, JSON Lines) through an API's runners, in input order."""
    import contextlib
    import logging

    from tiffin._batch import BatchJob, run
    from tiffin._server._launch import configure_logging

    if working_dir is not None and not working_dir.is_dir():
        raise fail(f"--working-dir {working_dir} is not a directory")
    configure_logging("warning")
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
    job = BatchJob(
        target,
        api,
        input=input,
        output=output,
        format=format,
        batch_size=batch_size,
        columns=columns,
        keep_columns=keep_columns,
        workers=workers,
        on_error=on_error,
        engine=engine,
        address=address,
        working_dir=str(working_dir) if working_dir else None,
        overwrite=overwrite,
        max_failed_fraction=max_failed_fraction,
    )
    with contextlib.redirect_stdout(sys.stderr):  # user code's prints never mix with the summary
        result = run(job)
    sys.stdout.write(result.summary() + "\n")


def add_to(app: typer.Typer) -> None:
    app.command("batch")(batch)
