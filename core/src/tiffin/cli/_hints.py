"""The CLI's advice after an error: the command that shows or fixes what the error is about.

The library raises structured errors (:class:`~tiffin.exceptions.NotStored`,
:class:`~tiffin.exceptions.AlreadyStored`) whose messages name no command, since a Python user
never typed one; this module turns their fields into the CLI's words. Typer-free, so the serve
fast path shares it at no cost.
"""

from __future__ import annotations

__all__ = ["hint_for"]

#: The command group of each kind of store.
_COMMANDS = {"model": "tiffin models", "bento": "tiffin"}


def hint_for(exc: BaseException) -> str:
    """Text to append to ``exc``'s one-line message (``""`` when there is no advice)."""
    from tiffin.exceptions import AlreadyStored, NotStored

    if isinstance(exc, NotStored):
        group = _COMMANDS.get(exc.kind)
        if group is None:
            return ""
        hint = f"; see `{group} list`"
        other = _COMMANDS.get(exc.other_kind or "")
        if other is not None:
            hint += f" ({exc.name!r} is a {exc.other_kind}: see `{other} list`)"
        return hint
    if isinstance(exc, AlreadyStored):
        group = _COMMANDS.get(exc.kind)
        return f" (`{group} delete {exc.tag}`)" if group else ""
    return ""
