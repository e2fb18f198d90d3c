"""`groundswell creators`: rank creators, show some, compare them, and flag follower jumps."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from groundswell.actors import creators as cr
from groundswell.cli.common import (
    JsonOpt,
    WaitOpt,
    WorkspaceOpt,
    err,
    guard,
    human,
    open_ws,
    out,
    print_json,
    print_table,
)
from groundswell.cli.trends import anomaly_row, print_anomalies
from groundswell.errors import QueryError

EXAMPLES = """
Examples:

    groundswell creators                                  # the 50 largest, by followers
    groundswell creators --platform instagram --tier 50k-500k --sort growth
    groundswell creators --sort engagement --limit 10 --json
    groundswell creators tess.bakes instagram:anna.greens # their rows and top mentions
    groundswell creators tess.bakes anna.greens --compare --chart followers.png
    groundswell creators --jumps                          # sudden follower gains, explained
    groundswell creators tess.bakes --engagement median_er_last_n --last 20

Figures come from account snapshots (`groundswell import snapshots FILE`) and, where imported,
the creators' own posts (a posts import whose platform and author match the snapshots'
platform and account). Engagement is a fraction of followers under a named convention:
mean_er_last_n (from posts) or snapshot_er (an approximation from snapshots). Tiers come from
[creators] tiers in groundswell.toml. Every convention is defined in
groundswell/actors/creators.py.
"""

LIST_COLUMNS = [
    "platform", "account", "name", "tier", "followers", "growth_7d", "growth_30d_pct",
    "engagement", "sponsored", "virtual",
]  # fmt: skip


def _pct(v: float | None, digits: int = 2) -> str | None:
    return None if v is None else f"{v * 100:.{digits}f}%"


def _display(row: dict[str, Any]) -> dict[str, Any]:
    """A creators row for the terminal: percentages, conventions abbreviated."""
    d = dict(row)
    growth = row.get("growth_30d_pct")
    d["growth_30d_pct"] = None if growth is None else f"{growth:+.2f}%"
    conv = {"mean_er_last_n": "", "snapshot_er": " ≈"}.get(row.get("engagement_convention") or "")
    d["engagement"] = None if row["engagement"] is None else f"{_pct(row['engagement'])}{conv}"
    d["sponsored"] = _pct(row.get("sponsored_share"), 0)
    d["virtual"] = "virtual" if row.get("is_virtual") else ""
    return d


def register(app: typer.Typer) -> None:
    @app.command(epilog=EXAMPLES)
    @guard
    def creators(
        accounts: Annotated[
            list[str] | None,
            typer.Argument(
                help="Creators to show: ACCOUNT (on every platform that has it) or "
                "PLATFORM:ACCOUNT. None: rank them all."
            ),
        ] = None,
        platform: Annotated[
            str | None, typer.Option(help="Only this platform (instagram, tiktok ...).")
        ] = None,
        tier: Annotated[
            str | None,
            typer.Option(help="Only this follower tier, e.g. 5k-50k (see [creators] tiers)."),
        ] = None,
        sort: Annotated[
            str,
            typer.Option(help="followers, growth (30-day %) or engagement; largest first."),
        ] = "followers",
        limit: Annotated[int, typer.Option(help="Show at most this many creators.")] = 50,
        compare: Annotated[
            bool,
            typer.Option(
                "--compare", help="Side by side: one column per creator, and their followers."
            ),
        ] = False,
        chart: Annotated[
            Path | None,
            typer.Option(help="With --compare: draw followers per day to .png, .svg, .html."),
        ] = None,
        jumps: Annotated[
            bool,
            typer.Option(
                "--jumps",
                help="List sudden follower gains (spikes of daily growth that hold), "
                "which suggest a shout-out or bought followers.",
            ),
        ] = False,
        engagement: Annotated[
            str | None,
            typer.Option(
                help=f"Also rate engagement under this convention: {', '.join(cr.CONVENTIONS)}."
            ),
        ] = None,
        last: Annotated[
            int, typer.Option("--last", help="N of the 'last N posts' conventions.")
        ] = cr.DEFAULT_N,
        workspace: WorkspaceOpt = None,
        wait: WaitOpt = 0.0,
        as_json: JsonOpt = False,
    ) -> None:
        """Rank creators by followers, growth or engagement, show some, or compare them.

        Growth is the change of the last snapshot's followers over 7 and 30 days; a tier is
        a range of the last snapshot's followers; sponsored is the share of a creator's posts
        with a disclosure-lexicon hit (#ad, 广告 ...). An engagement marked ≈ is the
        snapshot approximation (the creator's posts are not in the store)."""
        if chart is not None and not compare:
            raise QueryError("--chart draws a comparison", hint="add --compare and accounts")
        if compare and not accounts:
            raise QueryError("--compare needs accounts", hint="e.g. creators a.b c.d --compare")
        with open_ws(workspace, wait, read_only=True) as ws:
            if jumps:
                series, found = cr.growth_anomalies(ws, accounts or None)
                rows = [anomaly_row(a, series) for a in found]
                if as_json:
                    print_json(rows)
                else:
                    print_anomalies(rows)
                return
            rated = (
                cr.engagement(ws, accounts or None, convention=engagement, n=last)
                if engagement
                else None
            )
            if compare:
                assert accounts is not None
                _compare(cr.compare(ws, accounts, n=last), chart, rated, as_json)
                return
            rows = cr.creators(
                ws,
                platform=platform,
                tier=tier,
                sort=sort,
                limit=limit,
                accounts=accounts or None,
                n=last,
            )
            mentions = cr.top_mentions(ws, accounts, limit=5) if accounts else []
        if as_json:
            data: dict[str, Any] = {"creators": rows}
            if accounts:
                data["mentions"] = mentions
            if rated is not None:
                data["engagement"] = rated
            print_json(data if accounts or rated is not None else rows)
            return
        title = f"Creators by {sort}" + (f" ({platform})" if platform else "")
        print_table(
            [_display(r) for r in rows],
            LIST_COLUMNS,
            title=title,
            empty="no creators match: import account snapshots with `groundswell import "
            "snapshots FILE`",
        )
        if accounts:
            print_table(
                mentions,
                ["platform", "account", "rank", "kind", "value", "posts"],
                title="Top mentions",
                empty="no handles or hashtags: the creators' posts are not in the store",
            )
        if rated is not None:
            _print_rated(rated)


def _print_rated(rated: list[dict[str, Any]]) -> None:
    rows = [{**r, "rate": _pct(r["rate"])} for r in rated]
    title = f"Engagement: {rated[0]['definition']}" if rated else "Engagement"
    print_table(
        rows,
        ["platform", "account", "rate", "posts"],
        title=title,
        empty="nothing to rate under this convention (no posts with the counts it needs)",
    )


COMPARE_FIELDS = [
    "name", "tier", "followers", "growth_7d", "growth_7d_pct", "growth_30d", "growth_30d_pct",
    "engagement", "engagement_convention", "posts", "sponsored_share", "is_virtual",
    "last_snapshot",
]  # fmt: skip


def _compare(
    result: dict[str, Any],
    chart: Path | None,
    rated: list[dict[str, Any]] | None,
    as_json: bool,
) -> None:
    rows: list[dict[str, Any]] = result["rows"]
    if chart is not None:
        from groundswell.report.charts import trend_chart, write_chart

        series = result["followers"]
        series.name = "followers per day"
        write_chart(trend_chart(series, title="Followers per day"), chart)
        err.print(f"[dim]drew {chart}[/dim]")
    if as_json:
        print_json(
            {
                "creators": rows,
                "followers": list(result["followers"].points()),
                "mentions": result["mentions"],
                **({"engagement": rated} if rated is not None else {}),
            }
        )
        return
    labels = [f"{r['platform']}:{r['account']}" for r in rows]
    table = []
    for field in COMPARE_FIELDS:
        line: dict[str, Any] = {"": field.replace("_", " ")}
        for label, r in zip(labels, rows, strict=True):
            value = r[field]
            if field in ("engagement", "sponsored_share"):
                value = _pct(value)
            elif field.endswith("_pct") and value is not None:
                value = f"{value:+.2f}%"
            line[label] = human(value)
        table.append(line)
    print_table(table, ["", *labels], title="Creators compared")
    print_table(
        result["mentions"],
        ["platform", "account", "rank", "kind", "value", "posts"],
        title="Top mentions",
        empty="no handles or hashtags: the creators' posts are not in the store",
    )
    if rated is not None:
        _print_rated(rated)
    if any(r["engagement_convention"] == "snapshot_er" for r in rows):
        out.print(
            "[dim]engagement ≈ snapshot_er: (likes gained / posts added) / followers over 30 "
            "days, when the creator's posts are not in the store[/dim]"
        )
