"""CLI commands: ``register_commands``, and adding commands to a group core owns."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tiffin.exceptions import PluginError
from tiffin.hookspecs._markers import hookspec

if TYPE_CHECKING:
    import typer

__all__ = ["command_group", "register_commands"]


def command_group(app: typer.Typer, name: str) -> typer.Typer:
    """The Typer group ``name`` that core (or an earlier plugin) added to ``app``.

    A plugin adds commands to a group it does not own with it, inside ``register_commands``::

        @tiffin.hookimpl
        def register_commands(app):
            registry = tiffin.hookspecs.command_group(app, "registry")
            registry.command("serve")(serve)

    A command name the group already has is refused with a warning, as on the root app.
    Raises :class:`tiffin.exceptions.PluginError` when there is no such group.
    """
    for info in app.registered_groups:
        instance = info.typer_instance
        group_name = info.name or (instance.info.name if instance is not None else None)
        if group_name == name and instance is not None:
            return instance
    raise PluginError(f"the tiffin CLI has no command group {name!r}")


@hookspec
def register_commands(app: typer.Typer) -> None:
    """Add commands or command groups to the ``tiffin`` CLI.

    :param app: the root Typer app; call ``app.command()(fn)`` or ``app.add_typer(sub, name=)``,
        or add to a group core owns with :func:`command_group` (``tiffin registry serve`` comes
        from tiffin-registry this way). Keep the entry-point module light: import heavy
        libraries inside the command functions, so ``tiffin --help`` stays fast.

    Called once when the CLI starts, after the built-in commands are added. A command name that
    is already taken (in the root app or in the group) is a warning and the plugin's command is
    not added.
    """
