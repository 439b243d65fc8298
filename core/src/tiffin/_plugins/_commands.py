"""Plugins' CLI commands: added to the root app or to a group core owns, never replacing one."""

from __future__ import annotations

from typing import Any

from tiffin._plugins._manager import _get

__all__ = ["add_commands"]


def _groups(app: Any) -> dict[str, Any]:
    """The Typer instances of ``app``'s command groups, by name."""
    return {
        _info_name(info): info.typer_instance
        for info in app.registered_groups
        if info.typer_instance is not None
    }


def add_commands(app: Any) -> None:
    """Let every plugin add its CLI commands to ``app`` (a Typer app) or to its groups.

    One plugin's failure is a warning and whatever it added is taken back; a command name
    already taken (in the root app or in the group) is a warning and the plugin's command is
    dropped, so no plugin can replace a built-in command.
    """
    manager = _get()
    for impl in manager.pm.hook.register_commands.get_hookimpls():
        plugin = impl.plugin_name
        # every Typer the plugin may add to: the root app and its groups, with what each held
        targets = [("", app), *((f"{name} ", sub) for name, sub in _groups(app).items())]
        before = [
            (
                prefix,
                target,
                len(target.registered_commands),
                len(target.registered_groups),
                _command_names(target),
            )
            for prefix, target in targets
        ]
        try:
            impl.function(app)
        except Exception as exc:
            manager._problem(
                plugin,
                f"tiffin plugin {plugin!r} failed to add its commands: {type(exc).__name__}: {exc}",
                failed=True,
            )
            for _, target, n_commands, n_groups, _ in before:
                del target.registered_commands[n_commands:]
                del target.registered_groups[n_groups:]
            continue
        for prefix, target, n_commands, n_groups, taken in before:
            for registry, start in (
                (target.registered_commands, n_commands),
                (target.registered_groups, n_groups),
            ):
                added = registry[start:]
                del registry[start:]
                for info in added:
                    name = _info_name(info)
                    if name in taken:
                        manager._problem(
                            plugin,
                            f"tiffin plugin {plugin!r} adds the command '{prefix}{name}', which "
                            f"is already taken; the plugin's command is not added",
                            refused=True,
                        )
                        continue
                    taken.add(name)
                    registry[:] = [i for i in registry if not _is_placeholder(i, name)]
                    registry.append(info)
                    manager.note_registered(plugin, f"command:{prefix}{name}")


def _info_name(info: Any) -> str:
    """The name a Typer command or group registration will have on the command line."""
    if info.name:
        return str(info.name)
    callback = getattr(info, "callback", None)
    if callback is None and getattr(info, "typer_instance", None) is not None:
        callback = info.typer_instance.registered_callback
        callback = getattr(callback, "callback", None)
        if getattr(info.typer_instance.info, "name", None):
            return str(info.typer_instance.info.name)
    return callback.__name__.lower().replace("_", "-") if callback is not None else "?"


def _is_placeholder(info: Any, name: str | None = None) -> bool:
    """A core command that only says which package provides it (``tiffin registry serve``
    without tiffin-registry): the plugin's command of that name replaces it."""
    callback = getattr(info, "callback", None)
    return bool(getattr(callback, "tiffin_placeholder", False)) and (
        name is None or _info_name(info) == name
    )


def _command_names(app: Any) -> set[str]:
    return {
        _info_name(i)
        for i in (*app.registered_commands, *app.registered_groups)
        if not _is_placeholder(i)
    }
