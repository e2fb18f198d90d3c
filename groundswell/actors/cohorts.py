"""New-member cohorts with their retention, and the concentration of activity among actors.

An *actor* here is a person: an account, or its group of confirmed aliases when it has one
(``accounts.person``), so an alias is counted once. Periods are calendar periods (day, week
from Monday, month, quarter, year) in the workspace's timezone, numbered as the metric engine
numbers them (``compile.period_key``).

Cohorts: an actor belongs to the cohort of the period of its first post (on ``source`` when
given); ``active[k]`` is how many of the cohort posted in the k-th period after it (``active[0]``
is the size), ``retention[k]`` that count over the size::

    >>> cohorts(ws, period="month")[0]
    {'cohort': datetime(2019, 1, 1, tzinfo=...), 'size': 40, 'active': [40, 12, 9, ...],
     'retention': [1.0, 0.3, 0.225, ...]}

Concentration: per period, over the actors who posted in it (actors with nothing in the
period are not counted), the share of the period's posts (``what="links"``: of its links, the
URL indicators outside quotes) produced by the top 1%, 5% and 10% of those actors, and the
Gini coefficient of their counts::

    >>> s = concentration(ws, period="month")
    >>> s.values[s.row(("top 1%",))]        # shares from 0 to 1, per month

Conventions, exactly:
- the top p% of n active actors is the ceil(p * n / 100) actors with the most posts (at least
  one actor; with n = 150 the top 1% is 2 actors). Ties at the cut do not matter: any choice
  among tied actors gives the same sum.
- Gini = 2 * sum(i * x_i) / (n * sum(x)) - (n + 1) / n over the counts x_1 <= ... <= x_n of the
  n active actors (i from 1): 0 when everyone posted as much, (n - 1) / n when one actor
  posted everything; 0 for a single actor.
- a period in the series' range in which no actor was active has no value (NaN, shown empty).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import numpy as np

from groundswell.analysis.compile import key_start
from groundswell.analysis.series import OBSERVED, Series
from groundswell.config import check_timezone
from groundswell.errors import MetricError

if TYPE_CHECKING:  # (the workspace imports what imports this module)
    from groundswell.workspace import Workspace

PERIODS = ("day", "week", "month", "quarter", "year")
TOPS = (1, 5, 10)
MEASURES = (*(f"top {p}%" for p in TOPS), "gini")
WHAT = ("posts", "links")


def _check(period: str) -> None:
    if period not in PERIODS:
        raise MetricError(f"unknown period {period!r}", hint=f"one of {', '.join(PERIODS)}")


def period_sql(period: str, time: str, timezone: str) -> str:
    """SQL numbering the local period of the UTC time ``time`` in ``timezone``, as
    ``compile.period_key`` numbers it (days since 1970-01-01, weeks since Monday 1969-12-29,
    months since January 1970, ...). ``timezone`` must be a checked IANA name."""
    local = f"timezone('{timezone}', {time})::DATE"
    days = f"({local} - DATE '1970-01-01')"
    months = f"(year({local}) * 12 + month({local}) - 1 - 1970 * 12)"
    return {
        "day": days,
        "week": f"floor(({days} + 3) / 7)::BIGINT",
        "month": months,
        "quarter": f"floor({months} / 3)::BIGINT",
        "year": f"floor({months} / 12)::BIGINT",
    }[period]


def _zone(ws: Workspace) -> str:
    return check_timezone("workspace.timezone", ws.config.timezone)


def cohorts(
    ws: Workspace, period: str = "month", source: str | None = None
) -> list[dict[str, Any]]:
    """New-actor cohorts by the period of their first post and their retention, oldest
    first: ``cohort`` (the period's start, aware in the workspace's timezone), ``size``,
    ``active`` (actors of the cohort who posted in the cohort's period + 0, + 1, ... up to
    the latest period with posts) and ``retention`` (``active`` over ``size``)."""
    _check(period)
    tz = _zone(ws)
    where = "p.account IS NOT NULL" + (" AND p.source_id = ?" if source is not None else "")
    rows = ws.store.con.execute(
        f"""
        WITH act AS (SELECT DISTINCT coalesce(a.person, p.account) AS actor,
                            {period_sql(period, "p.time", tz)} AS k
                     FROM posts p JOIN accounts a ON a.account = p.account WHERE {where}),
             coh AS (SELECT actor, min(k) AS c FROM act GROUP BY 1)
        SELECT c, k - c, count(*) FROM act JOIN coh USING (actor) GROUP BY 1, 2 ORDER BY 1, 2""",
        [source] if source is not None else [],
    ).fetchall()
    if not rows:
        return []
    last = max(c + off for c, off, _ in rows)
    zone = ZoneInfo(tz)
    table: dict[int, list[int]] = {}
    for c, off, n in rows:
        table.setdefault(c, [0] * (last - c + 1))[off] = n
    return [
        {
            "cohort": key_start(period, c).replace(tzinfo=zone),
            "size": active[0],
            "active": active,
            "retention": [n / active[0] for n in active],
        }
        for c, active in sorted(table.items())
    ]


def concentration(
    ws: Workspace, period: str = "month", by_source: bool = False, what: str = "posts"
) -> Series:
    """Per period, the shares of posts (or links) by the top 1%, 5% and 10% of the actors
    active in it, and the Gini coefficient of their counts, as a Series with facets
    ``("top 1%",)``, ``("top 5%",)``, ``("top 10%",)`` and ``("gini",)`` (``by_source``:
    ``(source_id, measure)`` for each source), unit "share". See the module's conventions."""
    _check(period)
    if what not in WHAT:
        raise MetricError(f"cannot measure concentration of {what!r}", hint="posts or links")
    tz = _zone(ws)
    if what == "posts":
        rows_sql = "SELECT p.source_id, p.time, p.account FROM posts p WHERE p.account IS NOT NULL"
    else:
        rows_sql = """SELECT p.source_id, p.time, p.account FROM indicators i
                      JOIN posts p ON p.uid = i.post_uid
                      WHERE i.kind = 'url' AND i.in_quote IS NOT TRUE
                        AND p.account IS NOT NULL"""
    facet = "r.source_id" if by_source else "''"
    tops = ", ".join(
        f"sum(n) FILTER (WHERE rank <= ({p} * actors + 99) // 100) / any_value(total)" for p in TOPS
    )
    rows = ws.store.con.execute(
        f"""
        WITH r AS ({rows_sql}),
             c AS (SELECT {facet} AS f, {period_sql(period, "r.time", tz)} AS k,
                          coalesce(a.person, r.account) AS actor, count(*) AS n
                   FROM r JOIN accounts a ON a.account = r.account GROUP BY ALL),
             ranked AS (SELECT f, k, n::DOUBLE AS n,
                               row_number() OVER (w ORDER BY n DESC) AS rank,
                               count(*) OVER w AS actors, sum(n) OVER w AS total
                        FROM c WINDOW w AS (PARTITION BY f, k))
        SELECT f, k, {tops},
               2 * sum((actors - rank + 1) * n) / (any_value(actors) * any_value(total))
                 - (any_value(actors) + 1) / any_value(actors)
        FROM ranked GROUP BY f, k ORDER BY f, k"""
    ).fetchall()
    zone = ZoneInfo(tz)
    name = f"concentration of {what}" + (" by source" if by_source else "")
    if not rows:
        lo, hi, sources = 0, -1, [""]
    else:
        lo, hi = min(r[1] for r in rows), max(r[1] for r in rows)
        sources = sorted({r[0] for r in rows})
    facets: list[tuple[str, ...]] = [
        ((s, m) if by_source else (m,)) for s in sources for m in MEASURES
    ]
    values = np.full((len(facets), hi - lo + 1), np.nan)
    for f, k, *measures in rows:
        base = sources.index(f) * len(MEASURES)
        for j, v in enumerate(measures):
            values[base + j, k - lo] = np.nan if v is None else float(v)
    starts: list[datetime] = [key_start(period, k).replace(tzinfo=zone) for k in range(lo, hi + 1)]
    return Series(
        name=name,
        period=period,
        timezone=tz,
        starts=starts,
        facets=facets,
        values=values,
        status=np.full(values.shape, OBSERVED, np.int8),
        facet_fields=("source", "measure") if by_source else ("measure",),
        unit="share",
        notes=[
            f"share of {what} by the top 1%, 5%, 10% of the actors active in each {period} "
            "(top p% of n actors: ceil(p * n / 100) actors), and the Gini coefficient of "
            f"{what} per actor; an actor is a person (confirmed aliases count once)"
        ],
    )
