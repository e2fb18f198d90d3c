"""Report sections about people: the most active actors of the period, the members who came
back after a long absence, and creators side by side (docs/reports.md, docs/actors.md).

Each function takes the report builder (for the period, the definitions and whether names
are redacted) and one section of the spec, and returns its block; the computing is done by
``groundswell.actors``. Actors are people posting: their names are ``[redacted]`` unless the
report is not redacted. Creators are public accounts measured for their audience: their
account names are shown.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pyarrow as pa

from groundswell.actors import cohorts, creators, profiles, returns
from groundswell.analysis.metrics import Filter, Metric
from groundswell.report import captions as words
from groundswell.report.charts import trend_chart
from groundswell.report.document import Block, Definition, Table
from groundswell.report.redact import MARK

if TYPE_CHECKING:
    from groundswell.report.build import _Builder
    from groundswell.report.spec import Section


def actors_block(b: _Builder, n: int, s: Section) -> Block:
    """The actors who posted most in the period, with how concentrated posting was."""
    rows = profiles.ranked(
        b.ws, source=s.source or None, since=b.lo, until=b.hi, sort=s.sort or "posts", limit=s.limit
    )
    where, params = profiles.window("time", b.lo, b.hi, b.tz)
    if s.source:
        where.append("source_id = ?")
        params.append(s.source)
    counted = "SELECT count(*) AS n, count(DISTINCT account) AS a FROM posts WHERE "
    total = b.ws.sql(counted + " AND ".join(where), params).to_pylist()[0]
    shown = sum(r["posts"] for r in rows)
    caption = ""
    if total["n"]:
        caption = (
            f"{words.number(total['a'])} accounts posted {words.number(total['n'])} posts in the "
            f"period; the {len(rows)} listed wrote {shown / total['n']:.0%} of them."
        )
        caption += _concentration(b, s.source)
    table = Table(
        [
            "actor",
            "source",
            "posts in period",
            "posts in all",
            "first seen",
            "active days",
            "main section",
        ],
        [
            [
                MARK if b.redact else (r["name"] or r["author_id"]),
                r["source_id"],
                words.number(r["posts"]),
                words.number(r["posts_total"]),
                f"{r['first_seen']:%Y-%m-%d}" if r["first_seen"] else "",
                words.number(r["active_days"]),
                (r["sections"] or [""])[0] or "",
            ]
            for r in rows
        ],
        [False, False, True, True, False, True, False],
    )
    b.defs.setdefault(ACTORS.id, ACTORS)
    data = pa.table(
        {
            "actor": [row[0] for row in table.rows],
            "source_id": [r["source_id"] for r in rows],
            "posts_in_period": [r["posts"] for r in rows],
            "posts_total": [r["posts_total"] for r in rows],
            "first_seen": [r["first_seen"] for r in rows],
            "active_days": [r["active_days"] for r in rows],
        }
    )
    return Block(
        "actors",
        s.title or "The most active actors",
        caption=caption,
        table=table if rows else None,
        refs=[ACTORS.id],
        data={f"{n:02d}-actors.csv": data},
        empty="Nobody posted in this period.",
    )


def _concentration(b: _Builder, source: str) -> str:
    """`` The top 10% of actors wrote 62% of its posts (Gini 0.71).`` (of the section's
    source, when it names one) when the report's period is a calendar week or month."""
    if b.period.kind not in ("week", "month"):
        return ""
    series = cohorts.concentration(b.ws, b.period.kind, by_source=bool(source))
    start = b.lo.replace(tzinfo=series.starts[0].tzinfo) if series.starts else None
    key = (source,) if source else ()
    try:
        t = series.starts.index(start)  # type: ignore[arg-type]
        top = series.values[series.row((*key, "top 10%")), t]
        gini = series.values[series.row((*key, "gini")), t]
    except (ValueError, KeyError):
        return ""
    return f" The top 10% of actors wrote {top:.0%} of its posts (Gini {gini:.2f})."


def returns_block(b: _Builder, n: int, s: Section) -> Block:
    """Members back after a long absence: returns per week over the chart's span, and the
    return events of that span, latest first (the caption says how many fell in the period)."""
    days = returns.dormant_days(b.ws)
    where = (Filter("source", "=", s.source),) if s.source else ()
    metric = Metric(
        name="returns", table="returns", period="week", where=where, unit="returns",
        description=f"Members posting again after more than {days:g} days away, per week",
    ).check()  # fmt: skip
    b.defs.setdefault(
        "m-returns",
        Definition(
            "m-returns",
            "returns",
            "metric",
            f"{metric.description}. {metric.describe()}. A return is a post more than "
            f"{days:g} days after the same account's previous post (docs/actors.md).",
            f'[metrics.returns]\ntable = "returns"\nperiod = "week"\n'
            f"# and, in [actors]: dormant_days = {days:g}",
        ),
    )
    since = b.since(metric, s.history)
    series, _ = b.scan(metric, since)
    found = returns.events(b.ws, source=s.source or None, since=since, until=b.hi, limit=s.limit)
    now = [r for r in found if r["time"] >= b.period.start]
    shown = words.span_name(series.starts[0], series.starts[-1], "week")
    caption = (
        f"{_members(len(now))} came back in the period after more than {days:g} days away; "
        f"{_members(len(found)).lower()} in {shown}"
    )
    if found:
        gaps = sorted(r["gap_days"] for r in found)
        caption += f", after {gaps[0]:,.0f} to {gaps[-1]:,.0f} days."
    else:
        caption += "."
    rows = [
        [
            MARK if b.redact else (r["name"] or r["author_id"]),
            r["source_id"],
            f"{r['time']:%Y-%m-%d}",
            f"{r['previous']:%Y-%m-%d}",
            f"{r['gap_days']:,.0f}",
            r["section"] or "",
        ]
        for r in found
    ]
    data = pa.table(
        {
            "actor": [row[0] for row in rows],
            "source_id": [r["source_id"] for r in found],
            "returned": [r["time"] for r in found],
            "previous_post": [r["previous"] for r in found],
            "gap_days": [r["gap_days"] for r in found],
            "section": [r["section"] for r in found],
        }
    )
    return Block(
        "returns",
        s.title or "Members who came back",
        caption=caption,
        chart=trend_chart(series, title="Returns per week"),
        table=Table(
            ["actor", "source", "returned", "previous post", "days away", "section"],
            rows,
            [False, False, False, False, True, False],
        )
        if rows
        else None,
        refs=["m-returns"],
        data={f"{n:02d}-returns.csv": data, f"{n:02d}-returns-per-week.csv": series.to_arrow()},
        empty="No member came back in the span shown.",
    )


def creators_block(b: _Builder, n: int, s: Section) -> Block:
    """Creators side by side: their followers over the chart's span and their figures."""
    rows = creators.creators(
        b.ws,
        accounts=list(s.accounts) or None,
        platform=s.platform or None,
        tier=s.tier or None,
        sort=s.sort or "followers",
        limit=s.limit,
    )
    pairs = [f"{r['platform']}:{r['account']}" for r in rows]
    metric = Metric(table="account_snapshots", period="day")
    since = b.since(metric, s.history)
    series = creators.followers(b.ws, pairs, "day", since=since, until=b.hi) if pairs else None
    b.defs.setdefault(CREATORS.id, CREATORS)
    table = Table(
        [
            "creator",
            "tier",
            "followers",
            "30-day growth",
            "engagement",
            "convention",
            "sponsored posts",
        ],
        [
            [
                f"{r['platform']}:{r['account']}",
                r["tier"] or "",
                words.number(r["followers"]),
                _pct(r["growth_30d_pct"]),
                "" if r["engagement"] is None else f"{r['engagement']:.2%}",
                r["engagement_convention"] or "",
                "" if r["sponsored_share"] is None else f"{r['sponsored_share']:.0%}",
            ]
            for r in rows
        ],
        [False, False, True, True, True, False, True],
    )
    table = _without_empty_columns(table)
    caption = ""
    if rows:
        first = rows[0]
        caption = (
            f"{first['platform']}:{first['account']}: {words.number(first['followers'])} "
            f"followers ({first['tier']}), {_pct(first['growth_30d_pct']) or 'no change'} over "
            "the last 30 days of snapshots."
        )
    data: dict[str, pa.Table] = {f"{n:02d}-creators.csv": _table(rows)}
    if series is not None:
        data[f"{n:02d}-followers.csv"] = series.to_arrow()
    return Block(
        "creators",
        s.title or "Creators",
        caption=caption,
        chart=trend_chart(series, title="Followers per day") if series is not None else None,
        table=table if rows else None,
        refs=[CREATORS.id],
        data=data,
        empty="No creator matches.",
        notes=[
            "Growth, engagement and sponsored share are as of each creator's latest "
            "snapshot and posts in the store."
        ],
    )


def _without_empty_columns(table: Table) -> Table:
    """``table`` without the columns no row has a value in (sponsored posts, when no creator
    has posts in the store)."""
    keep = [c for c in range(len(table.columns)) if any(r[c] for r in table.rows)]
    if not table.rows or len(keep) == len(table.columns):
        return table
    return Table(
        [table.columns[c] for c in keep],
        [[r[c] for c in keep] for r in table.rows],
        [table.numeric[c] for c in keep],
    )


def _members(n: int) -> str:
    return "No member" if n == 0 else f"{n} member{'s' if n > 1 else ''}"


def _pct(v: float | None) -> str:
    return "" if v is None else f"{v:+.1f}%"


def _table(rows: list[dict[str, Any]]) -> pa.Table:
    keys = ["platform", "account", "tier", "followers", "growth_7d", "growth_7d_pct",
            "growth_30d", "growth_30d_pct", "engagement", "engagement_convention", "posts",
            "sponsored_share", "is_virtual"]  # fmt: skip
    return pa.table({k: [r.get(k) for r in rows] for k in keys})


ACTORS = Definition(
    "actors",
    "actor profiles",
    "method",
    "An actor is an author on one source (an account). Posts in the period are counted from "
    "the store; the profile (first seen, active days, sections) from all its posts. The top 10% "
    "share is the share of the period's posts written by the most active tenth of the actors "
    "who posted in it (rounded up); Gini over their post counts (docs/actors.md).",
    "groundswell actors --since FROM --until TO --sort posts",
)
CREATORS = Definition(
    "creators",
    "creator figures",
    "method",
    "Followers from account snapshots (the last snapshot per day); tiers by the latest "
    "followers; growth over 30 days of snapshots; engagement under the named convention; "
    "sponsored share from the disclosure lexicon (docs/actors.md).",
    "groundswell creators --sort followers",
)
