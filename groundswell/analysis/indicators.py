"""Listing and counting indicators with filters (``groundswell indicators``).

Examples, as the Python API::

    ws.indicators(IndicatorQuery(kind="url", extension="jpg", by="domain", per="month", top=5))
    ws.indicators(IndicatorQuery(kind="crypto", list=True, limit=20))

By default an indicator that only appears inside a quoted earlier post is not counted
(``include_quoted`` counts it), so the figures count what was *shared*, not re-quoted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb

from groundswell.errors import QueryError

GROUPS = ("value", "domain", "host", "suffix", "extension", "subkind", "kind", "source", "network")
PERIODS = ("day", "week", "month", "quarter", "year")
KINDS = ("url", "email", "crypto", "handle", "hashtag", "money", "lexicon")


@dataclass(frozen=True)
class IndicatorQuery:
    kind: str | None = None
    subkind: str | None = None  # e.g. the lexicon's name, the currency, the address type
    value: str | None = None  # exact normalised value
    domain: str | None = None  # registrable domain (exact)
    host: str | None = None
    extension: str | None = None
    network: str | None = None  # clearnet | tor | i2p
    source: str | None = None  # source id, or a platform: prefix ("forum:")
    since: datetime | None = None
    until: datetime | None = None  # exclusive
    include_quoted: bool = False
    by: str = "value"  # what to group by
    per: str | None = None  # a period: counts per period and group
    top: int = 20  # groups (per period) to keep
    list: bool = False  # occurrences instead of counts
    limit: int = 50  # occurrences to list
    timezone: str = "UTC"  # periods are calendar periods in this timezone

    def check(self) -> None:
        if self.kind is not None and self.kind not in KINDS:
            raise QueryError(f"unknown kind {self.kind!r}; kinds: {', '.join(KINDS)}")
        if self.by not in GROUPS:
            raise QueryError(f"cannot group by {self.by!r}; choose from {', '.join(GROUPS)}")
        if self.per is not None and self.per not in PERIODS:
            raise QueryError(f"unknown period {self.per!r}; choose from {', '.join(PERIODS)}")
        if self.top < 1 or self.limit < 1:
            raise QueryError("--top and --limit must be at least 1")


def _where(q: IndicatorQuery) -> tuple[str, list[Any]]:
    conds: list[str] = []
    params: list[Any] = []
    for column, v in (
        ("kind", q.kind),
        ("subkind", q.subkind),
        ("value", q.value),
        ("domain", q.domain.lower() if q.domain else None),
        ("host", q.host.lower() if q.host else None),
        ("extension", q.extension.lower().lstrip(".") if q.extension else None),
        ("network", q.network),
    ):
        if v is not None:
            conds.append(f"i.{column} = ?")
            params.append(v)
    if q.source:
        if q.source.endswith(":"):
            conds.append("starts_with(i.source_id, ?)")
        else:
            conds.append("i.source_id = ?")
        params.append(q.source)
    if q.since is not None:
        conds.append("i.time >= ?")
        params.append(q.since)
    if q.until is not None:
        conds.append("i.time < ?")
        params.append(q.until)
    if not q.include_quoted:
        conds.append("i.in_quote IS NOT TRUE")
    return ("WHERE " + " AND ".join(conds)) if conds else "", params


def query(con: duckdb.DuckDBPyConnection, q: IndicatorQuery) -> list[dict[str, Any]]:
    """Counts per group (and period), or the occurrences themselves (``q.list``)."""
    q.check()
    where, params = _where(q)
    if q.list:
        sql = f"""
            SELECT i.time, i.source_id, i.post_uid, p.native_id, i.field, i.kind, i.subkind,
                   i.value, i.raw, i.in_quote, i.validity, i.amount, i.domain, i.extension
            FROM indicators i JOIN posts p ON p.uid = i.post_uid
            {where} ORDER BY i.time DESC, i.post_uid, i.start LIMIT ?"""
        rows = con.execute(sql, [*params, q.limit]).fetchall()
        names = [d[0] for d in con.description or []]
        return [dict(zip(names, r, strict=True)) for r in rows]
    group = "i.source_id" if q.by == "source" else f"i.{q.by}"
    period = f"date_trunc('{q.per}', timezone(?, i.time))::DATE" if q.per else "NULL::DATE"
    period_params = [q.timezone] if q.per else []
    sql = f"""
        SELECT period, "group", occurrences, posts, first_seen, last_seen FROM (
          SELECT {period} AS period, {group} AS "group", count(*) AS occurrences,
                 count(DISTINCT i.post_uid) AS posts, min(i.time) AS first_seen,
                 max(i.time) AS last_seen
          FROM indicators i {where} GROUP BY 1, 2
        ) t
        QUALIFY row_number() OVER (PARTITION BY period ORDER BY occurrences DESC, "group")
                <= ?
        ORDER BY period NULLS FIRST, occurrences DESC, "group" """
    rows = con.execute(sql, [*period_params, *params, q.top]).fetchall()
    names = ["period", q.by, "occurrences", "posts", "first_seen", "last_seen"]
    out = [dict(zip(names, r, strict=True)) for r in rows]
    if not q.per:
        for r in out:
            del r["period"]
    return out
