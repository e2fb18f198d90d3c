"""Return events (the strict threshold, the config key, the weekly metric, the demo's planted
returning members), new-member cohorts on a planted set, and concentration (top-p% shares
and Gini) against a Python oracle on random data."""

from __future__ import annotations

import dataclasses
import json
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from groundswell import ConfigError, ImportOptions, Metric, Workspace
from groundswell.actors import cohorts, profiles, returns
from groundswell.errors import MetricError
from groundswell.store.duckdb import fill_accounts
from tests.demo.test_generate import SCALE
from tests.demo.test_stories import build

T0 = datetime(2019, 1, 1, tzinfo=UTC)
DAY = timedelta(days=180)


def at(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


POSTS = [  # (author, time, section)
    ("Heron", T0, "lobby"),
    ("Heron", T0 + DAY, "lobby"),  # exactly 180 days later: not a return
    ("Heron", T0 + 2 * DAY + timedelta(seconds=1), "news"),  # 180 days and a second: a return
    ("Stork", T0, "lobby"),
    ("Stork", T0 + timedelta(days=10), "lobby"),
    ("Stork", T0 + timedelta(days=400), "market"),  # 390 days away
    *(("Crane", T0 + timedelta(days=7 * i), "lobby") for i in range(60)),  # weekly: never away
]


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    root = tmp_path_factory.mktemp("returns")
    rows = [
        {"id": f"p{i}", "time": at(t), "author": a, "text": f"post {i}", "section": s}
        for i, (a, t, s) in enumerate(POSTS)
    ]
    path = root / "chat.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    w = Workspace.init(root / "ws")
    w.import_(
        "jsonl", [path], options=ImportOptions(source="chat", mapping={"author_id": "author"})
    )
    yield w
    w.close()


def with_days(ws: Workspace, value: Any) -> None:
    ws.config = dataclasses.replace(
        ws.config, raw={**ws.config.raw, "actors": {"dormant_days": value}}
    )


def test_a_gap_of_exactly_the_threshold_is_not_a_return(ws: Workspace) -> None:
    events = returns.events(ws)  # brings the profiles and returns up to date
    got = {(e["name"], e["time"], e["previous"], e["section"]) for e in events}
    assert got == {
        ("Heron", T0 + 2 * DAY + timedelta(seconds=1), T0 + DAY, "news"),
        ("Stork", T0 + timedelta(days=400), T0 + timedelta(days=10), "market"),
    }
    gaps = {e["name"]: e["gap_days"] for e in events}
    assert gaps["Stork"] == 390 and gaps["Heron"] == pytest.approx(180 + 1 / 86400)
    heron = profiles.profile(ws, "heron")[0]
    assert [r["time"] for r in heron["returns"]] == [T0 + 2 * DAY + timedelta(seconds=1)]
    assert returns.events(ws, since=datetime(2020, 1, 1)) == [
        e for e in events if e["name"] == "Stork"
    ]


def test_returns_per_week_is_a_metric(ws: Workspace) -> None:
    returns.events(ws)
    s = ws.trend(Metric(table="returns", period="week"), project=False)
    counted = {start.date(): v for start, v in zip(s.starts, s.values[0], strict=True) if v}
    assert counted == {date(2019, 12, 23): 1, date(2020, 2, 3): 1}  # Mondays of the two weeks
    by = ws.trend(Metric(table="returns", period="year", by=("section",)), project=False)
    assert by.facets == [("market",), ("news",)] and np.nansum(by.values) == 2


def test_the_threshold_comes_from_the_config(ws: Workspace) -> None:
    original = ws.config
    try:
        with_days(ws, 100)
        assert returns.dormant_days(ws) == 100 and profiles.stale(ws)
        events = returns.events(ws)  # recomputed with the new threshold
        assert Counter(e["name"] for e in events) == {"Heron": 2, "Stork": 1}
        with_days(ws, 2.5)
        assert len(returns.events(ws)) == 4 + 59  # Crane's weekly gaps count now
        for bad in (0, -3, "long", True):
            with_days(ws, bad)
            with pytest.raises(ConfigError, match=r"actors\.dormant_days"):
                returns.dormant_days(ws)
    finally:
        ws.config = original
    assert len(returns.events(ws)) == 2 and not profiles.stale(ws)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Workspace, Any]]:
    ws, truth = build(tmp_path_factory.mktemp("demo-returns"), SCALE)
    yield ws, truth
    ws.close()


def test_the_demos_returning_members_exactly(demo: tuple[Workspace, Any]) -> None:
    ws, truth = demo
    profiles.rebuild(ws)
    rows = ws.sql("""
        SELECT s.name AS forum, a.name, r.time, r.previous, r.gap_days
        FROM returns r JOIN actors a USING (account) JOIN sources s ON s.source_id = r.source_id
        WHERE s.platform = 'forum' ORDER BY 1, 2""").to_pylist()
    want = sorted(truth["returning_members"], key=lambda m: (m["forum"], m["name"]))
    assert [(r["forum"], r["name"]) for r in rows] == [(m["forum"], m["name"]) for m in want]
    for r, m in zip(rows, want, strict=True):
        assert r["time"].date().isoformat() == m["returned"]
        assert r["previous"].date().isoformat() == m["last_post_before_gap"]
        assert abs(r["gap_days"] - m["gap_days"]) < 1


# -- cohorts ---------------------------------------------------------------------------------
def insert(
    ws: Workspace, posts: list[tuple[str, datetime, str]], links: list[int] | None = None
) -> None:
    """Posts (author, time, source) written by SQL, as the benchmarks do, with ``links[i]``
    URL indicators on post i (the second of a post's links inside a quote)."""
    con = ws.store.con
    con.execute("DELETE FROM posts; DELETE FROM accounts; DELETE FROM indicators")
    rows = [(i, src, str(i), t, a) for i, (a, t, src) in enumerate(posts)]
    con.executemany(
        "INSERT INTO posts (uid, source_id, native_id, time, author_id, import_id, "
        "first_import_id) VALUES (?, ?, ?, ?, ?, 1, 1)",
        rows,
    )
    ind = [
        (i, posts[i][2], posts[i][1], f"https://x.example/{i}/{j}", j == 1)
        for i, n in enumerate(links or [])
        for j in range(n)
    ]
    if ind:
        con.executemany(
            "INSERT INTO indicators (post_uid, source_id, time, field, kind, value, in_quote) "
            "VALUES (?, ?, ?, 'text', 'url', ?, ?)",
            ind,
        )
    fill_accounts(con)


@pytest.fixture(scope="module")
def bare(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    w = Workspace.init(tmp_path_factory.mktemp("cohorts") / "ws")
    yield w
    w.close()


def m(month: int, day: int = 5) -> datetime:
    return datetime(2020, month, day, 12, tzinfo=UTC)


def test_cohorts_and_their_retention(bare: Workspace) -> None:
    insert(bare, [("A", m(1), "s"), ("A", m(2), "s"), ("A", m(4), "s"), ("B", m(1, 20), "t"),
                  ("C", m(2), "s"), ("C", m(3), "s")])  # fmt: skip
    got = cohorts.cohorts(bare, "month")
    assert [(c["cohort"].date(), c["size"], c["active"]) for c in got] == [
        (date(2020, 1, 1), 2, [2, 1, 0, 1]),
        (date(2020, 2, 1), 1, [1, 1, 0]),
    ]
    assert got[0]["retention"] == [1, 0.5, 0, 0.5]
    on_s = cohorts.cohorts(bare, "month", source="s")
    assert [(c["cohort"].month, c["active"]) for c in on_s] == [(1, [1, 1, 0, 1]), (2, [1, 1, 0])]
    weeks = cohorts.cohorts(bare, "week")
    assert weeks[0]["cohort"].weekday() == 0 and weeks[0]["size"] == 1  # A alone: B is later
    # C confirmed as an alias of A: one person, first seen in January
    bare.store.con.execute(
        "UPDATE accounts SET person = (SELECT account FROM accounts WHERE author_id = 'A') "
        "WHERE author_id IN ('A', 'C')"
    )
    got = cohorts.cohorts(bare, "month")
    assert [(c["size"], c["active"]) for c in got] == [(2, [2, 1, 1, 1])]
    with pytest.raises(MetricError, match="unknown period"):
        cohorts.cohorts(bare, "fortnight")


# -- concentration ---------------------------------------------------------------------------
def oracle(
    posts: list[tuple[str, datetime, str]], weights: list[int], by_source: bool
) -> dict[tuple[str, ...], dict[date, float]]:
    """{(facet..., measure): {month: value}} computed the slow, obvious way."""
    counts: dict[tuple[str, date], Counter[tuple[str, str]]] = defaultdict(Counter)
    for (a, t, src), w in zip(posts, weights, strict=True):
        if w:  # an actor is an author on one source (an account)
            counts[(src if by_source else "", date(t.year, t.month, 1))][(src, a)] += w
    out: dict[tuple[str, ...], dict[date, float]] = defaultdict(dict)
    for (src, month), per in counts.items():
        xs = sorted(per.values(), reverse=True)
        n, total = len(xs), sum(xs)
        key = (src,) if by_source else ()
        for p in (1, 5, 10):
            k = -(-p * n // 100)  # ceil
            out[(*key, f"top {p}%")][month] = float(Fraction(sum(xs[:k]), total))
        asc = xs[::-1]
        gini = Fraction(2 * sum((i + 1) * x for i, x in enumerate(asc)), n * total)
        out[(*key, "gini")][month] = float(gini - Fraction(n + 1, n))
    return out


def observed(series: Any) -> dict[tuple[str, ...], dict[date, float]]:
    got: dict[tuple[str, ...], dict[date, float]] = {}
    for f, key in enumerate(series.facets):
        got[key] = {
            s.date(): float(v) for s, v in zip(series.starts, series.values[f], strict=True)
            if not np.isnan(v)
        }  # fmt: skip
    return {k: v for k, v in got.items() if v}


POST = st.tuples(
    st.sampled_from(["a", "b", "c", "d", "e", "f", "g"]),
    st.integers(0, 120),  # days into 2020
    st.sampled_from(["s1", "s2"]),
    st.integers(0, 2),  # URL indicators
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(POST, min_size=1, max_size=60))
def test_concentration_matches_the_oracle(bare: Workspace, drawn: list[Any]) -> None:
    posts = [
        (a, datetime(2020, 1, 1, 6, tzinfo=UTC) + timedelta(days=d), s) for a, d, s, _ in drawn
    ]
    links = [n for *_, n in drawn]
    insert(bare, posts, links)
    outside = [min(n, 1) for n in links]  # the second link of a post is inside a quote
    for by_source in (False, True):
        s = cohorts.concentration(bare, "month", by_source=by_source)
        assert s.unit == "share" and s.facet_fields[-1] == "measure"
        want = oracle(posts, [1] * len(posts), by_source)
        got = observed(s)
        assert got.keys() == want.keys()
        for key, per in want.items():
            assert got[key] == pytest.approx(per, abs=1e-12), key
        links_got = observed(cohorts.concentration(bare, "month", by_source, what="links"))
        links_want = oracle(posts, outside, by_source)
        assert links_got.keys() == links_want.keys()
        for key, per in links_want.items():
            assert links_got[key] == pytest.approx(per, abs=1e-12), key


def test_concentration_conventions(bare: Workspace) -> None:
    # 150 actors in January: the top 1% is ceil(1.5) = 2 actors
    posts = [(f"u{i}", m(1), "s") for i in range(150)] + [("u0", m(1), "s"), ("u1", m(1), "s")]
    posts += [("solo", m(3), "s")] * 4  # March: one actor, Gini 0; February: nobody
    insert(bare, posts)
    s = cohorts.concentration(bare, "month")
    assert [d.month for d in s.starts] == [1, 2, 3]
    assert s.values[s.row(("top 1%",)), 0] == pytest.approx(4 / 152)
    assert np.isnan(s.values[:, 1]).all()
    assert s.values[s.row(("gini",)), 2] == 0 and s.values[s.row(("top 10%",)), 2] == 1
    with pytest.raises(MetricError, match="concentration of 'likes'"):
        cohorts.concentration(bare, what="likes")
