"""Actor profiles on planted posts: every field, the source's timezone, replies and quotes
received (by id and by name), incremental updates after a second import, read-only reads,
ranking, and the `actor`/`actors` commands."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from groundswell import ImportOptions, Workspace
from groundswell.actors import profiles
from groundswell.cli.actors import hour_bar
from groundswell.cli.main import main
from groundswell.errors import QueryError

BTC = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"  # BIP-173's example address


def forum_post(i: int, body: str, author: str, date: str, **kw: Any) -> dict[str, Any]:
    """A forum scraper's record (Europe/Amsterdam times) on the board Harbor Board."""
    return {
        "site": "Harbor Board", "site_url": "http://harbor.example",
        "timezone": "Europe/Amsterdam", "board": "General", "thread_id": "1",
        "thread_title": "Hello", "post_id": str(100 + i), "post_number": i, "author": author,
        "author_id": author.lower(), "date": date, "body_html": body, "tags": [], **kw,
    }  # fmt: skip


def write(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


OWL_SAYS = f"<p>files at https://files.example/a.jpg, mail owl@example.org, tip {BTC}</p>"
FORUM = [
    # Owl: 10 Jan 10:00 and 11 Jan 00:30 Amsterdam (10 Jan 23:30 UTC): 2 local days, 1 in UTC
    forum_post(1, OWL_SAYS, "Owl", "2020-01-10 10:00"),
    forum_post(2, "<p>late night https://files.example/b.jpg</p>", "Owl", "2020-01-11 00:30"),
    forum_post(3, "<p>market day</p>", "Owl", "2020-01-12 10:15", board="Market"),
    # Fox quotes Owl by name (no id), then by post id, then quotes itself; renamed Foxy once
    forum_post(
        4,
        "<blockquote><cite>Owl wrote:</cite>files at https://files.example/a.jpg"
        "</blockquote><p>thanks</p>",
        "Fox",
        "2020-01-12 11:00",
    ),
    forum_post(
        5,
        '<blockquote data-post-id="102"><cite>Owl wrote:</cite>late night</blockquote>'
        "<p>same here</p>",
        "Fox",
        "2020-01-12 12:00",
    ),
    forum_post(
        6,
        '<blockquote data-post-id="104"><cite>Fox wrote:</cite>thanks</blockquote><p>as I said</p>',
        "Foxy",
        "2020-01-13 12:00",
        author_id="fox",
    ),
]
# a chat with replies (parent ids) and declared languages, in UTC
CHAT = [
    {"id": "a1", "time": "2020-02-01T08:00:00Z", "author": "Ann", "text": "goedemorgen",
     "lang": "nl", "section": "lobby"},
    {"id": "a2", "time": "2020-02-01T09:00:00Z", "author": "Bob", "text": "morning",
     "lang": "en", "parent_id": "a1", "section": "lobby"},
    {"id": "a3", "time": "2020-02-01T09:30:00Z", "author": "Bob", "text": "hello?",
     "lang": "en", "parent_id": "a1", "section": "lobby"},
    {"id": "a4", "time": "2020-02-01T10:00:00Z", "author": "Ann", "text": "hoi Bob",
     "lang": "nl", "parent_id": "a1", "section": "lobby"},
    {"id": "a5", "time": "2020-02-02T10:00:00Z", "author": "Ann", "text": "hello all",
     "lang": "en", "section": "news"},
    {"id": "a6", "time": "2020-02-03T10:00:00Z", "author": "Ann", "text": "nog iets",
     "lang": "nl", "section": "lobby"},
]  # fmt: skip
# the second import: Cat replies to Ann's a5 and quotes nobody; Bob posts again
CHAT2 = [
    {"id": "b1", "time": "2020-03-01T08:00:00Z", "author": "Cat", "text": "welcome back",
     "lang": "en", "parent_id": "a5", "section": "news"},
    {"id": "b2", "time": "2020-03-01T09:00:00Z", "author": "Bob", "text": "back again",
     "lang": "en", "section": "news"},
]  # fmt: skip
CHAT_OPTIONS = ImportOptions(source="chat", mapping={"author_id": "author"})


def planted(root: Path) -> Workspace:
    ws = Workspace.init(root / "ws")
    ws.import_("forum", [write(root / "board.jsonl", FORUM)])
    ws.import_("jsonl", [write(root / "chat.jsonl", CHAT)], options=CHAT_OPTIONS)
    return ws


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    w = planted(tmp_path_factory.mktemp("profiles"))
    yield w
    w.close()


def one(ws: Workspace, who: str, source: str | None = None) -> dict[str, Any]:
    found = profiles.profile(ws, who, source)
    assert len(found) == 1, found
    return found[0]


def test_reads_bring_stale_profiles_up_to_date(ws: Workspace) -> None:
    assert profiles.stale(ws)
    one(ws, "owl")
    assert not profiles.stale(ws)
    assert ws.sql("SELECT count(*) AS n FROM actors").to_pylist() == [{"n": 4}]


def test_owl_times_hours_and_days_in_the_forums_timezone(ws: Workspace) -> None:
    owl = one(ws, "OWL")  # any case
    assert owl["source_id"] == "forum:Harbor Board" and owl["author_id"] == "owl"
    assert owl["posts"] == 3 and owl["name"] == "Owl" and owl["names"] == ["Owl"]
    assert owl["first_seen"] == datetime.fromisoformat("2020-01-10T09:00:00+00:00")
    assert owl["last_seen"] == datetime.fromisoformat("2020-01-12T09:15:00+00:00")
    assert owl["active_days"] == 3  # 10, 11 and 12 January in Amsterdam (two in UTC)
    assert [h for h in range(24) if owl["hours"][h]] == [0, 10]
    assert owl["hours"][10] == 2 and sum(owl["hours"]) == 3
    assert owl["sections"] == ["General", "Market"]


def test_quotes_received_by_id_and_by_name_never_self(ws: Workspace) -> None:
    owl, fox = one(ws, "owl"), one(ws, "fox")
    assert owl["quotes_given"] == 0 and owl["quotes_received"] == 2  # by name, by id 102
    assert fox["quotes_given"] == 3 and fox["quotes_received"] == 0  # 106 quotes 104: itself
    assert fox["names"] == ["Fox", "Foxy"] and fox["name"] == "Foxy"
    assert one(ws, "foxy")["account"] == fox["account"]  # any name finds the account


def test_indicators_outside_quotes_and_what_they_posted(ws: Workspace) -> None:
    owl, fox = one(ws, "owl"), one(ws, "fox")
    assert owl["indicators"] == 4  # two urls, an email, an address
    assert fox["indicators"] == 0  # the link Fox quoted is Owl's
    assert owl["top_domains"] == [
        {"value": "files.example", "count": 2}, {"value": "example.org", "count": 1}
    ]  # fmt: skip
    assert owl["emails"] == [{"value": "owl@example.org", "count": 1}]
    assert [c["value"].lower() for c in owl["crypto"]] == [BTC]


def test_replies_given_and_received_on_the_same_source(ws: Workspace) -> None:
    ann, bob = one(ws, "ann"), one(ws, "Bob", "generic:chat")
    assert ann["replies_given"] == 1 and ann["replies_received"] == 2  # not her own
    assert bob["replies_given"] == 2 and bob["replies_received"] == 0
    assert ann["languages"] == ["nl", "en"] and ann["sections"] == ["lobby", "news"]
    assert ann["active_days"] == 3 and ann["hours"][8] == 1 and ann["hours"][10] == 3


def test_unknown_names_and_sources_find_nothing(ws: Workspace) -> None:
    assert profiles.profile(ws, "nobody") == []
    assert profiles.profile(ws, "owl", "generic:chat") == []


def test_ranked(ws: Workspace) -> None:
    names = [r["name"] for r in profiles.ranked(ws)]
    assert names == ["Ann", "Foxy", "Owl", "Bob"]  # 4, 3, 3 (ties by account), 2 posts
    top = profiles.ranked(ws, limit=2)
    assert [(r["name"], r["posts"]) for r in top] == [("Ann", 4), ("Foxy", 3)]
    first = profiles.ranked(ws, sort="first_seen", limit=1)
    assert first[0]["name"] == "Owl"
    chat = profiles.ranked(ws, source="generic:chat", min_posts=3)
    assert [r["name"] for r in chat] == ["Ann"]
    window = profiles.ranked(ws, since=datetime(2020, 1, 12), until=datetime(2020, 1, 13))
    assert [(r["name"], r["posts"], r["posts_total"]) for r in window] == [
        ("Foxy", 2, 3), ("Owl", 1, 3)
    ]  # fmt: skip
    with pytest.raises(QueryError, match="unknown sort"):
        profiles.ranked(ws, sort="likes")


def test_incremental_update_equals_a_rebuild(tmp_path: Path) -> None:
    with planted(tmp_path) as ws:
        assert profiles.rebuild(ws) == 4
        assert not profiles.stale(ws)
        ws.import_("jsonl", [write(tmp_path / "chat2.jsonl", CHAT2)], options=CHAT_OPTIONS)
        assert profiles.stale(ws)
        before = ws.sql("SELECT * FROM actors WHERE name = 'Owl'").to_pylist()
        # Cat (new), Bob (posted) and Ann (replied to) are recomputed; the forum is not
        assert profiles.update(ws) == 3
        after = {r["name"]: r for r in profiles.ranked(ws)}
        assert after["Ann"]["replies_received"] == 3 and after["Cat"]["replies_given"] == 1
        assert after["Bob"]["posts"] == 3
        assert ws.sql("SELECT * FROM actors WHERE name = 'Owl'").to_pylist() == before
        assert profiles.update(ws) == 0
        meta = ws.sql("SELECT value FROM meta WHERE key = 'actors_import_id'").to_pylist()
        assert meta == [{"value": "3"}]
        cols = "* EXCLUDE (updated_at)"
        updated = ws.sql(f"SELECT {cols} FROM actors ORDER BY account").to_pylist()
        profiles.rebuild(ws)
        assert ws.sql(f"SELECT {cols} FROM actors ORDER BY account").to_pylist() == updated


def test_read_only_reads_use_stale_profiles_and_say_so(tmp_path: Path) -> None:
    with planted(tmp_path) as ws:
        profiles.rebuild(ws)
        ws.import_("jsonl", [write(tmp_path / "chat2.jsonl", CHAT2)], options=CHAT_OPTIONS)
    with Workspace.open(tmp_path / "ws", read_only=True) as ro:
        assert profiles.stale(ro) and not profiles.ensure(ro)
        bob = one(ro, "bob")
        assert bob["stale"] and bob["posts"] == 2  # as computed before the second import
        assert profiles.profile(ro, "cat") == []


def test_hour_bar() -> None:
    assert hour_bar([0] * 24) == " " * 24
    bar = hour_bar([0] * 10 + [8, 4, 1] + [0] * 11)
    assert len(bar) == 24 and bar[10] == "█" and bar[11] == "▄" and bar[12] == "▁"


def test_the_actor_and_actors_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    planted(tmp_path).close()
    w = str(tmp_path / "ws")
    assert main(["actor", "owl", "-w", w]) == 0  # computes the profiles first
    text = capsys.readouterr().out
    for part in ("Owl", "forum:Harbor Board", "active days", "3", "files.example (2)",
                 "owl@example.org", "quotes", "2 received", "busiest: 10h (2)"):  # fmt: skip
        assert part in text, part
    assert main(["actor", "fox", "-w", w, "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got[0]["names"] == ["Fox", "Foxy"] and got[0]["quotes_given"] == 3
    assert main(["actor", "nobody", "-w", w]) == 2
    assert "no author named 'nobody'" in capsys.readouterr().err
    assert main(["actors", "-w", w, "--limit", "2"]) == 0
    text = capsys.readouterr().out
    assert "Ann" in text and "Foxy" in text and "Owl" not in text
    assert main(["actors", "-w", w, "--json", "--sort", "first_seen"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["name"] == "Owl"
    assert main(["actors", "-w", w, "--sort", "likes"]) == 2
    assert "unknown sort" in capsys.readouterr().err
    assert main(["actors", "-w", w, "--rebuild"]) == 0
    assert "rebuilt 4 actor profiles" in capsys.readouterr().err
    assert main(["actors", "-w", w, "--cohorts"]) == 0
    text = capsys.readouterr().out
    assert "2020-01" in text and "2020-02" in text and "New members per month" in text
    assert main(["actors", "-w", w, "--concentration", "--json"]) == 0
    points = json.loads(capsys.readouterr().out)
    assert {p["measure"] for p in points} == {"top 1%", "top 5%", "top 10%", "gini"}
    assert main(["actors", "-w", w, "--returns", "--cohorts"]) == 2


def test_the_workspace_api_reaches_the_actors_modules(tmp_path: Path) -> None:
    """``Workspace.actor/actors/returns/concentration/creators`` are the modules' answers."""
    from groundswell.actors import cohorts, profiles, returns

    ws = Workspace.init(tmp_path / "api")
    try:
        path = tmp_path / "api.jsonl"
        rows = [
            {"id": i, "time": f"2020-0{1 + i % 3}-1{i % 9}T10:00:00Z", "user_id": f"u{i % 3}",
             "text": "hello"}
            for i in range(12)
        ]  # fmt: skip
        path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
        ws.import_("jsonl", [path], options=ImportOptions(source="api"))
        assert ws.actors() == profiles.ranked(ws)
        assert ws.actor("U1") == profiles.profile(ws, "U1") and ws.actor("u1")
        assert ws.returns() == returns.events(ws)
        got, want = ws.concentration("month"), cohorts.concentration(ws, "month")
        assert got.starts == want.starts and (got.values == want.values).all()
        assert ws.creators() == []  # no snapshots
    finally:
        ws.close()
