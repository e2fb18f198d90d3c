"""`groundswell audit`: how much of an entity's buzz is coordinated, new, templated or paid.

A thin layer over :meth:`Workspace.audit`: the options become ``AuditOptions``; the result is
printed as the mention timeline's peaks, anomalies and events, the signals against the
baseline, the top amplifiers, the co-sharing clusters and the repeated claims; or as JSON.
"""

from __future__ import annotations

import shlex
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from groundswell.cli.actors import fresh_ws
from groundswell.cli.common import (
    JsonOpt,
    WaitOpt,
    WorkspaceOpt,
    err,
    guard,
    out,
    print_json,
    print_table,
    shown,
)
from groundswell.cli.coordination import as_option, duration, spinner, traces_option
from groundswell.cli.trends import _when
from groundswell.coordination.audit import Audit, AuditOptions
from groundswell.coordination.network import Settings
from groundswell.errors import QueryError
from groundswell.report.audit import signal_rows, timeline_chart

EXAMPLES = """
Examples:

    groundswell audit 0x302DFaF2CDbE51a18d97186A7384e87CF599877D \\
        --event "2020-05-26T13:00=airdrop opens" --event "2020-05-28=listing"
    groundswell audit "NOVA token" --since 2020-05-01 --until 2020-06-01
    groundswell audit lexicon:covid --baseline "football" --baseline "recipe"
    groundswell audit novatoken.example --window 30m --chart nova.png --json > nova.json

The entity is a search query, an indicator value (a contract address, a domain, a hashtag;
written as is or as indicator:VALUE) or lexicon:NAME. Its mentions are compared with a
baseline: all other posts of the same sources in the period, or the topics of --baseline.
Each signal is a share of the mentions, side by side with the baseline's; there is no overall
score. Definitions: docs/coordination.md ("The hype audit").
"""

SIGNAL_COLUMNS = ["mentions …", "mentions", "share", "baseline", "against baseline"]
AMPLIFIER_COLUMNS = [
    "name", "source_id", "mentions", "first_mention", "first_seen", "posts_before", "new",
    "cluster", "templated", "disclosed",
]  # fmt: skip
CLUSTER_COLUMNS = ["cluster", "accounts", "mentioning", "edges", "first", "last", "top_objects"]
CLAIM_COLUMNS = ["kind", "value", "posts", "accounts", "in_clusters"]


def event(text: str) -> tuple[datetime, str]:
    """``2020-05-28=listing`` or ``2020-05-26T13:00=airdrop opens``."""
    when, sep, label = text.partition("=")
    if not sep or not label.strip():
        raise QueryError(
            f"--event: cannot read {text!r}", hint="a time and a label: 2020-05-28=listing"
        )
    t = _when(when.strip(), "--event")
    assert t is not None
    return t, label.strip()


def register(app: typer.Typer) -> None:
    @app.command(epilog=EXAMPLES)
    @guard
    def audit(
        entity: Annotated[
            str,
            typer.Argument(
                help="A search query, an indicator value (or indicator:VALUE), or lexicon:NAME."
            ),
        ],
        since: Annotated[
            str | None,
            typer.Option(help="From this time (ISO). Default: 14 days before the first mention."),
        ] = None,
        until: Annotated[
            str | None,
            typer.Option(help="Before this time (ISO). Default: 7 days after the last mention."),
        ] = None,
        source: Annotated[
            list[str] | None,
            typer.Option(help="Only these sources (repeatable). Default: where it is mentioned."),
        ] = None,
        period: Annotated[
            str | None, typer.Option(help="Timeline periods: hour, day or week (default: by span).")
        ] = None,
        event_: Annotated[
            list[str] | None,
            typer.Option("--event", help="Mark an event: 2020-05-28=listing (repeatable)."),
        ] = None,
        baseline: Annotated[
            list[str] | None,
            typer.Option(help="A baseline topic (repeatable). Default: all other posts."),
        ] = None,
        new_days: Annotated[
            int, typer.Option(help="An account is new when its first post is this recent.")
        ] = AuditOptions.new_days,
        history_posts: Annotated[
            int, typer.Option(help="Little history: fewer earlier posts than this.")
        ] = AuditOptions.history_posts,
        trace: Annotated[
            list[str] | None,
            typer.Option(
                "--trace",
                "-t",
                help="Coordination traces (repeatable or comma-separated). "
                f"Default: {','.join(AuditOptions.traces)}.",
                show_default=False,
            ),
        ] = None,
        window: Annotated[
            str, typer.Option(help="Coordination and near-duplicate window: 10m, 1h ...")
        ] = "10m",
        min_weight: Annotated[
            int, typer.Option(help="Coordination: objects a pair of accounts must share.")
        ] = Settings.min_weight,
        bits: Annotated[
            int, typer.Option(help="Near-duplicates: most differing SimHash bits (0-15).")
        ] = AuditOptions.bits,
        top: Annotated[int, typer.Option(help="Amplifiers and claims listed.")] = 15,
        chart: Annotated[
            Path | None, typer.Option(help="Write the timeline chart: .png, .svg or .html.")
        ] = None,
        workspace: WorkspaceOpt = None,
        wait: WaitOpt = 0.0,
        as_json: JsonOpt = False,
    ) -> None:
        """Audit the buzz around an entity: is it organic or coordinated?

        Shows the mention timeline (peaks, anomalies, your events), then the share of the
        mentions from co-sharing clusters, from new accounts and accounts with little
        history, with near-duplicate text, and with a disclosure marker (#ad, sponsored by
        ...), each against the same share in the baseline; then the top amplifiers, their
        clusters and the claims the posts repeat."""
        traces = traces_option(trace, AuditOptions.traces)
        if period is not None and period not in ("hour", "day", "week"):
            raise QueryError("--period must be hour, day or week")
        if top < 1 or new_days < 0 or history_posts < 0:
            raise QueryError("--top must be 1 or more, --new-days and --history-posts 0 or more")
        options = AuditOptions(
            since=_when(since, "--since"),
            until=_when(until, "--until"),
            sources=tuple(source or ()),
            period=period,
            events=tuple(event(e) for e in event_ or ()),
            baselines=tuple(baseline or ()),
            new_days=new_days,
            history_posts=history_posts,
            traces=traces,
            settings=Settings(window=duration(window, "--window"), min_weight=min_weight).check(),
            bits=bits,
            top=top,
        )
        # (the workspace is ready, its profiles' bar done, before the spinner starts)
        with fresh_ws(workspace, wait) as ws, spinner(not as_json, f"auditing {entity} ..."):
            a = ws.audit(entity, options)
        if chart is not None:
            from groundswell.report.chart_files import write_chart

            write_chart(timeline_chart(a, f"Mentions of {entity} per {a.series.period}"), chart)
        if as_json:
            print_json(a.to_dict())
            return
        print_audit(a)
        if chart is not None:
            err.print(f"wrote {chart}")


def print_audit(a: Audit) -> None:
    o = a.options
    out.print(
        f"[bold]Audit of {shown(a.entity.text)}[/bold] ({a.entity.kind}): "
        f"{a.mentions:,} mentions by {a.accounts:,} accounts in {shown(', '.join(a.sources))}, "
        f"{a.since:%Y-%m-%d} to {a.until:%Y-%m-%d} ({a.since.tzname()})",
        soft_wrap=True,
    )
    values = a.series.values[0] if a.series.facets else []
    peaks = sorted(
        ((float(v), s) for v, s in zip(values, a.series.starts, strict=False) if v == v and v > 0),
        key=lambda p: (-p[0], p[1]),
    )[:5]
    fmt = "%Y-%m-%d %H:00" if a.series.period == "hour" else "%Y-%m-%d"
    out.print(
        f"Busiest {a.series.period}s: "
        + ", ".join(f"{s.strftime(fmt)} ({v:,.0f})" for v, s in peaks)
    )
    for x in a.anomalies:
        out.print(
            f"  {x.kind.replace('_', ' ')} {x.start.strftime(fmt)}: {x.value:,.0f} against "
            f"{x.baseline:,.0f} expected"
        )
    for when, label in o.events:
        out.print(f"  event {when:%Y-%m-%d %H:%M}: {shown(label)}")
    base = next(iter(a.signals[0].baselines))
    rows = [dict(zip(SIGNAL_COLUMNS, r, strict=True)) for r in signal_rows(a)]
    print_table(rows, SIGNAL_COLUMNS, title=f"Signals (baseline: {base})")
    for s in a.signals:
        out.print(f"[dim]{s.label}: {s.explanation}[/dim]", soft_wrap=True)
    print_table(a.amplifiers, AMPLIFIER_COLUMNS, title="Top amplifiers", empty="no amplifier")
    clusters = [
        {**c, "top_objects": "\n".join(t[:60] for t in c["top_objects"][:3])} for c in a.clusters
    ]
    print_table(
        clusters,
        CLUSTER_COLUMNS,
        title=f"Co-sharing clusters of its accounts ({o.settings.describe()})",
        empty="no account that mentions it is in a co-sharing cluster",
    )
    print_table(a.claims, CLAIM_COLUMNS, title="Claims repeated by two or more accounts",
                empty="no claim repeated by two accounts")  # fmt: skip
    if a.clusters:
        sources = shown(" ".join(f"--source {shlex.quote(s)}" for s in a.sources))
        out.print(
            f"[dim]A cluster's evidence: groundswell coordination -t {','.join(o.traces)} "
            f"--window {as_option(o.settings.window)} --since "
            f"{a.since:%Y-%m-%dT%H:%M} --until {a.until:%Y-%m-%dT%H:%M} {sources} "
            "--cluster N[/dim]",
            soft_wrap=True,
        )
