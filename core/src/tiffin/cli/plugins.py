"""``tiffin plugins``: which plugins are installed, what each provides, and which failed."""

from __future__ import annotations

import typer

from tiffin.cli._common import OUTPUT_OPTION, OutputFormat, echo_json, table_console

__all__ = ["add_to", "plugins"]


def plugins(output: OutputFormat = OUTPUT_OPTION) -> None:
    """List installed plugins and what each provides.

    One row per plugin (built-ins included): its name, distribution, version, the hooks it
    implements, what it registered (framework names, IO descriptor classes, URL schemes,
    commands...) and whether it loaded; then each plugin's error, if it has one.
    """
    from tiffin import _plugins
    from tiffin._converter import converter

    _plugins.collect_all()  # run every register hook, so each plugin's problems show
    records = _plugins.plugin_records()
    if output == OutputFormat.json:
        echo_json([converter.unstructure(r) for r in records])
        return

    from rich.markup import escape
    from rich.table import Table

    table = Table(box=None, header_style="bold", pad_edge=False)
    for column in ("name", "distribution", "version"):
        table.add_column(column, no_wrap=True)
    table.add_column("hooks", no_wrap=True)  # one per line
    table.add_column("provides", no_wrap=True)  # one per line
    table.add_column("status", no_wrap=True)
    styles = {"loaded": "green", "failed": "red", "disabled": "yellow", "refused": "red"}
    for r in records:
        status = f"[{styles[r.status]}]{r.status}[/]" if r.status in styles else r.status
        if r.disabled_by:
            status += f" ({escape(r.disabled_by)})"
        hooks = "\n".join(h.removeprefix("register_") for h in r.hooks)
        provides = "\n".join(escape(p) for p in r.registered)
        table.add_row(r.name, r.distribution, r.version, hooks, provides, status)
    console = table_console()
    console.print(table)
    # errors are long: one paragraph each under the table, wrapped to the terminal
    for r in records:
        if r.error:
            console.print(f"[bold]{escape(r.name)}[/] error: {escape(r.error)}", highlight=False)


def add_to(app: typer.Typer) -> None:
    app.command("plugins")(plugins)
