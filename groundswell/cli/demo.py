"""`groundswell demo` and `groundswell generate`: the synthetic scenario, end to end."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from groundswell.analysis.indicators import IndicatorQuery
from groundswell.cli.common import err, guard, import_progress, index_progress, out, print_table
from groundswell.cli.inspecting import print_sources, print_summary
from groundswell.config import CONFIG_NAME
from groundswell.sources.base import ImportOptions
from groundswell.workspace import Workspace

ScaleOpt = Annotated[
    float, typer.Option(help="Corpus size: 1.0 is a few hundred thousand records; 0.05 is quick.")
]
SeedOpt = Annotated[int, typer.Option(help="Random seed: the same seed gives the same corpus.")]


def register(app: typer.Typer) -> None:
    @app.command()
    @guard
    def generate(
        directory: Annotated[Path, typer.Argument(help="Where to write the corpus.")],
        scale: ScaleOpt = 1.0,
        seed: SeedOpt = 7,
    ) -> None:
        """Write the synthetic demo corpus in real export formats, with its ground truth."""
        from groundswell.demo import generate as make

        manifest = make(directory, seed=seed, scale=scale, progress=lambda m: err.print(m))
        out.print(
            f"Wrote {len(manifest.files)} files "
            f"({sum(f.records for f in manifest.files):,} records) to {directory}; "
            f"ground truth in {manifest.ground_truth_path}"
        )

    @app.command()
    @guard
    def demo(
        directory: Annotated[
            Path, typer.Argument(help="Folder for the corpus and the workspace.")
        ] = Path("demo-workspace"),
        scale: ScaleOpt = 1.0,
        seed: SeedOpt = 7,
    ) -> None:
        """Generate the demo corpus, import it into a workspace and summarise it.

        Running it again reuses the workspace: re-imports add nothing.
        """
        from groundswell.demo import generate as make
        from groundswell.demo.metrics import DEMO_METRICS
        from groundswell.demo.reports import DEMO_REPORT_METRICS, DEMO_REPORTS
        from groundswell.demo.text import DEMO_LEXICONS

        started = time.monotonic()
        corpus, wsdir = directory / "corpus", directory / "workspace"
        err.print(f"Generating the demo corpus (scale {scale:g}, seed {seed}) in {corpus} ...")
        manifest = make(corpus, seed=seed, scale=scale, progress=lambda m: err.print(f"  {m}"))
        config = wsdir / CONFIG_NAME
        extra = DEMO_METRICS + DEMO_REPORT_METRICS + DEMO_REPORTS
        if config.exists():  # a workspace of an older demo: add what it lacks
            text = config.read_text(encoding="utf-8")
            with config.open("a", encoding="utf-8") as fh:
                fh.write("" if "[metrics." in text else DEMO_METRICS)
                fh.write("" if "[reports." in text else DEMO_REPORT_METRICS + DEMO_REPORTS)
        ws = (
            Workspace.open(wsdir)
            if config.exists()
            else Workspace.init(wsdir, name="demo", lexicons=DEMO_LEXICONS, extra_config=extra)
        )
        with ws:
            totals = {"read": 0, "new": 0, "quarantined": 0}
            for f in manifest.files:
                with import_progress(f"{f.format}: {f.path.name}") as progress:
                    if f.format == "table":
                        assert f.table is not None
                        results = [ws.import_table(f.path, **f.table)]
                    else:
                        results = ws.import_(
                            f.format,
                            [f.path],
                            options=ImportOptions(**f.options),
                            progress=progress,
                            index=False,  # indexed once, below
                        )
                for r in results:
                    totals["read"] += r.records_read
                    totals["new"] += r.records_new
                    totals["quarantined"] += r.records_quarantined
            with index_progress() as update:
                ws.sync_index(progress=update)
            err.print(
                f"Imported {len(manifest.files)} files: {totals['read']:,} records read, "
                f"{totals['new']:,} new, {totals['quarantined']:,} quarantined "
                f"in {time.monotonic() - started:.1f} s"
            )
            print_summary(ws.stats())
            print_sources(ws.sources())
            out.print("\nIndicators extracted at import, by kind:")
            print_table(ws.indicators(IndicatorQuery(by="kind")), ["kind", "occurrences", "posts"])
            out.print("Top domains of links to .jpg files (outside quotes):")
            top = IndicatorQuery(kind="url", extension="jpg", by="domain", top=5)
            print_table(ws.indicators(top), ["domain", "occurrences", "posts", "first_seen"])
            show_metrics(ws, directory / "charts")
            show_search(ws)
            briefings = write_briefings(ws, directory / "briefings")
            show_audit(ws)
        out.print(
            f"\nWorkspace: {wsdir}\nGround truth: {manifest.ground_truth_path}\n"
            f"Charts: {directory / 'charts'}\n"
            f"Briefings (open one in a browser): {', '.join(str(p) for p in briefings)}\n"
            f"Try: groundswell metrics -w {wsdir}\n"
            f"     groundswell trend covid_mentions -w {wsdir} --period week --anomalies\n"
            f"     groundswell indicators -w {wsdir} --kind lexicon --by subkind --per month\n"
            f"     groundswell search '疫情 OR коронавирус' -w {wsdir} --trend month\n"
            f"     groundswell aliases quietfox -w {wsdir}   # a member of a forum that closed?\n"
            f"     groundswell creators -w {wsdir} --sort growth\n"
            f"     groundswell coordination -w {wsdir} --since 2020-05-01 --until 2020-06-01\n"
            f"     groundswell report weekly -w {wsdir} --period 2020-W20 --format html"
        )


SCANNED = ("forum_posts", "jpg_hosts", "covid_weekly", "p1_assign_minutes")


def show_metrics(ws: Workspace, charts: Path) -> None:
    """The stories' figures from the named metrics: the file-sharing index as the team saw it
    on 14 June 2020 (June projected), and the anomalies of a few metrics, with charts."""
    from groundswell.cli.trends import anomaly_row, print_anomalies, series_rows
    from groundswell.report.charts import trend_chart, write_chart

    out.print("\nThe file-sharing index as of 14 June 2020 (groundswell trend file_sharing_index):")
    fsi = ws.trend(
        "file_sharing_index", since=datetime(2020, 1, 1), as_of=datetime(2020, 6, 14, 23, 59)
    )
    rows, columns = series_rows(fsi)
    print_table(rows, columns)
    for note in fsi.notes[1:]:
        out.print(f"[dim]{note}[/dim]")
    write_chart(trend_chart(fsi), charts / "file_sharing_index.png")
    found_rows = []
    for name in SCANNED:
        series, found = ws.anomalies(name, since=datetime(2019, 6, 1))
        found_rows += [anomaly_row(a, series) for a in found]
        write_chart(trend_chart(series, found), charts / f"{name}.png")
    out.print("\nAnomalies in the named metrics since June 2019 (groundswell anomalies):")
    print_anomalies(found_rows, with_metric=True)


def show_search(ws: Workspace) -> None:
    """A search as a user runs it, and the same words as a series beside the lexicon's."""
    from groundswell.cli.search import print_hits
    from groundswell.cli.trends import series_rows

    query = "疫情 OR коронавирус"
    out.print(f"\nSearch (groundswell search '{query}' --limit 3 --sort oldest):")
    print_hits(ws.search(query, limit=3, sort="oldest", facets=False))
    out.print(
        "Attention over time: the pandemic words as a search (quotes too) and as the lexicon "
        "(quotes excluded), per month:"
    )
    since, until = datetime(2019, 12, 1), datetime(2020, 7, 1)
    searched = ws.trend(
        ws.metric("pandemic_search").with_(period="month"), since=since, until=until
    )
    lexicon = ws.trend(ws.metric("covid_weekly").with_(period="month"), since=since, until=until)
    rows, _ = series_rows(searched)
    for row, value in zip(rows, lexicon.values[0], strict=True):
        row["search"], row["lexicon"] = row.pop("value"), int(value)
    print_table(rows, ["period", "search", "lexicon"])


def show_audit(ws: Workspace) -> None:
    """Story 4: the hype audit of the NOVA token, as `groundswell audit` prints it."""
    from groundswell.cli.audit import print_audit
    from groundswell.coordination.audit import AuditOptions
    from groundswell.demo.scenario import CONTRACT, NOVA_LISTING, NOVA_START

    listing = datetime(NOVA_LISTING.year, NOVA_LISTING.month, NOVA_LISTING.day)
    events = ((NOVA_START, "airdrop opens"), (listing, "listing"))
    out.print(
        f"\nIs the NOVA buzz organic? (groundswell audit {CONTRACT} "
        '--event "2020-05-26T13:00=airdrop opens" --event "2020-05-28=listing")'
    )
    print_audit(ws.audit(CONTRACT, AuditOptions(events=events)))


def write_briefings(ws: Workspace, folder: Path) -> list[Path]:
    """The demo's two briefings (groundswell/demo/reports.py) in every format; the HTML
    files' paths."""
    from groundswell.cli.report import steps
    from groundswell.report.render import write_report

    out.print("\nBriefings (groundswell report weekly; groundswell report monthly):")
    pages = []
    for name in ("weekly", "monthly"):
        started = time.monotonic()
        with steps() as step:
            doc = ws.report(name, progress=step)
            written = write_report(doc, folder, progress=step)
        html = [p for p in written if p.suffix == ".html"]
        pages += html
        out.print(
            f"  {doc.title}, {doc.period}: {len(doc.blocks)} sections, "
            f"{len(written)} files in {time.monotonic() - started:.1f} s"
        )
    return pages
