"""Search through the Python API on posts imported the way a user imports them: every script,
the query syntax, store filters, hostile text in snippets, sorting, paging and facets."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from groundswell import Workspace
from groundswell.search.results import SearchFilters

T0 = datetime(2020, 3, 2, 12, tzinfo=UTC)
BTC = "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"  # a valid base58check address (a textbook example)
POSTS = [
    # id, source, lang, author, board, day, text
    (
        "en1",
        "forum",
        "en",
        "alice",
        "General chat",
        0,
        "Our match was cancelled because of COVID-19.",
    ),
    ("en2", "forum", "en", "bob", "General chat", 1, "Stay at home, they said. We stay home now."),
    ("en3", "forum", "en", "carol", "Uploads", 2, "New photos: https://files.example.com/a.jpg"),
    ("en4", "forum", "en", "alice", "Uploads", 3, f"Tips to {BTC} please, covid relief"),
    ("fr1", "forum", "fr", "dan", "Café", 4, "Ça va très bien, naïve CAFÉ au lait"),
    ("ru1", "chat", "ru", "egor", "main", 5, "Привет! Коронавирус теперь везде."),
    ("zh1", "chat", "zh", "fang", "main", 6, "武汉疫情爆发了，大家注意安全。"),
    ("zh2", "chat", "zh", "fang", "main", 7, "情疫不是一个词"),
    ("ja1", "chat", "ja", "gin", "main", 8, "コロナウイルスの感染が広がっています"),
    ("mx1", "chat", "zh", "fang", "main", 9, "新冠疫情update: lockdown in Wuhan"),
    (
        "evil",
        "forum",
        "en",
        "mallory",
        "General chat",
        10,
        '<script>alert("x")</script> covid <img src=x onerror=alert(1)> '
        '" onmouseover="steal() covid',
    ),
    (
        "de1",
        "forum",
        "de",
        "heidi",
        "General chat",
        40,
        "Impfung gegen Corona: die Vaccination beginnt",
    ),
]


def write(path: Path, rows: list[tuple]) -> Path:
    with path.open("w", encoding="utf-8") as f:
        for pid, source, lang, author, board, day, text in rows:
            rec = {
                "id": pid,
                "source": source,
                "lang": lang,
                "author": author,
                "board": board,
                "created_at": int(T0.timestamp()) + day * 86_400,
                "text": text,
                "tags": ["Original"] if pid in ("en3", "de1") else [],
            }
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    return path


@pytest.fixture(scope="module")
def sws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """One workspace for the module's tests, which only read it."""
    tmp = tmp_path_factory.mktemp("search")
    ws = Workspace.init(tmp / "ws", lexicons={"covid": ["covid", "corona", "коронавирус"]})
    ws.import_("jsonl", [write(tmp / "posts.jsonl", POSTS)])
    yield ws
    ws.close()


def ids(ws: Workspace, q: str, filters: SearchFilters | None = None, **kw: object) -> set[str]:
    res = ws.search(q, filters, limit=100, **kw)  # type: ignore[arg-type]
    assert res.total == len(res.hits)
    uids = [h.uid for h in res.hits]
    if not uids:
        return set()
    rows = ws.sql("SELECT native_id FROM posts WHERE list_contains(?, uid)", [uids]).to_pylist()
    return {r["native_id"] for r in rows}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("covid", {"en1", "en4", "evil"}),
        ("COVID", {"en1", "en4", "evil"}),
        ("covid-19", {"en1"}),  # the phrase of its two terms
        ("cafe", {"fr1"}),  # folded
        ("café", {"fr1"}),
        ("ca", {"fr1"}),  # Ça
        ("naive", {"fr1"}),
        ("КОРОНАВИРУС", {"ru1"}),  # Cyrillic, any case
        ("привет", {"ru1"}),
        ("疫情", {"zh1", "mx1"}),  # not zh2, where the characters come the other way round
        ("疫", {"zh1", "zh2", "mx1"}),
        ("武汉疫情", {"zh1"}),
        ("コロナ", {"ja1"}),  # Katakana without spaces
        ("感染", {"ja1"}),
        ("wuhan", {"mx1"}),  # mixed script
        ("update", {"mx1"}),  # glued to Chinese text
        ("新冠疫情", {"mx1"}),
    ],
)
def test_every_script(sws: Workspace, query: str, expected: set[str]) -> None:
    assert ids(sws, query) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("covid OR corona", {"en1", "en4", "evil", "de1"}),
        ("covid -relief", {"en1", "evil"}),
        ("covid NOT relief", {"en1", "evil"}),
        ("covid AND relief", {"en4"}),
        ("covid relief", {"en4"}),
        ('"stay at home"', {"en2"}),
        ('"stay home"', {"en2"}),
        ('"home stay"', set()),
        ("vacc*", {"de1"}),
        ("корона*", {"ru1"}),
        ("(covid OR corona) -relief", {"en1", "evil", "de1"}),
        ("author:ALICE", {"en1", "en4"}),
        ("author:alice covid -relief", {"en1"}),
        ("source:chat 疫情", {"zh1", "mx1"}),
        ('section:"general chat" covid', {"en1", "evil"}),
        ("lang:ru", {"ru1"}),
        ("lang:zh OR lang:ja", {"zh1", "zh2", "mx1", "ja1"}),
        ("-lang:en -lang:zh", {"fr1", "ru1", "ja1", "de1"}),
        ("tag:original", {"en3", "de1"}),
        ("has:url", {"en3"}),
        ("has:crypto", {"en4"}),
        (f"indicator:{BTC}", {"en4"}),
        ("indicator:example.com", {"en3"}),  # the registrable domain
        ("indicator:files.example.com", {"en3"}),  # the host
        ("lexicon:covid", {"en1", "en4", "evil", "de1", "ru1"}),
        ("", {p[0] for p in POSTS}),
    ],
)
def test_syntax(sws: Workspace, query: str, expected: set[str]) -> None:
    assert ids(sws, query) == expected


def test_store_filters_combine_with_the_query(sws: Workspace) -> None:
    day = 86_400
    f = SearchFilters(since=datetime.fromtimestamp(T0.timestamp() + 2 * day, UTC))
    assert ids(sws, "covid", f) == {"en4", "evil"}
    f = SearchFilters(until=datetime.fromtimestamp(T0.timestamp() + 3 * day, UTC))
    assert ids(sws, "covid", f) == {"en1"}  # until is excluded
    assert ids(sws, "covid", SearchFilters(authors=("Mallory", "bob"))) == {"evil"}
    assert ids(sws, "", SearchFilters(sources=("chat",), languages=("ZH",))) == {
        "zh1",
        "zh2",
        "mx1",
    }
    assert ids(sws, "", SearchFilters(sections=("uploads",), has=("url",))) == {"en3"}
    assert ids(sws, "", SearchFilters(indicators=(BTC,))) == {"en4"}
    assert ids(sws, "covid", SearchFilters(lexicons=("covid",), sources=("forum",))) == {
        "en1",
        "en4",
        "evil",
    }
    assert ids(sws, "", SearchFilters(tags=("original",), languages=("de",))) == {"de1"}
    assert ids(sws, "covid", SearchFilters(sources=("nowhere",))) == set()


def test_snippets_escape_hostile_text(sws: Workspace) -> None:
    res = sws.search("covid", SearchFilters(authors=("mallory",)))
    [hit] = res.hits
    html = hit.snippet_html
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;" in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert '" onmouseover' not in html and "&quot; onmouseover=&quot;" in html
    assert html.count("<b>covid</b>") == 2
    assert set(html.replace("<b>", "").replace("</b>", "")) & set("<>") == set()


def test_snippets_mark_whole_chinese_words(sws: Workspace) -> None:
    [hit] = sws.search("武汉疫情").hits
    assert "<b>武汉疫情</b>" in hit.snippet_html  # one mark, not one per character


def test_sorting_paging_and_total(sws: Workspace) -> None:
    newest = sws.search("", sort="newest", limit=100).hits
    times = [h.time for h in newest]
    assert times == sorted(times, reverse=True) and len(times) == len(POSTS)
    assert [h.uid for h in sws.search("", sort="time", limit=100).hits] == [h.uid for h in newest]
    oldest = [h.uid for h in sws.search("", sort="oldest", limit=100).hits]
    assert oldest == [h.uid for h in reversed(newest)]
    pages = [sws.search("", sort="oldest", limit=5, offset=o) for o in (0, 5, 10)]
    assert [p.total for p in pages] == [len(POSTS)] * 3
    assert [h.uid for p in pages for h in p.hits] == oldest
    assert sws.search("covid", limit=0).total == 3
    best = sws.search("covid", limit=3).hits
    assert [h.score for h in best] == sorted((h.score for h in best), reverse=True)


def test_hits_show_what_the_store_holds(sws: Workspace) -> None:
    sql = (
        "SELECT uid, time, source_id, coalesce(author_name, author_id) AS author, native_id "
        "FROM posts"
    )
    stored = {r["uid"]: r for r in sws.sql(sql).to_pylist()}
    hits = sws.search("", limit=100).hits
    assert len(hits) == len(stored) and any(h.author for h in hits)
    for h in hits:
        row = stored[h.uid]
        assert (h.time, h.source_id, h.author, h.native_id) == (
            row["time"],
            row["source_id"],
            row["author"],
            row["native_id"],
        )


def test_facets_count_the_whole_result(sws: Workspace) -> None:
    res = sws.search("covid OR corona OR 疫情", limit=1)
    assert res.total == 6
    assert dict(res.facets["source"]) == {"generic:forum": 4, "generic:chat": 2}
    assert dict(res.facets["language"]) == {"en": 3, "de": 1, "zh": 2}
    assert dict(res.facets["month"]) == {"2020-03": 5, "2020-04": 1}
    assert dict(res.facets["author"])["alice"] == 2


def test_bad_requests_are_clear_errors(sws: Workspace) -> None:
    from groundswell.errors import QueryError

    with pytest.raises(QueryError, match="unknown sort"):
        sws.search("covid", sort="best")
    with pytest.raises(QueryError, match="limit"):
        sws.search("covid", limit=-1)
    with pytest.raises(QueryError, match="not closed"):
        sws.search('"covid')
