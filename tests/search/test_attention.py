"""Attention over time: a search as a series. Its total over a range equals the search's hit
count over the same range, each post falls in its local calendar period (across DST
changes), normalising divides by the posts of the same sources, and the trend engine takes a
search like any other filter."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from groundswell import Metric, Workspace, parse_filters
from groundswell.analysis import compile as cc
from groundswell.errors import MetricError
from groundswell.search.results import SearchFilters
from tests.search.stored import insert_posts

TZ = "Europe/Amsterdam"
WORDS = ["rain", "snow", "hail", "wind", "sun", "fog"]
SOURCES = ["forum:a", "forum:b", "chat:c"]
START = datetime(2020, 2, 20, tzinfo=UTC)  # both DST changes of 2020 fall inside
DAYS = 280


def add_posts(ws: Workspace, seed: int, n: int) -> None:
    rng = random.Random(seed)
    rows = [
        {
            "uid": i + 1,
            "source_id": rng.choice(SOURCES),
            "time": START + timedelta(seconds=rng.randrange(DAYS * 86_400)),
            "text": " ".join(rng.choices(WORDS, k=rng.randint(1, 4))),
            "language": rng.choice(["en", "nl"]),
        }
        for i in range(n)
    ]
    # a few posts right at local midnight on the DST change days, in both directions
    for k, local in enumerate(["2020-03-29 00:00", "2020-03-29 03:00", "2020-10-25 02:30"]):
        t = datetime.fromisoformat(local).replace(tzinfo=ZoneInfo(TZ)).astimezone(UTC)
        rows.append({"uid": n + k + 1, "source_id": "forum:a", "time": t, "text": "rain fog",
                     "language": "en"})  # fmt: skip
    insert_posts(ws, rows)
    con = ws.store.con
    for s in SOURCES:
        con.execute(
            "INSERT INTO coverage VALUES (?, 1, ?, ?, 'declared')",
            [s, START, START + timedelta(days=DAYS)],
        )
    ws.sync_index()


@pytest.fixture(scope="module")
def aws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    ws = Workspace.init(tmp_path_factory.mktemp("attention") / "ws")
    add_posts(ws, seed=3, n=3000)
    return ws


def matching_times(ws: Workspace, q: str, filters: SearchFilters | None = None) -> list[datetime]:
    uids: list[int] = []
    while True:
        page = ws.search(q, filters, limit=1000, offset=len(uids), facets=False)
        if not page.hits:
            return [t for (t,) in ws.store.con.execute(
                "SELECT time FROM posts WHERE uid = ANY(?)", [uids]).fetchall()]  # fmt: skip
        uids += [h.uid for h in page.hits]


@pytest.mark.parametrize("q", ["rain", "rain OR hail", "rain -snow", '"fog rain"', "sun*"])
@pytest.mark.parametrize("period", ["day", "week", "month"])
def test_series_counts_each_match_in_its_local_period(aws: Workspace, q: str, period: str) -> None:
    zone = ZoneInfo(TZ)
    first = 2 if period == "week" else 1  # whole periods: a week starts on a Monday
    since = datetime(2020, 3, first, tzinfo=zone)
    until = datetime(2020, 11, first, tzinfo=zone)
    m = Metric(period=period, timezone=TZ, where=parse_filters([f"search = {q}"]))
    s = aws.trend(m, since=since, until=until, project=False)
    hits = aws.search(q, SearchFilters(since=since, until=until), limit=0).total
    assert np.nansum(s.values) == hits > 0  # the series total is the hit count
    oracle = Counter(
        cc.key_of(period, t.astimezone(zone).replace(tzinfo=None))
        for t in matching_times(aws, q, SearchFilters(since=since, until=until))
    )
    keys = [cc.key_of(period, st.replace(tzinfo=None)) for st in s.starts]
    assert dict(zip(keys, s.values[0].tolist(), strict=True)) == {
        k: float(oracle.get(k, 0)) for k in keys
    }


def test_by_source_and_normalised(aws: Workspace) -> None:
    m = Metric(period="month", timezone=TZ, by=("source_id",),
               where=parse_filters(["search = rain"]))  # fmt: skip
    counts = aws.trend(m, project=False)
    assert {f[0] for f in counts.facets} == set(SOURCES)
    share = aws.trend(m.with_(where=(), share=m.where), project=False)
    everything = aws.trend(m.with_(where=()), project=False)
    for f, key in enumerate(share.facets):
        c = counts.values[counts.row(key)]
        e = everything.values[everything.row(key)]
        np.testing.assert_allclose(share.values[f], np.where(e > 0, c / np.maximum(e, 1), np.nan))
    assert share.unit == "share"


def test_other_filters_narrow_the_search(aws: Workspace) -> None:
    m = Metric(period="week", where=parse_filters(["search = rain", "language = nl",
                                                   "source_id in forum:a, chat:c"]))  # fmt: skip
    s = aws.trend(m, project=False)
    f = SearchFilters(languages=("nl",), sources=("forum:a", "chat:c"))
    assert np.nansum(s.values) == aws.search("rain", f, limit=0).total


def test_a_named_search_metric_and_its_anomalies(tmp_path) -> None:  # type: ignore[no-untyped-def]
    config = '\n[metrics.rain_attention]\nperiod = "week"\nwhere = ["search = rain OR hail"]\n'
    ws = Workspace.init(tmp_path / "ws", extra_config=config)
    add_posts(ws, seed=5, n=800)
    s = ws.trend("rain_attention", project=False)
    assert np.nansum(s.values) == ws.search("rain OR hail", limit=0).total
    series, found = ws.anomalies("rain_attention")
    assert series.values.shape[1] == len(series.starts)
    assert all(a.kind in ("spike", "dip", "outage", "level_shift") for a in found)


@pytest.mark.parametrize(
    ("metric", "message"),
    [
        (Metric(where=parse_filters(["search = rain", "likes > 3"])), "cannot be counted"),
        (Metric(where=parse_filters(["search = rain"]), by=("section",)), "facets are"),
        (
            Metric(measure="distinct", column="author_id", where=parse_filters(["search = x"])),
            "search counts posts",
        ),
        (Metric(table="indicators", where=parse_filters(["search = x"])), "search counts posts"),
    ],
)
def test_what_a_search_metric_cannot_do_is_a_clear_error(
    aws: Workspace, metric: Metric, message: str
) -> None:
    with pytest.raises(MetricError, match=message):
        aws.trend(metric)


def test_a_search_filter_keeps_its_quotes() -> None:
    [f] = parse_filters(['search = "fog rain" OR hail'])
    assert f.value == '"fog rain" OR hail'
    with pytest.raises(MetricError, match="takes '='"):
        parse_filters(["search != rain"])


def test_naive_times_are_in_the_workspace_timezone(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "ws"
    Workspace.init(path).close()
    config = path / "groundswell.toml"
    config.write_text(config.read_text().replace('timezone = "UTC"', f'timezone = "{TZ}"'))
    with Workspace.open(path) as ws:
        add_posts(ws, seed=9, n=0)  # only the three posts at local midnight and after
        naive = SearchFilters(since=datetime(2020, 3, 29), until=datetime(2020, 3, 30))
        aware = SearchFilters(
            since=datetime(2020, 3, 29, tzinfo=ZoneInfo(TZ)),
            until=datetime(2020, 3, 30, tzinfo=ZoneInfo(TZ)),
        )
        assert ws.search("rain", naive).total == ws.search("rain", aware).total == 2
