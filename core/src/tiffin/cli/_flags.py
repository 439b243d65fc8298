"""The global ``-q/--quiet`` and ``-v/--verbose`` flags; free of Typer (``tiffin serve``'s fast
path uses them before any command module is imported)."""

from __future__ import annotations

#: Global flags, accepted before or after the command name (``tiffin -q list``, ``tiffin list -q``).
QUIET_FLAGS = ("-q", "--quiet")
VERBOSE_FLAGS = ("-v", "--verbose")


def take_global_flags(argv: list[str]) -> list[str]:
    """Remove ``-q/--quiet`` and ``-v/--verbose`` from ``argv`` and apply them; the rest.

    Quiet turns progress bars off and tiffin's log to errors only (``tiffin serve`` logs
    warnings and errors); verbose turns the log to debug (and ``tiffin run`` shows a failing
    API's traceback). Neither touches a command's result, its ``--output json`` or its errors.
    Flags after ``--`` are left alone. The choice reaches code through ``TIFFIN_VERBOSITY``
    (``-1`` quiet, ``1`` verbose).
    """
    import os

    rest: list[str] = []
    verbosity = 0
    for i, arg in enumerate(argv):
        if arg == "--":
            rest += argv[i:]
            break
        if arg in QUIET_FLAGS:
            verbosity = -1
        elif arg in VERBOSE_FLAGS:
            verbosity = 1
        else:
            rest.append(arg)
    if verbosity:
        os.environ["TIFFIN_VERBOSITY"] = str(verbosity)
        if verbosity < 0:
            os.environ["TIFFIN_PROGRESS"] = "0"
        if rest[:1] == ["serve"] and not any(
            a == "--log-level" or a.startswith("--log-level=") for a in rest
        ):
            rest += ["--log-level", "debug" if verbosity > 0 else "warning"]
    return rest


def verbosity() -> int:
    """``-1`` after ``-q``, ``1`` after ``-v``, else ``0``."""
    import os

    try:
        return int(os.environ.get("TIFFIN_VERBOSITY", "0"))
    except ValueError:
        return 0


def log_level(default: str = "warning") -> str:
    """The log level for a command: ``default``, or what ``-q`` / ``-v`` asked for."""
    return {-1: "error", 1: "debug"}.get(verbosity(), default)
