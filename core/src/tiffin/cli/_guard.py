"""Exit codes and one-line user errors for every command, without importing Typer.

Kept free of Typer so that ``tiffin serve``'s fast path (``_fast_serve``) shares it at no
start-up cost.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable

__all__ = ["run_guarded"]


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    sys.stderr.write(f"warning: {message}\n")


def _filename(exc: OSError) -> str:
    return f": {exc.filename}" if exc.filename else ""


def _click_exit_code(exc: BaseException) -> int | None:
    """The code of click's (so Typer's) ``Exit``, raised by ``raise fail(...)``."""
    click = sys.modules.get("click.exceptions")
    if click is not None and isinstance(exc, click.Exit):
        return exc.exit_code
    return None


def run_guarded(func: Callable[[], object]) -> int:
    """Call ``func`` as a command: the exit code, with user errors as one line on stderr."""
    from tiffin.exceptions import TiffinError

    warnings.showwarning = _show_warning
    try:
        func()
    except SystemExit as exc:
        if exc.code is not None and not isinstance(exc.code, int):
            sys.stderr.write(f"{exc.code}\n")  # sys.exit("message"), e.g. from a service module
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except TiffinError as exc:
        from tiffin.cli._hints import hint_for

        sys.stderr.write(f"error: {exc}{hint_for(exc)}\n")
        return 1
    except OSError as exc:
        # the machine said no (disk full, permission denied): not a tiffin bug, and nothing
        # half-written was committed, so one line is the whole story
        sys.stderr.write(f"error: {exc.strerror or exc}{_filename(exc)}\n")
        return 1
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130
    except Exception as exc:
        code = _click_exit_code(exc)  # raise fail(...): the message is already on stderr
        if code is None:
            raise
        return code
    return 0
