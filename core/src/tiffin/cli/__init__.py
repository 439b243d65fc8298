"""The ``tiffin`` command line: a Typer app assembled from one module per command group.

Command modules import only typer and the standard library at module level; everything heavy
is imported inside the command functions, so ``tiffin --help`` stays fast.
"""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import typer

__all__ = ["build_app", "main"]

#: Built-in command modules in help order: each has ``add_to(app)``, or a Typer ``app`` added
#: under its name. Any other public module of this package is a command module too (found by
#: :func:`_command_modules`), so a new command group is one new file.
_COMMAND_MODULES = ("models", "serving", "bentos", "registry", "batch")
#: Added last, by hand, after the built-in groups.
_NOT_COMMAND_GROUPS = {"plugins"}


def _command_modules() -> list[str]:
    """The command modules: the known ones in order, then any other public module, sorted."""
    import pkgutil

    found = sorted(
        m.name
        for m in pkgutil.iter_modules(__path__)
        if not m.name.startswith("_") and m.name not in _NOT_COMMAND_GROUPS
    )
    return [*_COMMAND_MODULES, *(m for m in found if m not in _COMMAND_MODULES)]


def _version_callback(value: bool) -> None:
    import typer

    if value:
        from tiffin._version import __version__

        typer.echo(f"tiffin {__version__}")
        raise typer.Exit()


def build_app() -> typer.Typer:
    """The root app with built-in commands, then every plugin's commands."""
    import typer

    app = typer.Typer(
        name="tiffin",
        help="Take trained models to production: save, serve, build, push.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,  # plain help: rich costs ~0.1 s at every start-up
    )

    @app.callback()
    def _root(
        version: bool = typer.Option(
            False,
            "--version",
            callback=_version_callback,
            is_eager=True,
            help="Show the version and exit.",
        ),
        quiet: bool = typer.Option(
            False,
            "--quiet",
            "-q",
            help="Less output: no progress bars, errors only in logs (also after the command).",
        ),
        verbose: bool = typer.Option(
            False,
            "--verbose",
            "-v",
            help="More output: debug logs, tracebacks of failing APIs (also after the command).",
        ),
    ) -> None:
        """Take trained models to production: save, serve, build, push."""

    for name in _command_modules():
        module = importlib.import_module(f"tiffin.cli.{name}")
        if hasattr(module, "add_to"):
            module.add_to(app)
        else:
            app.add_typer(module.app, name=name)

    from tiffin.cli import plugins

    plugins.add_to(app)
    from tiffin import _plugins

    _plugins.add_commands(app)
    return app


def main(argv: list[str] | None = None) -> None:
    """Console entry point: one readable line and exit code 1 on a user error."""
    args = sys.argv[1:] if argv is None else argv
    from tiffin.cli._flags import take_global_flags  # -q/-v, before or after the command

    args = take_global_flags(args)
    if args[:1] == ["serve"]:  # cold start matters here: skip building the app when we can
        from tiffin.cli._fast_serve import fast_serve

        code = fast_serve(args[1:])
        if code is not None:
            sys.exit(code)
    from tiffin.cli._common import run_cli

    sys.exit(run_cli(build_app, args))
