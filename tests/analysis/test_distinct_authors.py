"""Distinct authors of posts, counted as bitmaps over the dense account numbers (or, past the
memory budget, with count(DISTINCT)): exactly the distinct (source, author id) pairs, on random
posts with facets, top-N, timezones, ranges and where-filters."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import ibis
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from groundswell import Metric, Workspace, parse_filters
from groundswell.analysis import compile as cc
from tests.analysis.test_trends import SECTIONS, SOURCES, add_posts, as_dict, period_start

T0 = datetime(2019, 12, 1, tzinfo=UTC)
LANGUAGES = ["en", "nl", None]
WHERE = {
    "none": [],
    "language": ["language = en"],
    "section": ["section != Uploads"],
    "sources": ["source in (forum:A, telegram:C)", "language is not null"],
}
BY: dict[str, tuple[str, ...]] = {
    "none": (),
    "language": ("language",),
    "source": ("source",),
    "section, language": ("section", "language"),
    "author": ("author_id",),
}


def posts(rows: list[tuple[int, int, int | None, int, int]]) -> list[dict[str, Any]]:
    return [
        {
            "uid": i + 1,
            "time": T0 + timedelta(seconds=t),
            "source_id": SOURCES[s],
            "author_id": None if a is None else f"a{a}",
            "language": LANGUAGES[lang],
            "section": SECTIONS[sec],
        }
        for i, (t, s, a, lang, sec) in enumerate(rows)
    ]


def keep(row: dict[str, Any], where: str) -> bool:
    return {
        "none": True,
        "language": row["language"] == "en",
        "section": row["section"] != "Uploads",
        "sources": row["source_id"] in ("forum:A", "telegram:C") and row["language"] is not None,
    }[where]


def oracle(
    rows: list[dict[str, Any]], period: str, zone: str, by: tuple[str, ...], where: str
) -> dict[tuple[Any, datetime], int]:
    """Distinct (source, author id) pairs per facet and local period, the slow way."""
    fields = [{"source": "source_id"}.get(f, f) for f in by]
    pairs: dict[tuple[Any, datetime], set[tuple[str, str]]] = defaultdict(set)
    for r in rows:
        if not keep(r, where):
            continue
        key = tuple("(none)" if r[f] is None else r[f] for f in fields)
        group = pairs[(key, period_start(r["time"], period, ZoneInfo(zone)))]
        if r["author_id"] is not None:
            group.add((r["source_id"], r["author_id"]))
    return {k: len(v) for k, v in pairs.items()}


def reset(ws: Workspace, rows: list[dict[str, Any]]) -> None:
    for table in ("posts", "accounts", "sources"):
        ws.store.con.execute(f"DELETE FROM {table}")
    add_posts(ws, rows)


def same(a: Any, b: Any) -> None:
    assert a.facets == b.facets and a.starts == b.starts
    assert np.array_equal(a.values, b.values, equal_nan=True)
    assert np.array_equal(a.status, b.status)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(
        st.tuples(
            st.integers(0, 420 * 86400),
            st.integers(0, len(SOURCES) - 1),
            st.none() | st.integers(0, 12),
            st.integers(0, len(LANGUAGES) - 1),
            st.integers(0, len(SECTIONS) - 1),
        ),
        min_size=1,
        max_size=80,
    ),
    period=st.sampled_from(["hour", "day", "week", "month", "quarter", "year"]),
    zone=st.sampled_from(["UTC", "Europe/Amsterdam", "America/Chicago", "Asia/Kolkata"]),
    by=st.sampled_from(sorted(BY)),
    where=st.sampled_from(sorted(WHERE)),
    top=st.sampled_from([None, 1, 2]),
    since_days=st.sampled_from([None, 90, 300]),
)
def test_distinct_authors_are_exact(
    ws: Workspace,
    monkeypatch: pytest.MonkeyPatch,
    rows: list[tuple[int, int, int | None, int, int]],
    period: str,
    zone: str,
    by: str,
    where: str,
    top: int | None,
    since_days: int | None,
) -> None:
    if period == "hour":  # (a grid of hours over 420 days is large and tells nothing more)
        rows = [(t % (20 * 86400), *rest) for t, *rest in rows]
        since_days = None
    data = posts(rows)
    reset(ws, data)
    metric = Metric(
        measure="distinct",
        column="author_id",
        period=period,
        timezone=zone,
        by=BY[by],
        top=top if BY[by] else None,
        where=parse_filters(WHERE[where]),
    )
    since = (
        None
        if since_days is None
        else (T0 + timedelta(days=since_days)).astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    )
    bitmaps = ws.trend(metric, since=since, project=False)
    monkeypatch.setattr(cc, "BITMAP_BUDGET", 0)  # count(DISTINCT account)
    counted = ws.trend(metric, since=since, project=False)
    monkeypatch.undo()
    same(bitmaps, counted)
    if metric.top:
        return  # (the oracle does not rank; both ways agree above)
    lo = None if since is None else since.replace(tzinfo=ZoneInfo(zone))
    kept = [r for r in data if lo is None or r["time"] >= lo]
    got = as_dict(bitmaps)
    for k, n in oracle(kept, period, zone, BY[by], where).items():
        assert got[k] == n, k


def test_the_budget_chooses_bitmaps_or_count_distinct(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bitmaps while groups x accounts / 8 bytes (per thread) stay under the budget; the
    estimate counts periods, a top-N's kept values and the columns' distinct values."""
    rows = [
        {
            "uid": i + 1,
            "time": T0 + timedelta(hours=7 * i),
            "source_id": SOURCES[i % 3],
            "author_id": f"a{i % 50}",
            "language": LANGUAGES[i % 2],
            "section": SECTIONS[i % 3],
        }
        for i in range(600)
    ]
    add_posts(ws, rows)
    eng = ws.engine

    def sql(metric: Metric, keep: list[str] | None = None) -> str:
        return str(ibis.to_sql(cc.aggregate(eng, metric, "UTC", period=metric.period, keep=keep)))

    m = Metric(measure="distinct", column="author_id", period="day", by=("section",))
    assert eng.accounts() == 150  # 50 ids on 3 sources
    assert "BITSTRING_AGG" in sql(m)
    # 175 days x (3 sections x 1.25 + 1) groups x 19 bytes x threads
    need = 175 * (3 * 1.25 + 1) * 19 * eng.threads()
    monkeypatch.setattr(cc, "BITMAP_BUDGET", int(need * 1.05))
    assert "BITSTRING_AGG" in sql(m)
    monkeypatch.setattr(cc, "BITMAP_BUDGET", int(need * 0.95))
    assert "BITSTRING_AGG" not in sql(m) and "COUNT(DISTINCT" in sql(m)
    top = Metric(measure="distinct", column="author_id", period="day", by=("section",), top=1)
    assert "BITSTRING_AGG" in sql(top, keep=["Uploads"])  # 2 values: the kept one, "other"
    # other measures and tables are untouched
    monkeypatch.undo()
    assert "BITSTRING_AGG" not in sql(Metric(measure="distinct", column="section", period="day"))


def test_an_empty_store_counts_no_authors(ws: Workspace) -> None:
    m = Metric(measure="distinct", column="author_id", period="month")
    assert ws.engine.accounts() == 0
    add_posts(ws, [{"uid": 1, "time": T0, "source_id": "forum:A"}])  # no author
    assert ws.trend(m, project=False).values.tolist() == [[0.0]]


def test_distinct_values_are_counted_not_taken_from_stale_statistics(ws: Workspace) -> None:
    rows = [
        {"uid": i + 1, "time": T0, "source_id": SOURCES[i % 3], "language": LANGUAGES[i % 3]}
        for i in range(300)
    ]
    add_posts(ws, rows)
    assert ws.engine.distinct_values("posts", "language") == 2
    ws.store.con.execute("UPDATE posts SET language = 'l' || (uid % 7)")  # (stats still say 2)
    assert cc.Engine(ws.store.con).distinct_values("posts", "language") == 7
    assert cc.Engine(ws.store.con).distinct_values("posts", "tags") >= 0  # (a list column)
