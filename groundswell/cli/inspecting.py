"""Read-only commands: `sources`, `imports`, `quarantine`, `stats`, `export`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from groundswell.cli.common import (
    JsonOpt,
    WaitOpt,
    WorkspaceOpt,
    guard,
    human,
    open_ws,
    out,
    print_json,
    print_table,
)


def print_sources(rows: list[dict[str, Any]]) -> None:
    """Sources as a table: dates as days, coverage spans as FROM..TO."""
    for r in rows:
        spans = [f"{s['start']:%Y-%m-%d}..{s['end']:%Y-%m-%d}" for s in r["coverage"]]
        more = f" (+{len(spans) - 2} more spans; --json lists all)" if len(spans) > 3 else ""
        r["covered"] = "; ".join(spans[:2] if more else spans) + more
        for k in ("first_time", "last_time"):
            r[k] = r[k] and r[k].strftime("%Y-%m-%d")
    print_table(
        rows,
        ["source_id", "platform", "network", "posts", "first_time", "last_time", "covered"],
        empty="no sources yet: run groundswell import",
    )


def register(app: typer.Typer) -> None:
    @app.command()
    @guard
    def sources(
        workspace: WorkspaceOpt = None, wait: WaitOpt = 0.0, as_json: JsonOpt = False
    ) -> None:
        """List sources (forums, channels, boards...) with their posts, time span and coverage."""
        with open_ws(workspace, wait, read_only=True) as ws:
            rows = ws.sources()
        if as_json:
            print_json(rows)
        else:
            print_sources(rows)

    @app.command()
    @guard
    def imports(
        limit: Annotated[int, typer.Option(help="How many of the latest runs.")] = 50,
        workspace: WorkspaceOpt = None,
        wait: WaitOpt = 0.0,
        as_json: JsonOpt = False,
    ) -> None:
        """List import runs, newest first: file, importer, status and counts."""
        with open_ws(workspace, wait, read_only=True) as ws:
            rows = ws.imports(limit=limit)
        if as_json:
            print_json(rows)
            return
        for r in rows:
            r["file"] = Path(r["path"]).name
        print_table(
            rows,
            [
                "import_id",
                "file",
                "importer",
                "status",
                "started_at",
                "records_read",
                "records_new",
                "records_updated",
                "records_unchanged",
                "records_quarantined",
                "error",
            ],
            empty="no imports yet",
        )

    @app.command()
    @guard
    def quarantine(
        import_id: Annotated[
            int | None, typer.Option("--import", help="Only this import run.")
        ] = None,
        limit: Annotated[int, typer.Option(help="How many records to show.")] = 50,
        workspace: WorkspaceOpt = None,
        wait: WaitOpt = 0.0,
        as_json: JsonOpt = False,
    ) -> None:
        """Show quarantined records: file, location, reason and a raw excerpt."""
        with open_ws(workspace, wait, read_only=True) as ws:
            rows = ws.quarantine(import_id=import_id, limit=limit)
        if as_json:
            print_json(rows)
            return
        for r in rows:
            r["file"] = Path(r["path"] or "").name
            r["excerpt"] = (r["excerpt"] or "")[:80]
        print_table(
            rows,
            ["import_id", "file", "location", "reason", "excerpt"],
            empty="quarantine is empty",
        )

    @app.command()
    @guard
    def stats(
        workspace: WorkspaceOpt = None, wait: WaitOpt = 0.0, as_json: JsonOpt = False
    ) -> None:
        """Headline figures: records, sources, time span, quarantine, per platform."""
        with open_ws(workspace, wait, read_only=True) as ws:
            s = ws.stats()
        if as_json:
            print_json(s)
            return
        print_summary(s)

    @app.command()
    @guard
    def export(
        what: Annotated[
            str,
            typer.Argument(help="A table name (posts, sources, ev_calls...) or a SELECT query."),
        ],
        dest: Annotated[Path, typer.Argument(help="Output file: .csv, .jsonl or .parquet.")],
        format: Annotated[
            str | None, typer.Option(help="csv, jsonl or parquet (default: from the file name).")
        ] = None,
        workspace: WorkspaceOpt = None,
        wait: WaitOpt = 0.0,
    ) -> None:
        """Export a table or a query to CSV, JSON lines or Parquet.

        Example: groundswell export "SELECT source_id, count(*) FROM posts GROUP BY 1" counts.csv
        """
        with open_ws(workspace, wait, read_only=True) as ws:
            n = ws.export(what, dest, format=format)
        out.print(f"Wrote {n:,} rows to {dest}")


def print_summary(s: dict[str, Any]) -> None:
    out.print(f"[bold]Workspace[/bold] {s['workspace']}")
    span = f"{human(s['first'])} .. {human(s['last'])} UTC" if s["posts"] else "no posts yet"
    out.print(f"  posts        {s['posts']:>12,}   {span}")
    out.print(f"  sources      {s['sources']:>12,}")
    out.print(f"  snapshots    {s['account_snapshots']:>12,}")
    for t in s["event_tables"]:
        out.print(f"  {t['table_name']:<12} {t['rows']:>12,}   event table")
    out.print(
        f"  quarantined  {s['quarantined']:>12,}   "
        f"{'(see groundswell quarantine)' if s['quarantined'] else ''}"
    )
    out.print(f"  imports      {s['imports']:>12,}")
    if s["platforms"]:
        print_table(s["platforms"], ["platform", "sources", "posts", "first", "last"])
