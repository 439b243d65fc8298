"""``tiffin registry serve|login|gc``: run a registry (tiffin-registry) or log in to one."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from tiffin.cli._common import fail

__all__ = ["app"]

app = typer.Typer(
    help="Run a registry (needs tiffin-registry) or log in to one.", no_args_is_help=True
)

_SERVER_PACKAGE = "tiffin-registry"


def _server() -> object:
    try:
        import tiffin_registry._serve as server
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.split(".")[0] == "tiffin_registry":
            raise fail(
                f"the registry server is not installed: pip install {_SERVER_PACKAGE}"
            ) from None
        raise
    return server


@app.command("serve")
def serve(
    storage: str = typer.Option(
        ..., "--storage", help="Where blobs live: a folder, or a URL (s3://bucket/prefix)."
    ),
    db: str = typer.Option(
        None,
        "--db",
        help="SQLAlchemy URL of the database (default: a SQLite file inside a local --storage); "
        "postgresql+psycopg://USER:PASS@HOST/DB for teams and replicas.",
    ),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind."),
    port: int = typer.Option(5000, "--port", "-p", help="Port to bind."),
    tokens: Path = typer.Option(
        None,
        "--tokens",
        help="Tokens file: one 'TOKEN read|write' per line. Required off loopback.",
    ),
    no_ui: bool = typer.Option(False, "--no-ui", help="Serve the API only, without the web UI."),
    signing_key_file: Path = typer.Option(
        None,
        "--signing-key-file",
        help="Secret that signs presigned URLs on local storage (default: a key kept in the "
        "registry's database, shared by its replicas). Same as TIFFIN_REGISTRY_SIGNING_KEY_FILE.",
    ),
    log_level: str = typer.Option(
        "info", "--log-level", help="critical, error, warning, info, debug."
    ),
) -> None:
    """Run a registry: metadata in a database, file contents in --storage."""
    if signing_key_file is not None:
        if not signing_key_file.is_file():
            raise fail(f"--signing-key-file {signing_key_file}: no such file")
        # the strategies that sign URLs read it from the environment, in this process
        os.environ["TIFFIN_REGISTRY_SIGNING_KEY_FILE"] = str(signing_key_file.resolve())
    server = _server()
    server.serve(  # type: ignore[attr-defined]
        storage, db=db, host=host, port=port, tokens=tokens, ui=not no_ui, log_level=log_level
    )


@app.command("gc")
def gc(
    storage: str = typer.Option(..., "--storage", help="The registry's storage (as for serve)."),
    db: str = typer.Option(None, "--db", help="The registry's database URL (as for serve)."),
    grace: str = typer.Option(
        "24h", "--grace", help="Spare blobs and uploads younger than this (30m, 24h, 7d)."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Report what would go; delete nothing."),
    output: str = typer.Option("table", "--output", "-o", help="table or json."),
) -> None:
    """Delete blobs no version references and uploads abandoned longer than --grace."""
    server = _server()
    from tiffin_registry._gc import collect_garbage, parse_duration

    registry = server.open_registry(storage, db)  # type: ignore[attr-defined]
    report = collect_garbage(registry, grace_s=parse_duration(grace), dry_run=dry_run)
    if output == "json":
        from tiffin.cli._common import echo_json

        echo_json(report)
        return
    verb = "would delete" if dry_run else "deleted"
    typer.echo(
        f"{verb} {report['blobs_deleted']} blobs ({report['bytes_freed']} bytes) and "
        f"{report['uploads_deleted']} abandoned uploads; kept {report['blobs_kept']} blobs"
    )


@app.command("login")
def login(
    url: str = typer.Argument(
        ..., metavar="URL", help="The registry, e.g. https://models.example.com"
    ),
    token: str = typer.Option(None, "--token", help="A token the registry's operator gave you."),
    check: bool = typer.Option(True, "--check/--no-check", help="Check that the registry answers."),
) -> None:
    """Remember a registry and its token for push and pull (a file only you can read)."""
    from tiffin.store._registry_config import RegistryConfig, normalize_url
    from tiffin.store._registry_config import login as save

    url = normalize_url(url)
    if check:
        from tiffin.exceptions import RegistryUnreachable
        from tiffin.store._registry_client import RegistryClient

        try:
            with RegistryClient(RegistryConfig(url, token)) as client:
                client.json("GET", "/transfer")  # needs read scope: proves the token too
        except RegistryUnreachable as exc:  # its advice (`tiffin registry login`) is this command
            reason = str(exc).split("; check TIFFIN_REGISTRY_URL", 1)[0]
            raise RegistryUnreachable(
                f"{reason}; check the address and that the registry is running (nothing was "
                f"saved; --no-check saves it without asking)"
            ) from None
    path = save(url, token)
    typer.echo(f"logged in to {url} (saved in {path})")
