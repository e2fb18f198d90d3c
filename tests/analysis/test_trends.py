"""Trends against an independent pure-Python computation: every measure, period boundary
(ISO weeks across year ends, DST in a named timezone), facet, top-N, share, coverage and
projection, on rows written straight into a workspace's store."""

from __future__ import annotations

import csv
import math
import random
import statistics
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from groundswell import Metric, MetricError, Workspace, parse_filters
from groundswell.analysis.series import MISSING, OBSERVED, PROJECTED
from groundswell.analysis.transforms import parse as parse_transform
from groundswell.store.duckdb import fill_accounts

AMS = ZoneInfo("Europe/Amsterdam")
SOURCES = ["forum:A", "forum:B", "telegram:C"]
SECTIONS = ["General chat", "Uploads", "Dutch chat"]


def add_posts(ws: Workspace, rows: list[dict[str, Any]]) -> None:
    """Posts (uid, source_id, time, section, author_id, language, likes, tags) and their
    sources, straight into the store."""
    con = ws.store.con
    cols = ["uid", "source_id", "time", "section", "author_id", "language", "likes", "tags"]
    types = [pa.int64(), pa.string(), pa.timestamp("us", tz="UTC"), pa.string(), pa.string(),
             pa.string(), pa.int64(), pa.list_(pa.string())]  # fmt: skip
    batch = pa.table(
        {c: pa.array([r.get(c) for r in rows], t) for c, t in zip(cols, types, strict=True)}
    )
    con.register("new_posts", batch)
    con.execute(
        "INSERT INTO posts (uid, source_id, native_id, time, section, author_id, language, likes, "
        "tags, import_id, first_import_id) SELECT uid, source_id, uid::VARCHAR, time, section, "
        "author_id, language, likes, tags, 1, 1 FROM new_posts"
    )
    con.unregister("new_posts")
    fill_accounts(con)  # as the import merge does
    for s in sorted({r["source_id"] for r in rows}):
        times = [r["time"] for r in rows if r["source_id"] == s]
        con.execute(
            "INSERT INTO sources (source_id, platform, first_time, last_time, posts) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            [s, s.split(":")[0], min(times), max(times), len(times)],
        )


def cover(ws: Workspace, source: str, start: datetime, end: datetime) -> None:
    ws.store.con.execute(
        "INSERT INTO coverage VALUES (?, 1, ?, ?, 'declared')", [source, start, end]
    )


def random_posts(seed: int, n: int, start: datetime, days: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        out.append(
            {
                "uid": i + 1,
                "source_id": rng.choice(SOURCES),
                "time": start + timedelta(seconds=rng.randrange(days * 86400)),
                "section": rng.choice(SECTIONS),
                "author_id": f"a{rng.randrange(40)}",
                "language": rng.choice(["en", "nl", "ru", None]),
                "likes": rng.choice([None, *range(0, 50)]),
                "tags": rng.choice([None, [], ["Original"], ["Original", "x"], ["x"]]),
            }
        )
    return out


# -- the oracle: calendar periods the slow way ----------------------------------------------
def period_start(t: datetime, period: str, zone: ZoneInfo) -> datetime:
    local = t.astimezone(zone).replace(tzinfo=None)
    if period == "hour":
        return local.replace(minute=0, second=0, microsecond=0)
    d = local.date()
    if period == "week":
        y, w, _ = d.isocalendar()
        d = date.fromisocalendar(y, w, 1)
    elif period == "month":
        d = d.replace(day=1)
    elif period == "quarter":
        d = date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)
    elif period == "year":
        d = date(d.year, 1, 1)
    return datetime(d.year, d.month, d.day)


def oracle(
    rows: list[dict[str, Any]], period: str, zone: ZoneInfo, key: Any = lambda r: ()
) -> dict[tuple[Any, datetime], list[dict[str, Any]]]:
    groups: dict[tuple[Any, datetime], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        groups[(key(r), period_start(r["time"], period, zone))].append(r)
    return groups


def as_dict(series: Any) -> dict[tuple[Any, datetime], float]:
    out = {}
    for f, k in enumerate(series.facets):
        for t, s in enumerate(series.starts):
            out[(k, s.replace(tzinfo=None))] = series.values[f, t]
    return out


# -- periods -----------------------------------------------------------------------------
@pytest.mark.parametrize("period", ["hour", "day", "week", "month", "quarter", "year"])
def test_counts_per_period_in_a_timezone_with_dst(ws: Workspace, period: str) -> None:
    """Europe/Amsterdam across both 2020 DST changes and a year end."""
    rows = random_posts(1, 1500, datetime(2019, 12, 20, tzinfo=UTC), 320)
    add_posts(ws, rows)
    series = ws.trend(
        Metric(period=period, timezone="Europe/Amsterdam"),
        since=datetime(2019, 12, 20),
        project=False,
    )
    want = {k[1]: len(v) for k, v in oracle(rows, period, AMS).items()}
    got = as_dict(series)
    assert {s for (_, s), v in got.items() if v > 0} == set(want)
    for s, n in want.items():
        assert got[((), s)] == n
    gaps = [b - a for a, b in zip(series.starts, series.starts[1:], strict=False)]
    assert all(series.starts[i] < series.starts[i + 1] for i in range(len(gaps)))
    if period == "week":
        assert all(s.weekday() == 0 for s in series.starts)


def test_iso_week_across_the_year_end(ws: Workspace) -> None:
    days = [datetime(2019, 12, 29, 12, tzinfo=UTC) + timedelta(days=i) for i in range(9)]
    add_posts(ws, [{"uid": i + 1, "source_id": "forum:A", "time": t} for i, t in enumerate(days)])
    s = ws.trend(Metric(period="week"), project=False)
    assert [x.date() for x in s.starts] == [
        date(2019, 12, 23),
        date(2019, 12, 30),
        date(2020, 1, 6),
    ]
    assert s.values[0].tolist() == [1, 7, 1]  # Mon 30 Dec .. Sun 5 Jan is 2020-W01


def test_hours_around_the_spring_forward_gap(ws: Workspace) -> None:
    # 2020-03-29: 02:00 local does not exist in Amsterdam (01:00 UTC is 03:00 local)
    times = [datetime(2020, 3, 29, 0, 30, tzinfo=UTC) + timedelta(minutes=30 * i) for i in range(6)]
    add_posts(ws, [{"uid": i + 1, "source_id": "forum:A", "time": t} for i, t in enumerate(times)])
    s = ws.trend(Metric(period="hour", timezone="Europe/Amsterdam"), project=False)
    got = {k[1]: v for k, v in as_dict(s).items() if v}
    want = {k[1]: len(v) for k, v in oracle([{"time": t} for t in times], "hour", AMS).items()}
    assert got == want
    assert datetime(2020, 3, 29, 1) in got and datetime(2020, 3, 29, 3) in got


MEASURES = {
    "distinct": lambda xs: len(set(xs)),
    "sum": sum,
    "mean": statistics.fmean,
    "median": statistics.median,
    "p90": lambda xs: float(np.percentile(xs, 90)),
    "min": min,
    "max": max,
}


# -- measures ----------------------------------------------------------------------------
@pytest.mark.parametrize("measure", ["distinct", "sum", "mean", "median", "p90", "min", "max"])
def test_measures_by_facet(ws: Workspace, measure: str) -> None:
    rows = random_posts(2, 800, datetime(2020, 1, 1, tzinfo=UTC), 90)
    add_posts(ws, rows)
    column = "author_id" if measure == "distinct" else "likes"
    s = ws.trend(
        Metric(measure=measure, column=column, period="month", by=("source",)), project=False
    )
    got = as_dict(s)
    for (key, start), group in oracle(
        rows, "month", ZoneInfo("UTC"), lambda r: (r["source_id"],)
    ).items():
        xs = [r[column] for r in group if r[column] is not None]
        want = MEASURES[measure](xs)
        assert got[(key, start)] == pytest.approx(want)


def test_two_facets_and_top_n_with_other(ws: Workspace) -> None:
    rows = random_posts(3, 900, datetime(2020, 1, 1, tzinfo=UTC), 60)
    add_posts(ws, rows)
    s = ws.trend(Metric(period="month", by=("section", "language")), project=False)
    want = oracle(
        rows, "month", ZoneInfo("UTC"), lambda r: (r["section"], r["language"] or "(none)")
    )
    got = as_dict(s)
    for k, group in want.items():
        assert got[k] == len(group)
    totals: dict[str, int] = defaultdict(int)
    for r in rows:
        totals[r["author_id"]] += 1
    top = sorted(totals, key=lambda a: (-totals[a], a))[:3]
    s = ws.trend(Metric(period="month", by=("author_id",), top=3), project=False)
    assert [k[0] for k in s.facets] == [*top, "other"]
    assert s.values.sum() == len(rows)
    authors = ws.trend(
        Metric(measure="distinct", column="author_id", by=("section",), top=1, period="year"),
        project=False,
    )
    biggest = max(SECTIONS, key=lambda x: (sum(r["section"] == x for r in rows), x))
    rest = {(r["source_id"], r["author_id"]) for r in rows if r["section"] != biggest}
    assert authors.values[authors.row(("other",)), 0] == len(rest)  # not a sum of distincts


def test_share_of_rows(ws: Workspace) -> None:
    rows = random_posts(4, 600, datetime(2020, 1, 1, tzinfo=UTC), 60)
    add_posts(ws, rows)
    m = Metric(
        period="month",
        where=parse_filters(["section = Uploads"]),
        share=parse_filters(["tags contains Original"]),
    )
    got = as_dict(ws.trend(m, project=False))
    for (_, start), group in oracle(
        [r for r in rows if r["section"] == "Uploads"], "month", ZoneInfo("UTC")
    ).items():
        want = sum(1 for r in group if r["tags"] and "Original" in r["tags"]) / len(group)
        assert got[((), start)] == pytest.approx(want)


def test_durations_on_an_event_table(ws: Workspace, tmp_path: Path) -> None:
    rng = random.Random(5)
    calls = []
    for i in range(700):
        q = datetime(2020, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randrange(60 * 24 * 70))
        a = q + timedelta(seconds=rng.randrange(60, 3600)) if rng.random() > 0.05 else None
        calls.append({"id": i, "queued_at": q, "assigned_at": a, "priority": rng.choice([1, 2, 3]),
                      "precinct": rng.choice(["North", "South"])})  # fmt: skip
    path = tmp_path / "calls.csv"
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["call_id", "queued_at", "assigned_at", "priority", "precinct"])
        for c in calls:
            w.writerow(
                [
                    c["id"],
                    c["queued_at"].isoformat(),
                    c["assigned_at"].isoformat() if c["assigned_at"] else "",
                    c["priority"],
                    c["precinct"],
                ]
            )
    ws.import_table(path, name="calls", time_column="queued_at")
    chicago = ZoneInfo("America/Chicago")
    for measure, f in (
        ("mean", statistics.fmean),
        ("median", statistics.median),
        ("p90", lambda xs: float(np.percentile(xs, 90))),
    ):
        m = Metric(
            table="calls",
            measure=measure,
            duration=("queued_at", "assigned_at"),
            period="week",
            by=("precinct",),
            where=parse_filters(["priority = 1"]),
            timezone="America/Chicago",
        )
        got = as_dict(ws.trend(m, project=False))
        p1 = [c for c in calls if c["priority"] == 1]
        for (key, start), group in oracle(
            [dict(c, time=c["queued_at"]) for c in p1], "week", chicago, lambda r: (r["precinct"],)
        ).items():
            xs = [
                (c["assigned_at"] - c["queued_at"]).total_seconds() / 60
                for c in group
                if c["assigned_at"]
            ]
            assert got[(key, start)] == pytest.approx(f(xs))
    counts = ws.trend(
        Metric(table="calls", period="week", by=("precinct",), timezone="America/Chicago"),
        project=False,
    )
    assert counts.values.sum() == len(calls)


# -- coverage and projection ---------------------------------------------------------------
def test_uncollected_periods_are_missing_and_empty_covered_ones_zero(ws: Workspace) -> None:
    t0 = datetime(2020, 1, 1, tzinfo=UTC)
    rows = [
        {"uid": i + 1, "source_id": "forum:A", "time": t0 + timedelta(days=d)}
        for i, d in enumerate([0, 1, 2, 9, 10])
    ]
    rows += [
        {"uid": 100 + i, "source_id": "forum:B", "time": t0 + timedelta(days=d)}
        for i, d in enumerate([0, 1, 10])
    ]
    add_posts(ws, rows)
    cover(ws, "forum:A", t0, t0 + timedelta(days=3) - timedelta(seconds=1))  # days 0-2
    cover(ws, "forum:A", t0 + timedelta(days=9), t0 + timedelta(days=11) - timedelta(seconds=1))
    cover(ws, "forum:B", t0, t0 + timedelta(days=11) - timedelta(seconds=1))  # all, quiet days
    s = ws.trend(Metric(period="day", by=("source",)), project=False)
    a, b = s.row(("forum:A",)), s.row(("forum:B",))
    assert s.status[a].tolist() == [OBSERVED] * 3 + [MISSING] * 6 + [OBSERVED] * 2
    assert np.isnan(s.values[a, 3:9]).all()
    assert s.values[b].tolist() == [1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1]  # true zeros
    whole = ws.trend(Metric(period="day"), project=False)
    assert (whole.status == OBSERVED).all()  # forum:B was collected every day
    top = ws.trend(Metric(period="day", by=("source",), top=1), project=False)
    assert top.facets == [("forum:A",), ("other",)]  # "other" is forum:B, with its coverage
    assert (top.status[1] == OBSERVED).all() and top.values[1].sum() == 3
    cover(ws, "forum:B", t0 + timedelta(days=11), t0 + timedelta(days=14) - timedelta(seconds=1))
    later = ws.trend(Metric(period="day", by=("source",)), project=False)
    assert len(later.starts) == 14  # quiet days after the last post, inside coverage, are zeros
    assert later.values[later.row(("forum:B",)), 11:].tolist() == [0, 0, 0]


def test_projection_of_the_incomplete_month_by_weekday(ws: Workspace) -> None:
    rng = random.Random(6)
    rows = []
    t0 = datetime(2020, 4, 1, tzinfo=UTC)
    for d in range(75):  # to 14 June; weekends are busier
        day = t0 + timedelta(days=d)
        for _ in range(30 if day.weekday() >= 5 else 10):
            rows.append(
                {
                    "uid": len(rows) + 1,
                    "source_id": "forum:A",
                    "time": day + timedelta(seconds=rng.randrange(86400)),
                }
            )
    add_posts(ws, rows)
    as_of = datetime(2020, 6, 14, 12, tzinfo=UTC)
    s = ws.trend(Metric(period="month"), as_of=as_of)
    assert s.status[0].tolist() == [OBSERVED, OBSERVED, PROJECTED]
    so_far = sum(1 for r in rows if datetime(2020, 6, 1, tzinfo=UTC) <= r["time"] <= as_of)
    assert s.partial is not None and s.partial[0, 2] == so_far
    # the oracle: weekday means over the 56 days before 14 June, then scale
    window = [
        r
        for r in rows
        if datetime(2020, 4, 19, tzinfo=UTC) <= r["time"] < datetime(2020, 6, 14, tzinfo=UTC)
    ]
    w = [0.0] * 7
    for r in window:
        w[r["time"].weekday()] += 1
    june = [date(2020, 6, 1) + timedelta(days=i) for i in range(30)]
    whole = sum(w[d.weekday()] for d in june)
    elapsed = sum(w[d.weekday()] for d in june if d < date(2020, 6, 14)) + w[6] * 0.5
    assert s.values[0, 2] == pytest.approx(so_far * whole / elapsed)
    assert s.values[0, 2] == pytest.approx(10 * 22 + 30 * 8, rel=0.05)  # what June would hold
    assert any("projected" in n for n in s.notes)
    done = ws.trend(Metric(period="month"), as_of=datetime(2020, 6, 30, 23, tzinfo=UTC))
    assert done.status[0, -1] == OBSERVED  # less than a day left: complete


# -- filters -----------------------------------------------------------------------------
def test_filters_typed_and_injection_safe(ws: Workspace) -> None:
    rows = random_posts(7, 300, datetime(2020, 1, 1, tzinfo=UTC), 30)
    add_posts(ws, rows)

    def count(*where: str) -> float:
        return float(
            ws.trend(Metric(period="year", where=parse_filters(where)), project=False).values.sum()
        )

    assert count("likes >= 10", "likes < 20") == sum(
        1 for r in rows if r["likes"] is not None and 10 <= r["likes"] < 20
    )
    assert count("section in 'General chat', Uploads") == sum(
        r["section"] in ("General chat", "Uploads") for r in rows
    )
    assert count("section not in Uploads") == sum(r["section"] != "Uploads" for r in rows)
    assert count("source startswith forum:") == sum(
        r["source_id"].startswith("forum:") for r in rows
    )
    assert count("language is null") == sum(r["language"] is None for r in rows)
    assert count("tags contains x") == sum(bool(r["tags"] and "x" in r["tags"]) for r in rows)
    assert count("section = x'); DROP TABLE posts; --") == 0
    assert ws.sql("SELECT count(*) AS n FROM posts").column("n")[0].as_py() == len(rows)
    for bad, message in (
        ("nosuch = 1", "no column 'nosuch'"),
        ("likes = many", "likes is int64"),
        ("likes ~ 3", "cannot read"),
        ("time > yesterday", "not one"),
    ):
        with pytest.raises(MetricError, match=message):
            count(bad)
    with pytest.raises(MetricError, match="no table 'nosuch'"):
        ws.trend(Metric(table="nosuch"))


def test_lexicon_filter_counts_posts_with_a_hit_outside_quotes(ws: Workspace) -> None:
    t0 = datetime(2020, 3, 1, tzinfo=UTC)
    add_posts(
        ws,
        [{"uid": i, "source_id": "forum:A", "time": t0 + timedelta(hours=i)} for i in range(1, 6)],
    )
    con = ws.store.con
    for uid, in_quote in ((1, False), (1, False), (2, True), (3, False)):
        con.execute(
            "INSERT INTO indicators (post_uid, source_id, time, field, kind, subkind, value, "
            "in_quote) VALUES (?, 'forum:A', ?, 'text', 'lexicon', 'covid', 'corona', ?)",
            [uid, t0, in_quote],
        )
    s = ws.trend(Metric(period="day", where=parse_filters(["lexicon = covid"])), project=False)
    assert s.values.sum() == 2  # posts 1 and 3 (2 only quotes it)
    hits = ws.trend(
        Metric(
            table="indicators",
            period="day",
            where=parse_filters(["lexicon = covid", "in_quote = false"]),
        ),
        project=False,
    )
    assert hits.values.sum() == 3


# -- property: random event tables -------------------------------------------------------
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    times=st.lists(st.integers(0, 400 * 86400), min_size=1, max_size=60),
    period=st.sampled_from(["day", "week", "month", "quarter"]),
    zone=st.sampled_from(["UTC", "Europe/Amsterdam", "America/Chicago", "Asia/Shanghai"]),
)
def test_counts_match_the_oracle_on_random_times(
    ws: Workspace, times: list[int], period: str, zone: str
) -> None:
    ws.store.con.execute("DELETE FROM posts")
    ws.store.con.execute("DELETE FROM sources")
    t0 = datetime(2019, 11, 1, tzinfo=UTC)
    rows = [
        {"uid": i + 1, "source_id": "forum:A", "time": t0 + timedelta(seconds=x)}
        for i, x in enumerate(times)
    ]
    add_posts(ws, rows)
    s = ws.trend(Metric(period=period, timezone=zone), project=False)
    want = {k[1]: len(v) for k, v in oracle(rows, period, ZoneInfo(zone)).items()}
    got = {s.starts[t].replace(tzinfo=None): s.values[0, t] for t in range(len(s.starts))}
    assert {k for k, v in got.items() if v} == set(want)
    assert all(got[k] == n for k, n in want.items())
    assert math.isclose(s.values.sum(), len(rows))


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(
        st.tuples(st.integers(0, 200 * 86400), st.integers(0, 7200), st.sampled_from("AB")),
        min_size=1,
        max_size=40,
    ),
    measure=st.sampled_from(["mean", "median", "max", "p75"]),
)
def test_durations_match_the_oracle_on_random_event_tables(
    ws: Workspace, tmp_path: Path, rows: list[tuple[int, int, str]], measure: str
) -> None:
    ws.store.con.execute("DROP TABLE IF EXISTS ev_jobs")
    ws.store.con.execute("DELETE FROM event_tables")
    t0 = datetime(2020, 1, 1, tzinfo=UTC)
    path = tmp_path / "jobs.csv"
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["job", "started", "ended", "team"])
        for i, (a, d, team) in enumerate(rows):
            start = t0 + timedelta(seconds=a)
            w.writerow([i, start.isoformat(), (start + timedelta(seconds=d)).isoformat(), team])
    ws.import_table(path, name="jobs", time_column="started", force=True)
    m = Metric(
        table="jobs", measure=measure, duration=("started", "ended"), period="week", by=("team",)
    )
    got = as_dict(ws.trend(m, project=False))
    stats = {
        "mean": statistics.fmean,
        "median": statistics.median,
        "max": max,
        "p75": lambda xs: float(np.percentile(xs, 75)),
    }[measure]
    events = [{"time": t0 + timedelta(seconds=a), "d": d / 60, "team": team} for a, d, team in rows]
    want = oracle(events, "week", ZoneInfo("UTC"), lambda r: (r["team"],))
    for k, group in want.items():
        assert got[k] == pytest.approx(stats([r["d"] for r in group]))


def test_rows_written_after_a_trend_are_read_with_their_own_offsets(ws: Workspace) -> None:
    """The timezone's offsets are taken over the table's current time range, not the one a
    previous trend saw (a summer range gave December posts the summer offset)."""
    summer = [{"uid": 1, "source_id": "forum:A", "time": datetime(2019, 7, 1, 12, tzinfo=UTC)}]
    add_posts(ws, summer)
    ws.trend(Metric(period="day", timezone="America/Chicago"), project=False)
    ws.store.con.execute("DELETE FROM posts")
    ws.store.con.execute("DELETE FROM sources")
    late = datetime(2019, 12, 3, 5, 0, tzinfo=UTC)  # 23:00 on 2 December in Chicago (CST)
    add_posts(ws, [{"uid": 2, "source_id": "forum:A", "time": late}])
    s = ws.trend(Metric(period="day", timezone="America/Chicago"), project=False)
    days = {d.date(): v for d, v in zip(s.starts, s.values[0], strict=True) if v}
    assert days == {date(2019, 12, 2): 1}


def test_a_baseline_of_means_is_the_mean_of_the_window_rows(ws: Workspace) -> None:
    rows = random_posts(9, 600, datetime(2020, 1, 1, tzinfo=UTC), 90)
    add_posts(ws, rows)
    window = [r["likes"] for r in rows if r["likes"] is not None and r["time"].month <= 2]
    base = statistics.fmean(window)  # pooled over January and February, not mean of two means
    s = ws.trend(
        Metric(measure="mean", column="likes", period="month"),
        project=False,
        transforms=[parse_transform("baseline:2020-01-01..2020-02-29")],
    )
    march = [r["likes"] for r in rows if r["likes"] is not None and r["time"].month == 3]
    assert s.values[0, 2] == pytest.approx((statistics.fmean(march) / base - 1) * 100)
    counts = ws.trend(
        Metric(period="month"),
        project=False,
        transforms=[parse_transform("baseline:2020-01-01..2020-02-29")],
    )
    per_month = [sum(1 for r in rows if r["time"].month == m) for m in (1, 2, 3)]
    mean = (per_month[0] + per_month[1]) / 2  # a count's baseline: its mean per period
    assert counts.values[0, 2] == pytest.approx((per_month[2] / mean - 1) * 100)
