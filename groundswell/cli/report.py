"""`groundswell report` and `groundswell reports`: briefings from report specs."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import SpinnerColumn, TextColumn, TimeElapsedColumn

from groundswell.cli.actors import fresh_ws
from groundswell.cli.common import (
    WaitOpt,
    WorkspaceOpt,
    _delayed_bar,
    err,
    guard,
    open_ws,
    out,
    print_table,
)
from groundswell.errors import ReportError

EXAMPLES = """
Examples:

    groundswell reports                           # the reports named in groundswell.toml
    groundswell report weekly                     # last complete week: HTML, PDF, Markdown
    groundswell report weekly --period 2020-W23 --format html
    groundswell report monthly --period 2020-05 --out briefings/
    groundswell report briefing.toml --period 2020-03-01..2020-06-14
    groundswell report weekly --as-of 2020-06-15          # as the data stood that morning
    groundswell report weekly --no-redact                 # names shown: authorised use only

Periods: an ISO week (2020-W23), a month (2020-06), a range of days (2020-03-01..2020-06-14),
"last complete week", "last complete month", "this week" or "this month" (counted back from
--as-of, default now). Spec format and section kinds: docs/reports.md.
"""


def register(app: typer.Typer) -> None:
    @app.command(epilog=EXAMPLES)
    @guard
    def report(
        spec: Annotated[
            str, typer.Argument(help="A report named in groundswell.toml, or a spec file (.toml).")
        ],
        period: Annotated[
            str | None,
            typer.Option(help="The period to cover (default: the spec's). See the examples."),
        ] = None,
        as_of: Annotated[
            str | None,
            typer.Option(
                "--as-of",
                help="Take the data to end at this date or time (ISO; without an offset, in "
                "the report's timezone): "
                "later records are not counted and a period it falls in is projected.",
            ),
        ] = None,
        formats: Annotated[
            str, typer.Option("--format", help="Comma-separated: html, pdf, md.")
        ] = "html,pdf,md",
        out_dir: Annotated[
            Path, typer.Option("--out", help="Folder to write into (created if missing).")
        ] = Path("reports"),
        no_redact: Annotated[
            bool,
            typer.Option(
                "--no-redact",
                help="Show user names, handles and emails in excerpts (authorised use only).",
            ),
        ] = False,
        workspace: WorkspaceOpt = None,
        wait: WaitOpt = 0.0,
    ) -> None:
        """Write a briefing: charts, tables, lists, anomalies and excerpts from a report spec,
        as self-contained HTML, PDF and Markdown, with a CSV beside every chart and table.

        Names, handles and emails in excerpts are redacted unless --no-redact."""
        from groundswell.report.render import FORMATS, write_report

        wanted = [f.strip().lower() for f in formats.split(",") if f.strip()]
        unknown = [f for f in wanted if f not in FORMATS]
        if unknown or not wanted:
            raise ReportError(
                f"unknown format {', '.join(unknown) or '(none)'}",
                hint=f"choose from {', '.join(FORMATS)}",
            )
        when = None
        if as_of is not None:
            try:
                when = datetime.fromisoformat(as_of)
            except ValueError:
                raise ReportError(f"--as-of: not an ISO date or time: {as_of!r}") from None
        started = time.monotonic()
        # (actor profiles are brought up to date first when an import left them behind)
        with fresh_ws(workspace, wait) as ws, steps() as step:
            doc = ws.report(
                spec,
                period=period,
                as_of=when,
                redact=False if no_redact else None,
                progress=step,
            )
            written = write_report(doc, out_dir, wanted, progress=step)
        err.print(f"{doc.title}, {doc.period}: {len(doc.blocks)} sections")
        documents = [p for p in written if p.suffix in (".html", ".pdf", ".md")]
        for p in documents:
            out.print(f"  {p}")
        data = [p for p in written if p.suffix == ".csv"]
        charts = [p for p in written if p.suffix == ".png"]
        if data:
            out.print(f"  {len(data)} CSV files in {data[0].parent}")
        if charts:
            out.print(f"  {len(charts)} charts for the Markdown in {charts[0].parent}")
        if not doc.redacted:
            err.print("[bold yellow]Names, handles and emails are NOT redacted.[/bold yellow]")
        err.print(f"Written in {time.monotonic() - started:.1f} s")

    @app.command(epilog=EXAMPLES)
    @guard
    def reports(workspace: WorkspaceOpt = None, wait: WaitOpt = 0.0) -> None:
        """List the reports named in the workspace config ([reports.NAME])."""
        with open_ws(workspace, wait, read_only=True) as ws:
            rows = [
                {
                    "name": name,
                    "title": s.title,
                    "period": s.period,
                    "sections": len(s.sections),
                }
                for name, s in sorted(ws.reports().items())
            ]
        print_table(
            rows,
            ["name", "title", "period", "sections"],
            empty="no reports in groundswell.toml yet: see docs/reports.md",
        )


@contextmanager
def steps() -> Iterator[Callable[[str], None]]:
    """A spinner naming the step at hand (shown for work longer than a second)."""
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with _delayed_bar(*columns, label="building the report") as bar:
        yield lambda message: bar(description=message)
