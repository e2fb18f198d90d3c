"""Every trace on a small corpus where two accounts share exactly one kind of object twice
within a minute, plus the rules all traces follow: links in quotes are not shares, a post
names an object once however often it repeats it, an address failing its checksum is no
object, short texts are no text, and near-identical texts join into one."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from groundswell import ImportOptions, Workspace
from groundswell.coordination.network import Settings
from groundswell.coordination.traces import TRACES, Scope, read
from groundswell.errors import QueryError

EVERY = Settings(window=60, min_participation=1, min_weight=2)
ADDRESS = "0x302DFaF2CDbE51a18d97186A7384e87CF599877D"
BROKEN = "0x302DFaF2CDbE51a18d97186A7384e87CF599877d"  # one letter's case off: checksum fails
EMAIL = "stall@market.example.org"
LONG = "Rivertown market opens early this Saturday with fresh bread and apples for everyone"


def post(pid: str, author: str, t: str, text: str, **more: Any) -> dict[str, Any]:
    return {"id": pid, "author": author, "author_id": author, "time": t, "text": text, **more}


def pairs_of(
    author_a: str, author_b: str, texts: list[tuple[str, str, dict[str, Any]]], start: int = 1
) -> list[dict[str, Any]]:
    """Each (text_a, text_b, extra) as two posts 20 s apart, a day apart from the next."""
    out = []
    for day, (a, b, extra) in enumerate(texts, start=start):
        out.append(post(f"{author_a}{day}", author_a, f"2024-03-{day:02d}T10:00:00Z", a, **extra))
        out.append(post(f"{author_b}{day}", author_b, f"2024-03-{day:02d}T10:00:20Z", b, **extra))
    return out


CORPUS = [
    # url: the same two links; domain: two links of one site, different paths
    *pairs_of("u1", "u2", [("see https://news.example/a", "see https://news.example/a", {}),
                           ("see https://news.example/b", "see https://news.example/b", {})]),
    *pairs_of("d1", "d2", [("https://shop.example/x1", "https://shop.example/y1", {}),
                           ("https://deals.example/x2", "https://deals.example/y2", {})]),
    *pairs_of("h1", "h2", [("love this #Harvest", "so good #harvest", {}),
                           ("again #Bread", "yes #bread", {})]),
    *pairs_of("c1", "c2", [(f"send to {ADDRESS}", f"pay {ADDRESS}", {}),
                           (f"mail me at {EMAIL}", f"write {EMAIL}", {})]),
    # invalid address: no crypto object at all
    *pairs_of("x1", "x2", [(f"send to {BROKEN}", f"pay {BROKEN}", {}),
                           (f"again {BROKEN}", f"again {BROKEN}", {})]),
    *pairs_of("f1", "f2", [("Harvest fair moved to Sunday", "Harvest fair moved to Sunday",
                            {"forwarded_from": "Town Board"}),
                           ("Bring your own bags please", "Bring your own bags please",
                            {"forwarded_from": "Town Board"})]),
    *pairs_of("r1", "r2", [("agreed", "no way", {"parent_id": "p100"}),
                           ("nice", "meh", {"parent_id": "p200"})]),
    *pairs_of("t1", "t2", [(LONG, LONG.upper(), {}),
                           (LONG + " and cheese", LONG + " and cheese", {})]),
    # short identical texts are no text
    *pairs_of("s1", "s2", [("thanks!", "thanks!", {}), ("lol same", "lol same", {})]),
    # near-identical: one word and an emoji apart
    # (on days of their own: texts of other pairs on the same days would join theirs)
    *pairs_of("n1", "n2", [(LONG + " see you there", LONG + " see you there!!", {}),
                           (LONG + " and pears, plums, honey and cider from the hill farms",
                            LONG + " and pears, plums, honey and cider from the hill farms @pat",
                            {})], start=10),
    # the same link named three times in one post, by one of two accounts, once each day
    *pairs_of("m1", "m2", [("https://m.example/1 https://m.example/1 https://m.example/1",
                            "https://m.example/1", {})]),
]  # fmt: skip

EXPECTED = {  # trace -> the account pairs it finds (min weight 2)
    "url": {("u1", "u2")},
    "domain": {("d1", "d2")},  # u1 and u2 share one site twice: one object
    "hashtag": {("h1", "h2")},
    "crypto": set(),  # c1-c2 share one address (weight 1); x1-x2's fails its checksum
    "email": set(),
    "forward": {("f1", "f2")},
    "reply": {("r1", "r2")},
    "text": {("t1", "t2")},  # f1 and f2's texts are shorter than 30 characters
    "similar": {("t1", "t2"), ("n1", "n2")},
}


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    root = tmp_path_factory.mktemp("traces")
    path = root / "posts.jsonl"
    path.write_text("\n".join(json.dumps(p) for p in CORPUS), encoding="utf-8")
    w = Workspace.init(root / "ws")
    w.import_("jsonl", [path], options=ImportOptions(source="market"))
    yield w
    w.close()


def found(ws: Workspace, traces: list[str], settings: Settings = EVERY) -> set[tuple[str, str]]:
    result = ws.coordination(traces, settings)
    names = dict(
        zip(*(result.accounts[k].to_pylist() for k in ("account", "author_id")), strict=True)
    )
    return {
        tuple(sorted((names[a], names[b])))
        for a, b in zip(result.edges["a"].to_pylist(), result.edges["b"].to_pylist(), strict=True)
    }  # type: ignore[misc]


@pytest.mark.parametrize("trace", TRACES)
def test_each_trace(ws: Workspace, trace: str) -> None:
    assert found(ws, [trace]) == EXPECTED[trace]


def test_crypto_and_email_together_pass_the_weight(ws: Workspace) -> None:
    assert found(ws, ["crypto", "email"]) == {("c1", "c2")}  # an address and an email: 2


def test_a_post_names_an_object_once(ws: Workspace) -> None:
    traced = read(ws, ["url"], Scope(), window=60)
    m = [v for v in traced.values if v.startswith("https://m.example")]
    assert len(m) == 1
    code = traced.values.index(m[0])
    assert int((traced.shares.obj == code).sum()) == 2  # two posts, not four shares
    weight_one = Settings(window=60, min_participation=1, min_weight=1, weight="pairs")
    assert ("m1", "m2") in found(ws, ["url"], weight_one)


def test_scope_narrows_the_posts(ws: Workspace) -> None:
    from datetime import datetime

    # day 1 only: each pair shares one object, below the weight of 2
    assert found(ws, ["url"], EVERY) == {("u1", "u2")}
    one_day = Scope(since=datetime(2024, 3, 1), until=datetime(2024, 3, 2))
    assert not ws.coordination(["url"], EVERY, one_day).edges.num_rows


def test_window_and_min_chars(ws: Workspace) -> None:
    assert found(ws, ["url"], Settings(window=19, min_participation=1, min_weight=2)) == set()
    assert found(ws, ["url"], Settings(window=20, min_participation=1, min_weight=2)) == {
        ("u1", "u2")
    }
    short = ws.coordination(["text"], EVERY, min_chars=5)
    names = set(short.accounts["author_id"].to_pylist())
    assert {"s1", "s2"} <= names


def test_similar_needs_few_bits(ws: Workspace) -> None:
    assert ("n1", "n2") not in {tuple(sorted(p)) for p in found_with_bits(ws, 0)}


def found_with_bits(ws: Workspace, bits: int) -> set[tuple[str, str]]:
    result = ws.coordination(["similar"], EVERY, bits=bits)
    names = dict(
        zip(*(result.accounts[k].to_pylist() for k in ("account", "author_id")), strict=True)
    )
    return {
        (names[a], names[b])
        for a, b in zip(result.edges["a"].to_pylist(), result.edges["b"].to_pylist(), strict=True)
    }


def test_bad_traces_and_bits(ws: Workspace) -> None:
    with pytest.raises(QueryError, match="unknown trace likes"):
        ws.coordination(["likes"])
    with pytest.raises(QueryError, match="no trace"):
        ws.coordination([])
    with pytest.raises(QueryError, match="0 to 15 bits"):
        ws.coordination(["similar"], bits=16)


def test_links_in_quotes_are_not_shares(ws: Workspace) -> None:
    mark = (
        "UPDATE indicators SET in_quote = {} WHERE post_uid IN "
        "(SELECT uid FROM posts WHERE author_id = 'u1')"
    )
    ws.sql(mark.format("true"))  # as if u1 only quoted earlier posts with those links
    try:
        assert found(ws, ["url"]) == set()
    finally:
        ws.sql(mark.format("false"))
    assert found(ws, ["url"]) == {("u1", "u2")}
