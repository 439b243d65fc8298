"""``tiffin registry``: core's command group for registries, and ``tiffin registry login``.

Core owns the group and the client side (``login``); the server's commands (``serve``, ``gc``,
``token``) are added to this group by tiffin-registry through ``register_commands`` and
:func:`tiffin.hookspecs.command_group`: core never imports the registry plugin.
"""

from __future__ import annotations

import typer

from tiffin.cli._common import fail

__all__ = ["app"]

app = typer.Typer(
    help="Log in to a registry; pip install tiffin-registry adds serve, gc and token to run one.",
    no_args_is_help=True,
)


def _placeholder(name: str) -> None:
    """``tiffin registry NAME`` before tiffin-registry is installed: one line saying so.

    Marked ``tiffin_placeholder``: a plugin's command of the same name replaces it.
    """

    def needs_server(ctx: typer.Context) -> None:
        raise fail("the registry server is not installed: pip install tiffin-registry")

    needs_server.tiffin_placeholder = True  # type: ignore[attr-defined]
    app.command(
        name,
        hidden=True,
        add_help_option=False,
        context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    )(needs_server)


for _name in ("serve", "gc", "token"):
    _placeholder(_name)


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
