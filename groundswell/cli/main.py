"""The `groundswell` command: a thin layer over the Python API (groundswell.Workspace)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from groundswell import __version__
from groundswell.cli import (
    actors,
    aliases,
    audit,
    coordination,
    creators,
    demo,
    enriching,
    importing,
    inspecting,
    report,
    search,
    trends,
)
from groundswell.cli.common import JsonOpt, guard, out, print_json, print_table
from groundswell.sources.base import format_names, get_importer
from groundswell.workspace import Workspace

app = typer.Typer(
    name="groundswell",
    help="Trend intelligence from online communities and public event logs.\n\n"
    "Start with `groundswell init DIR`, then `groundswell import FORMAT FILE...` and "
    "`groundswell stats`. `groundswell demo` builds a complete example workspace.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        out.print(f"groundswell {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    pass


@app.command()
@guard
def init(
    directory: Annotated[Path, typer.Argument(help="Directory to create (or an empty one).")],
    name: Annotated[
        str | None, typer.Option(help="Workspace name (default: the directory's).")
    ] = None,
) -> None:
    """Create a workspace: a config file (groundswell.toml), a store and room for the index."""
    with Workspace.init(directory, name=name) as ws:
        out.print(f"Created workspace [bold]{ws.config.name}[/bold] in {ws.path}")
        out.print(
            f"Next: groundswell import FORMAT FILE... -w {directory}   (see `groundswell formats`)"
        )


@app.command()
@guard
def formats(as_json: JsonOpt = False) -> None:
    """List the importers (formats) that `groundswell import` knows."""
    rows = []
    for name in format_names():
        cls = get_importer(name)
        rows.append(
            {
                "format": name,
                "version": cls.version,
                "target": cls.target,
                "description": cls.description,
            }
        )
    if as_json:
        print_json(rows)
    else:
        print_table(rows, ["format", "target", "description"])


importing.register(app)
search.register(app)
trends.register(app)
inspecting.register(app)
enriching.register(app)
report.register(app)
actors.register(app)
aliases.register(app)
creators.register(app)
coordination.register(app)
audit.register(app)
demo.register(app)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code (user errors are one-line messages; see guard)."""
    try:
        app(args=argv, prog_name="groundswell")
    except SystemExit as e:
        return e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    return 0


def run() -> None:
    sys.exit(main())
