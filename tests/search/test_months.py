"""The index is kept a month at a time: a date range reads the months inside it whole and
cuts the ones at its ends, and what comes back is the same as from one index: exact totals,
one order across months, pages that join up, facet counts added up exactly. A post whose
time moves to another month leaves no copy behind, and a month the store no longer has loses
its index."""

from __future__ import annotations

import fcntl
import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from groundswell import ImportOptions, Workspace
from groundswell.errors import WorkspaceError
from groundswell.search import index as index_module
from groundswell.search.results import FACET_SIZES, SearchFilters
from tests.search.stored import insert_posts

START = datetime(2019, 11, 20, tzinfo=UTC)
DAYS = 430  # 15 calendar months
SOURCES = ["forum:a", "forum:b", "chat:c"]


def add_posts(ws: Workspace, n: int, seed: int = 5) -> None:
    rng = random.Random(seed)
    rows = [
        {
            "uid": i + 1,
            "source_id": rng.choice(SOURCES),
            "time": START + timedelta(seconds=rng.randrange(DAYS * 86_400)),
            "author_id": f"u{int(rng.paretovariate(1.2)) % 60}",  # a few busy, many quiet
            "text": " ".join(rng.choices(["rain", "snow", "fog", "sun"], k=rng.randint(1, 3))),
            "language": rng.choice(["en", "nl", "de"]),
        }
        for i in range(n)
    ]
    rows.append({**rows[0], "uid": n + 1, "time": datetime(2020, 3, 1, tzinfo=UTC)})  # an edge
    insert_posts(ws, rows)
    ws.sync_index()


@pytest.fixture(scope="module")
def mws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    ws = Workspace.init(tmp_path_factory.mktemp("months") / "ws")
    add_posts(ws, 2500)
    return ws


def sql_uids(ws: Workspace, where: str, params: list[object] | None = None) -> list[int]:
    rows = ws.store.con.execute(f"SELECT uid FROM posts WHERE {where}", params or []).fetchall()
    return [r[0] for r in rows]


def all_hits(ws: Workspace, q: str, filters: SearchFilters | None, sort: str) -> list[int]:
    uids: list[int] = []
    while True:
        page = ws.search(q, filters, sort=sort, limit=97, offset=len(uids), facets=False)
        uids += [h.uid for h in page.hits]
        if not page.hits:
            return uids


def test_one_index_per_month_of_the_posts(mws: Workspace) -> None:
    rows = mws.store.con.execute(
        "SELECT DISTINCT strftime(timezone('UTC', time), '%Y-%m') FROM posts"
    ).fetchall()
    assert [index_module.folder(m) for m in mws.index.months()] == sorted(r[0] for r in rows)
    assert len(rows) == 15


RANGES = [
    (None, None),
    (datetime(2020, 3, 1, tzinfo=UTC), datetime(2020, 4, 1, tzinfo=UTC)),  # one month whole
    (datetime(2020, 1, 1, tzinfo=UTC), datetime(2021, 1, 1, tzinfo=UTC)),  # a year of months
    (datetime(2019, 12, 15, 13, tzinfo=UTC), datetime(2020, 6, 3, 7, tzinfo=UTC)),  # cut ends
    (datetime(2020, 5, 10, tzinfo=UTC), datetime(2020, 5, 11, tzinfo=UTC)),  # inside a month
    (datetime(2020, 2, 29, 23, 59, 59, tzinfo=UTC), datetime(2020, 3, 1, 0, 0, 1, tzinfo=UTC)),
    (None, datetime(2020, 3, 1, tzinfo=UTC)),  # open at the start
    (datetime(2020, 3, 1, tzinfo=UTC), None),  # open at the end
    (datetime(2030, 1, 1, tzinfo=UTC), None),  # after every post
]


@pytest.mark.parametrize(("since", "until"), RANGES)
def test_date_ranges_find_exactly_the_posts_inside(
    mws: Workspace, since: datetime | None, until: datetime | None
) -> None:
    filters = SearchFilters(since=since, until=until)
    where = "text LIKE '%rain%' AND time >= ? AND time < ?"
    params = [since or datetime(1900, 1, 1, tzinfo=UTC), until or datetime(2100, 1, 1, tzinfo=UTC)]
    expected = sql_uids(mws, where, params)
    assert mws.search("rain", filters, facets=False).total == len(expected)
    assert sorted(mws.searcher.uids("rain", filters)) == sorted(expected)


def test_time_order_and_pages_run_across_months(mws: Workspace) -> None:
    filters = SearchFilters(since=datetime(2019, 12, 15, tzinfo=UTC))
    newest = all_hits(mws, "snow", filters, "newest")
    expected = sql_uids(
        mws, "text LIKE '%snow%' AND time >= ? ORDER BY time DESC, uid", [filters.since]
    )
    times = dict(mws.store.con.execute("SELECT uid, time FROM posts").fetchall())
    assert [times[u] for u in newest] == [times[u] for u in expected]  # (ties in any order)
    assert sorted(newest) == sorted(expected)
    oldest = all_hits(mws, "snow", filters, "oldest")
    assert [times[u] for u in oldest] == sorted(times[u] for u in expected)
    relevant = all_hits(mws, "snow", filters, "relevance")
    assert sorted(relevant) == sorted(expected)  # every hit once, on one page or another
    scores = [h.score for h in mws.search("snow", filters, limit=200, facets=False).hits]
    assert scores == sorted(scores, reverse=True)


def test_facets_add_up_exactly_across_months(mws: Workspace) -> None:
    filters = SearchFilters(since=datetime(2020, 1, 10, tzinfo=UTC))
    res = mws.search("fog", filters)
    con = mws.store.con
    where = "WHERE text LIKE '%fog%' AND time >= ?"

    def counts(column: str) -> dict[str, int]:
        sql = f"SELECT {column}, count(*) FROM posts {where} GROUP BY 1"
        return {str(k): n for k, n in con.execute(sql, [filters.since]).fetchall()}

    assert dict(res.facets["source"]) == counts("source_id")
    assert dict(res.facets["language"]) == counts("language")
    assert dict(res.facets["month"]) == counts("strftime(timezone('UTC', time), '%Y-%m')")
    authors = counts("author_id")
    assert len(authors) > FACET_SIZES["author"]  # so each month's list was cut short
    shown = dict(res.facets["author"])
    assert len(shown) == FACET_SIZES["author"]
    assert all(authors[a] == n for a, n in shown.items())  # exact counts ...
    assert min(shown.values()) >= max(n for a, n in authors.items() if a not in shown)  # ... top


def test_a_post_moved_to_another_month_leaves_no_copy(ws: Workspace, tmp_path: Path) -> None:
    def write(name: str, created: int, text: str, **extra: int) -> Path:
        path = tmp_path / name
        recs = [{"id": i, "created_at": created + i, "text": f"{text} {i}", **extra}
                for i in range(3)]  # fmt: skip
        path.write_text("".join(json.dumps(r) + "\n" for r in recs), "utf-8")
        return path

    opts = ImportOptions(source="f")
    january, june = 1_579_000_000, 1_591_000_000  # 14 January 2020, 1 June 2020
    ws.import_("jsonl", [write("a.jsonl", january, "rain")], options=opts)
    assert [index_module.folder(m) for m in ws.index.months()] == ["2020-01"]
    [r] = ws.import_("jsonl", [write("b.jsonl", june, "snow", edited_at=june + 99)], options=opts)
    assert r.records_updated == 3
    assert ws.search("rain").total == 0 and ws.search("snow").total == 3
    assert ws.index.documents == 3 and not ws.index.behind(ws.store)
    assert [index_module.folder(m) for m in ws.index.months()] == ["2020-06"]
    january_range = SearchFilters(until=datetime(2020, 2, 1, tzinfo=UTC))
    assert ws.search("", january_range).total == 0


def test_a_month_the_store_lost_loses_its_index(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "ws")
    add_posts(ws, 300, seed=9)
    before = ws.index.months()
    ws.store.con.execute("DELETE FROM posts WHERE time < '2020-01-01'")
    assert ws.index.behind(ws.store)
    result = ws.sync_index()
    assert result.repaired == ["2019-11", "2019-12"]
    assert ws.index.months() == [m for m in before if m >= 2020 * 12]
    assert ws.search("").total == ws.index.documents == len(sql_uids(ws, "TRUE"))
    ws.close()


def test_a_second_writer_waits_then_gets_a_clear_error(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(index_module, "WAIT", 0.3)
    with (ws.path / "index" / index_module.LOCK).open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # (another process's sync, as far as flock knows)
        with pytest.raises(WorkspaceError, match="another process"):
            ws.index.rebuild(ws.store)
