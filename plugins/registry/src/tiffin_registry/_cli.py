"""``tiffin registry serve|gc|token``: added to core's ``registry`` group by ``register_commands``.

Core owns the group (and ``tiffin registry login``, the client side); this package adds the
server's commands to it through the documented hook, so core never imports tiffin-registry.
This module imports typer and the standard library only: ``tiffin --help`` stays fast.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import typer

from tiffin.exceptions import InvalidArgument

__all__ = ["add_commands"]


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
            raise InvalidArgument(f"--signing-key-file {signing_key_file}: no such file")
        # the strategies that sign URLs read it from the environment, in this process
        os.environ["TIFFIN_REGISTRY_SIGNING_KEY_FILE"] = str(signing_key_file.resolve())
    from tiffin_registry._serve import serve as run

    run(storage, db=db, host=host, port=port, tokens=tokens, ui=not no_ui, log_level=log_level)


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
    from tiffin_registry._gc import collect_garbage, parse_duration
    from tiffin_registry._serve import open_registry

    registry = open_registry(storage, db)
    report = collect_garbage(registry, grace_s=parse_duration(grace), dry_run=dry_run)
    if output == "json":
        import json

        typer.echo(json.dumps(report, indent=2, default=str))
        return
    verb = "would delete" if dry_run else "deleted"
    typer.echo(
        f"{verb} {report['blobs_deleted']} blobs ({report['bytes_freed']} bytes) and "
        f"{report['uploads_deleted']} abandoned uploads; kept {report['blobs_kept']} blobs"
    )


def token(
    tokens: Path = typer.Option(
        ..., "--tokens", help="The tokens file serve reads (created, readable by you only)."
    ),
    scope: str = typer.Option("read", "--scope", help="read (pull) or write (push, delete)."),
) -> None:
    """Make a new random token, add it to the tokens file, and print it (once)."""
    if scope not in ("read", "write"):
        raise InvalidArgument(f"--scope {scope}: use read or write")
    if tokens.is_dir():
        raise InvalidArgument(f"--tokens {tokens} is a directory; name a file")
    value = secrets.token_urlsafe(32)
    fd = os.open(tokens, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a") as f:
        f.write(f"{value} {scope}\n")
    typer.echo(value)
    typer.echo(f"added a {scope} token to {tokens}; restart the registry to use it", err=True)


def add_commands(group: typer.Typer) -> None:
    """Add ``serve``, ``gc`` and ``token`` to core's ``tiffin registry`` group."""
    group.command("serve")(serve)
    group.command("gc")(gc)
    group.command("token")(token)
