"""``tiffin oci login|logout``: credentials for an OCI registry, in Docker's ``config.json``."""

from __future__ import annotations

import sys

import typer

from tiffin.exceptions import TiffinError
from tiffin_oci._credentials import docker_config_path
from tiffin_oci._credentials import login as store_login
from tiffin_oci._credentials import logout as store_logout
from tiffin_oci._url import parse_host

app = typer.Typer(
    help="OCI registries as tiffin remotes (oci://HOST[:PORT]/NAMESPACE).", no_args_is_help=True
)


def _fail(exc: Exception) -> None:
    typer.echo(f"error: {exc}", err=True)
    raise typer.Exit(1)


@app.command("login")
def login(
    url: str = typer.Argument(..., help="oci://HOST[:PORT][/NAMESPACE] or HOST[:PORT]"),
    username: str = typer.Option(..., "--username", "-u", help="registry user name"),
    password: str | None = typer.Option(
        None, "--password", "-p", help="password or access token (prefer --password-stdin)"
    ),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="read the password from stdin"
    ),
) -> None:
    """Store a username and password for an OCI registry in Docker's config.json
    ($DOCKER_CONFIG/config.json, default ~/.docker/config.json), where docker and oras find
    them too."""
    try:
        host = parse_host(url)
        if password_stdin:
            password = sys.stdin.read().rstrip("\r\n")
        if password is None and sys.stdin.isatty():
            password = typer.prompt("Password", hide_input=True)
        if password is None:
            raise TiffinError("give the password with --password-stdin (or --password)")
        path = store_login(host, username, password)
    except TiffinError as exc:
        _fail(exc)
    typer.echo(f"credentials for {host} stored in {path}")


@app.command("logout")
def logout(
    url: str = typer.Argument(..., help="oci://HOST[:PORT][/NAMESPACE] or HOST[:PORT]"),
) -> None:
    """Remove the stored credentials of an OCI registry from Docker's config.json."""
    try:
        host = parse_host(url)
        removed = store_logout(host)
    except TiffinError as exc:
        _fail(exc)
    path = docker_config_path()
    typer.echo(
        f"credentials for {host} removed from {path}"
        if removed
        else f"{path} held no credentials for {host}"
    )
