"""`groundswell trend` and `groundswell metrics`: metrics as series, in the terminal or files."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from groundswell.analysis.anomalies import Anomaly, AnomalySettings
from groundswell.analysis.metrics import Metric, parse_filters
from groundswell.analysis.series import MISSING, PROJECTED, Series
from groundswell.analysis.transforms import parse as parse_transform
from groundswell.cli.common import (
    JsonOpt,
    WaitOpt,
    WorkspaceOpt,
    err,
    guard,
    open_ws,
    out,
    print_json,
    print_table,
)
from groundswell.errors import MetricError

WIDE_FACETS = 6  # up to this many facets print as columns; more print one row per point

EXAMPLES = """
Examples:

    groundswell trend file_sharing_index                  # a metric named in groundswell.toml
    groundswell trend --period week --by source           # posts per week per source
    groundswell trend --table indicators --period month \\
        --where "kind = url" --where "extension = jpg" --where "in_quote = false"
    groundswell trend --where "lexicon = covid" --by source --period day --since 2020-01-01
    groundswell trend --table calls --measure p90 --duration queued_at:assigned_at \\
        --where "priority = 1" --by precinct --period week --tz America/Chicago
    groundswell trend --where "section = Uploads" --share "tags contains Original" --period month
    groundswell trend p1_response --transform baseline:2019-01-01..2020-02-29
    groundswell trend covid_posts --out covid.csv          # also .json, .jsonl, .parquet
    groundswell trend forum_posts --anomalies --chart forum.png
"""


def _when(text: str | None, name: str) -> datetime | None:
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise MetricError(f"{name}: not an ISO date or time: {text!r}") from None


def build_metric(base: Metric | None, **flags: Any) -> Metric:
    """A metric from flags, or a named one with some of its options overridden."""
    m = base or Metric()
    changes: dict[str, Any] = {}
    for key in ("table", "measure", "column", "unit", "period", "timezone", "time", "top"):
        if flags.get(key) is not None:
            changes[key] = flags[key]
    if flags.get("duration"):
        a, sep, b = flags["duration"].partition(":")
        if not (sep and a and b):
            raise MetricError("--duration is FROM_COLUMN:TO_COLUMN, e.g. queued_at:assigned_at")
        changes["duration"] = (a, b)
    if flags.get("by"):
        changes["by"] = tuple(flags["by"])
    if flags.get("where"):
        changes["where"] = (*m.where, *parse_filters(flags["where"]))
    if flags.get("share"):
        changes["share"] = parse_filters(flags["share"], key="share")
    return m.with_(**changes) if changes else m.check()


def series_rows(
    series: Series, anomalies: Sequence[Anomaly] = ()
) -> tuple[list[dict[str, Any]], list[str]]:
    """Rows for the terminal: one per period with a column per facet (wide), or one per
    point (long) when there are many facets. Missing points read "not collected";
    projected ones "≈N (expected)"; points inside an anomaly end with "! KIND"."""
    marks: dict[tuple[tuple[str, ...], datetime], str] = {}
    for a in anomalies:
        for start in series.starts:
            if a.start <= start <= a.end:
                marks[(a.facet, start)] = a.kind.replace("_", " ")

    def cell(f: int, t: int) -> Any:
        mark = marks.get((series.facets[f], series.starts[t]))
        text = plain(f, t)
        return f"{text if text is not None else ''} ! {mark}" if mark else text

    def plain(f: int, t: int) -> Any:
        st = int(series.status[f, t])
        v = series.values[f, t]
        if st == MISSING:
            return "not collected"
        if np.isnan(v):
            return None
        if st == PROJECTED:  # a count so far is projected to a whole count
            so_far = series.partial[f, t] if series.partial is not None else np.nan
            whole = not np.isnan(so_far) and so_far == int(so_far) and series.unit != "share"
            return f"≈{_fmt(round(float(v)) if whole else float(v), series.unit)} (expected)"
        return _fmt(float(v), series.unit)

    fmt = _period_format(series.period)
    labels = [" / ".join(k) if k else "value" for k in series.facets]
    if len(series.facets) <= WIDE_FACETS:
        rows = []
        for t, start in enumerate(series.starts):
            r: dict[str, Any] = {"period": start.strftime(fmt)}
            for f, label in enumerate(labels):
                r[label] = cell(f, t)
            rows.append(r)
        return rows, ["period", *labels]
    rows = [
        {"period": start.strftime(fmt), "facet": labels[f], "value": cell(f, t)}
        for t, start in enumerate(series.starts)
        for f in range(len(series.facets))
    ]
    return rows, ["period", "facet", "value"]


def anomaly_row(a: Anomaly, series: Series) -> dict[str, Any]:
    """An anomaly as a row: where, what, when, how far from the expected value, and why."""
    fmt = {"week": "%G-W%V"}.get(series.period) or _period_format(series.period)
    first, last = a.start.strftime(fmt), a.end.strftime(fmt)
    return {
        "metric": series.name,
        "facet": " / ".join(a.facet) if a.facet else "",
        "kind": a.kind.replace("_", " "),
        "when": first if first == last else f"{first} .. {last}",
        "value": round(a.value, 2),
        "expected": round(a.baseline, 2),
        "severity": round(a.severity, 1),
        "explanation": a.explanation,
    }


def print_anomalies(rows: list[dict[str, Any]], *, with_metric: bool = False) -> None:
    columns = ["facet", "kind", "when", "value", "expected", "severity", "explanation"]
    print_table(
        rows,
        ["metric", *columns] if with_metric else columns,
        title="Anomalies",
        empty="no anomalies found",
    )


def _fmt(v: float, unit: str) -> str:
    if unit == "share":
        return f"{v * 100:.1f}%"
    if unit.startswith("%"):
        return f"{v:+.1f}%"
    return f"{v:,.0f}" if v == int(v) and abs(v) < 1e15 else f"{v:,.2f}"


def _period_format(period: str) -> str:
    return {
        "hour": "%Y-%m-%d %H:00",
        "week": "%G-W%V (%d %b)",
        "month": "%Y-%m",
        "quarter": "%Y-%m",
        "year": "%Y",
    }.get(period, "%Y-%m-%d")


def register(app: typer.Typer) -> None:
    @app.command(epilog=EXAMPLES)
    @guard
    def trend(
        metric: Annotated[
            str | None,
            typer.Argument(help="A metric named in groundswell.toml (see `groundswell metrics`)."),
        ] = None,
        table: Annotated[
            str | None,
            typer.Option(help="posts (default), indicators, account_snapshots or an event table."),
        ] = None,
        measure: Annotated[
            str | None,
            typer.Option(
                help="count (default), distinct, sum, mean, median, min, max, or p1..p99."
            ),
        ] = None,
        column: Annotated[str | None, typer.Option(help="The column measured.")] = None,
        duration: Annotated[
            str | None,
            typer.Option(help="Measure the time FROM:TO between two timestamp columns."),
        ] = None,
        unit: Annotated[
            str | None, typer.Option(help="Duration unit: seconds, minutes (default), hours, days.")
        ] = None,
        where: Annotated[
            list[str] | None,
            typer.Option(
                help="Filter FIELD OP VALUE (=, !=, <, <=, >, >=, in, not in, contains, "
                "startswith, is null, is not null); also lexicon = NAME and has = KIND. "
                "Repeat for AND."
            ),
        ] = None,
        share: Annotated[
            list[str] | None,
            typer.Option(help="Show the share of rows that also match this filter (repeatable)."),
        ] = None,
        period: Annotated[
            str | None, typer.Option(help="hour, day (default), week, month, quarter, year.")
        ] = None,
        by: Annotated[
            list[str] | None, typer.Option(help="Facet field (up to two), e.g. source, section.")
        ] = None,
        top: Annotated[
            int | None, typer.Option(help="Keep the top N of the first facet; the rest is 'other'.")
        ] = None,
        tz: Annotated[
            str | None,
            typer.Option("--tz", help="Timezone of the calendar periods (default: workspace's)."),
        ] = None,
        since: Annotated[str | None, typer.Option(help="From this date or time.")] = None,
        until: Annotated[
            str | None, typer.Option(help="Up to this date or time (excluded).")
        ] = None,
        as_of: Annotated[
            str | None,
            typer.Option(
                "--as-of", help="When collection stopped (default: the latest coverage end)."
            ),
        ] = None,
        no_project: Annotated[
            bool, typer.Option("--no-project", help="Do not project an incomplete last period.")
        ] = False,
        transform: Annotated[
            list[str] | None,
            typer.Option(
                help="rolling:N, cumsum, change, yoy, baseline:FROM..TO, index[:DATE]; "
                "repeatable, applied in order."
            ),
        ] = None,
        out_file: Annotated[
            Path | None,
            typer.Option("--out", help="Also write the series to .csv, .json, .jsonl or .parquet."),
        ] = None,
        anomalies: Annotated[
            bool,
            typer.Option(
                "--anomalies", help="Find spikes, dips, outages and level shifts, and explain them."
            ),
        ] = False,
        chart: Annotated[
            Path | None,
            typer.Option(help="Also draw the series to .svg, .png, .html or .json (Vega-Lite)."),
        ] = None,
        workspace: WorkspaceOpt = None,
        wait: WaitOpt = 0.0,
        as_json: JsonOpt = False,
    ) -> None:
        """A metric per period (and facet): a named one, or one described with flags.

        Periods with no collection for the sources involved print "not collected" (never 0);
        the current, incomplete period is projected and marked "(expected)".
        """
        with open_ws(workspace, wait, read_only=True) as ws:
            base = ws.metric(metric) if metric else None
            m = build_metric(
                base,
                table=table,
                measure=measure,
                column=column,
                duration=duration,
                unit=unit,
                where=where,
                share=share,
                period=period,
                by=by,
                top=top,
                timezone=tz,
            )
            a, b, c = _when(since, "--since"), _when(until, "--until"), _when(as_of, "--as-of")
            steps = [parse_transform(t) for t in transform or ()]
            found: list[Anomaly] = []
            if anomalies:
                if steps:
                    raise MetricError("--anomalies reads the metric as it is: no --transform")
                series, found = ws.anomalies(m, since=a, until=b, as_of=c)
            else:
                series = ws.trend(
                    m, since=a, until=b, as_of=c, project=not no_project, transforms=steps
                )
        if chart is not None:
            from groundswell.report.charts import trend_chart, write_chart

            write_chart(trend_chart(series, found), chart)
            err.print(f"[dim]drew {chart}[/dim]")
        if out_file is not None:
            from groundswell.export import export_series

            n = export_series(series, out_file)
            err.print(f"[dim]wrote {n:,} rows to {out_file}[/dim]")
        if as_json:
            print_json(
                {
                    "metric": series.name,
                    "period": series.period,
                    "timezone": series.timezone,
                    "unit": series.unit,
                    "notes": series.notes,
                    "points": list(series.points()),
                    "anomalies": [anomaly_row(a, series) for a in found],
                }
            )
            return
        rows, columns = series_rows(series, found)
        title = f"{series.name} ({series.unit}, per {series.period}, {series.timezone})"
        print_table(rows, columns, title=title, empty="no rows match this metric")
        for note in series.notes[1:]:
            out.print(f"[dim]{note}[/dim]")
        if anomalies:
            print_anomalies([anomaly_row(a, series) for a in found])

    @app.command(name="anomalies")
    @guard
    def anomalies_cmd(
        names: Annotated[
            list[str] | None,
            typer.Argument(help="Named metrics to scan (default: every metric in the config)."),
        ] = None,
        since: Annotated[str | None, typer.Option(help="From this date or time.")] = None,
        until: Annotated[
            str | None, typer.Option(help="Up to this date or time (excluded).")
        ] = None,
        kind: Annotated[
            list[str] | None,
            typer.Option(help="spike, dip, outage or level_shift (repeatable; default: all)."),
        ] = None,
        threshold: Annotated[
            float | None,
            typer.Option(
                help="Robust z-score for spikes and dips "
                f"(default {AnomalySettings().threshold:g})."
            ),
        ] = None,
        workspace: WorkspaceOpt = None,
        wait: WaitOpt = 0.0,
        as_json: JsonOpt = False,
    ) -> None:
        """Scan named metrics for spikes, dips, outages and level shifts, explained by the
        facets and values that drive them. Periods that were not collected are never outages."""
        from groundswell.analysis.anomalies import KINDS

        settings = AnomalySettings() if threshold is None else AnomalySettings(threshold=threshold)
        rows: list[dict[str, Any]] = []
        with open_ws(workspace, wait, read_only=True) as ws:
            chosen = names or sorted(ws.metrics())
            if not chosen:
                raise MetricError(
                    "no metrics to scan", hint="add [metrics.NAME] tables to groundswell.toml"
                )
            for name in chosen:
                series, found = ws.anomalies(
                    name,
                    since=_when(since, "--since"),
                    until=_when(until, "--until"),
                    settings=settings,
                    kinds=kind or KINDS,
                )
                rows += [anomaly_row(a, series) for a in found]
        if as_json:
            print_json(rows)
        else:
            print_anomalies(rows, with_metric=True)

    @app.command()
    @guard
    def metrics(
        workspace: WorkspaceOpt = None, wait: WaitOpt = 0.0, as_json: JsonOpt = False
    ) -> None:
        """List the metrics named in groundswell.toml, with what each measures."""
        with open_ws(workspace, wait, read_only=True) as ws:
            named = ws.metrics()
        rows = [
            {"metric": n, "description": m.description or m.describe()} for n, m in named.items()
        ]
        if as_json:
            print_json(rows)
        else:
            print_table(
                rows,
                ["metric", "description"],
                empty="no metrics yet: add [metrics.NAME] tables to groundswell.toml "
                "(see docs/metrics.md)",
            )
