"""Enrichment in the store: at import, on edits, after lexicon changes, on rebuild, after a
schema migration, and through the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest

from groundswell import Workspace
from groundswell.analysis.indicators import IndicatorQuery
from groundswell.cli.main import main
from groundswell.enrich import ENRICHED_COLUMNS


def forum(path: Path, *bodies: str, edited: dict[int, str] | None = None) -> Path:
    """A scraped-forum JSONL file with one post per body (post ids 1, 2 ...)."""
    with path.open("wb") as f:
        for i, body in enumerate(bodies, 1):
            rec: dict[str, Any] = {
                "site": "Test Board",
                "site_url": "https://board.example.org",
                "board": "General",
                "thread_id": "1",
                "thread_title": "Photos #weekend",
                "post_id": str(i),
                "post_number": i,
                "author": f"user{i}",
                "date": f"2020-04-{10 + i:02d} 12:00",
                "body_html": body,
            }
            if edited and i in edited:
                rec["edited"] = edited[i]
            f.write(orjson.dumps(rec) + b"\n")
    return path


OWN = "<p>Set from the walk: https://img.example.com/u/harbor.jpg #covid lockdown</p>"
QUOTING = (
    "<blockquote><div><cite>user1 wrote:</cite>Set from the walk: "
    "https://img.example.com/u/harbor.jpg</div></blockquote>"
    '<p>Nice! Mine: <a href="https://pics.example.net/b/boat.png">boat</a></p>'
)


def indicators(ws: Workspace, where: str = "TRUE") -> list[dict[str, Any]]:
    return ws.sql(
        f"SELECT p.native_id, i.* EXCLUDE (post_uid) FROM indicators i "
        f"JOIN posts p ON p.uid = i.post_uid WHERE {where} "
        "ORDER BY p.native_id, i.field, i.kind, i.start, i.value"
    ).to_pylist()


def with_lexicon(ws: Workspace, terms: str) -> Workspace:
    """The workspace reopened with a `covid` lexicon of ``terms`` (TOML) in its config."""
    cfg = ws.path / "groundswell.toml"
    text = cfg.read_text()
    assert "\n[lexicons]\n" in text
    cfg.write_text(text.replace("\n[lexicons]\n", f"\n[lexicons]\ncovid = {terms}\n"))
    path = ws.path
    ws.close()
    return Workspace.open(path)


def test_import_enriches_posts_and_stores_indicators(ws: Workspace, tmp_path: Path) -> None:
    ws.import_("forum", [forum(tmp_path / "f.jsonl", OWN, QUOTING)])
    rows = ws.sql(f"SELECT native_id, {', '.join(ENRICHED_COLUMNS)} FROM posts ORDER BY 1")
    for p in rows.to_pylist():
        assert p["language"] == "en" and p["script"] == "Latn"
        assert 0 < p["language_confidence"] <= 1
        assert p["content_hash"] is not None and p["simhash"] is not None
        assert p["enriched"] == ws.enricher.version
    urls = indicators(ws, "i.kind = 'url'")
    own = [u for u in urls if u["native_id"] == "1"]
    assert [(u["field"], u["value"], u["domain"], u["extension"], u["in_quote"]) for u in own] == [
        ("text", "https://img.example.com/u/harbor.jpg", "example.com", "jpg", False)
    ]
    quoting = {(u["field"], u["value"], u["in_quote"]) for u in urls if u["native_id"] == "2"}
    assert quoting == {
        ("text", "https://img.example.com/u/harbor.jpg", True),  # re-quoted, not shared
        ("href", "https://pics.example.net/b/boat.png", None),  # only in the markup
    }
    tags = indicators(ws, "i.kind = 'hashtag'")
    assert {(t["native_id"], t["field"], t["value"]) for t in tags} >= {
        ("1", "text", "#covid"),
        ("1", "title", "#weekend"),  # the thread opener's title
    }
    for r in indicators(ws, "i.start IS NOT NULL AND i.field = 'text'"):
        text = ws.sql(f"SELECT text FROM posts WHERE native_id = '{r['native_id']}'")
        assert text.to_pylist()[0]["text"][r["start"] : r["end"]] == r["raw"]
    # shared, not re-quoted: the default count leaves the quoted copy out
    counts = ws.indicators(IndicatorQuery(kind="url", extension="jpg", by="domain"))
    assert [(c["domain"], c["occurrences"]) for c in counts] == [("example.com", 1)]
    counts = ws.indicators(IndicatorQuery(kind="url", by="extension", include_quoted=True))
    assert {(c["extension"], c["occurrences"]) for c in counts} == {("jpg", 2), ("png", 1)}


def test_edits_replace_indicators_and_reimports_add_none(ws: Workspace, tmp_path: Path) -> None:
    path = forum(tmp_path / "f.jsonl", OWN, QUOTING)
    ws.import_("forum", [path])
    before = indicators(ws)
    ws.import_("forum", [path], force=True)  # unchanged posts: nothing new
    assert indicators(ws) == before
    edited = "<p>Moved to https://new.example.org/harbor.zip</p>"
    ws.import_(
        "forum", [forum(tmp_path / "g.jsonl", edited, QUOTING, edited={1: "2020-04-20 10:00"})]
    )
    own = indicators(ws, "p.native_id = '1' AND i.field = 'text'")
    assert [(r["kind"], r["value"], r["extension"]) for r in own] == [
        ("url", "https://new.example.org/harbor.zip", "zip")
    ]
    assert indicators(ws, "p.native_id = '2'") == [r for r in before if r["native_id"] == "2"]


def test_lexicon_change_makes_posts_stale_until_enriched(ws: Workspace, tmp_path: Path) -> None:
    ws.import_("forum", [forum(tmp_path / "f.jsonl", OWN, QUOTING)])
    assert ws.stale_posts() == 0
    assert not indicators(ws, "i.kind = 'lexicon' AND i.subkind = 'covid'")
    ws = with_lexicon(ws, '["covid*", "lockdown"]')
    try:
        assert ws.stale_posts() == 2
        result = ws.enrich()
        assert result.posts == 2 and ws.stale_posts() == 0
        hits = indicators(ws, "i.kind = 'lexicon' AND i.subkind = 'covid'")
        assert [(h["native_id"], h["value"], h["raw"]) for h in hits] == [
            ("1", "covid*", "covid"),
            ("1", "lockdown", "lockdown"),
        ]
        assert ws.enrich().posts == 0  # nothing left to do
    finally:
        ws.close()


def test_rebuild_is_idempotent_and_keeps_declared_languages(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text(
        "\n".join(
            json.dumps({"id": str(i), "author": "a", "time": 1_600_000_000 + i, "text": t, **extra})
            for i, (t, extra) in enumerate(
                [
                    ("Het weer is vandaag erg mooi in Utrecht, zullen we fietsen?", {}),
                    ("This text is English but the platform says Dutch", {"lang": "nl"}),
                    ("visit https://www.example.org/a.pdf now", {}),
                ]
            )
        )
    )
    ws.import_("jsonl", [path])
    before = ws.sql("SELECT * FROM posts ORDER BY uid").to_pylist()
    ind = indicators(ws)
    result = ws.enrich(rebuild=True)
    assert result.posts == 3
    assert ws.sql("SELECT * FROM posts ORDER BY uid").to_pylist() == before
    assert indicators(ws) == ind
    langs = {p["native_id"]: (p["language"], p["language_confidence"]) for p in before}
    assert langs["0"][0] == "nl" and langs["0"][1] is not None  # detected
    assert langs["1"] == ("nl", None)  # declared by the platform, kept


def test_migrated_store_is_enriched_on_demand(tmp_path: Path) -> None:
    """A store of schema version 1 (before enrichment) is migrated when opened for writing;
    its posts are then stale until `groundswell enrich`."""
    path = tmp_path / "ws"
    with Workspace.init(path) as ws:
        ws.import_("forum", [forum(tmp_path / "f.jsonl", OWN)])
        con = ws.store.con
        con.execute("DROP TABLE indicators")
        for c in ENRICHED_COLUMNS[1:]:
            con.execute(f'ALTER TABLE posts DROP COLUMN "{c}"')
        con.execute("UPDATE posts SET language = NULL")
        con.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    assert main(["migrate", "-w", str(path)]) == 0
    with Workspace.open(path) as ws:
        assert ws.stale_posts() == 1
        assert ws.enrich().posts == 1
        assert indicators(ws, "i.kind = 'url'")[0]["domain"] == "example.com"


def test_cli_enrich_and_indicators(
    ws: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ws.import_("forum", [forum(tmp_path / "f.jsonl", OWN, QUOTING)])
    path = str(ws.path)
    ws.close()
    assert main(["enrich", "-w", path, "--rebuild", "--no-progress"]) == 0
    assert "Enriched 2 posts" in capsys.readouterr().out
    args = ["indicators", "-w", path, "--kind", "url", "--by", "domain", "--per", "month"]
    assert main([*args, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["period"], r["domain"], r["occurrences"]) for r in rows] == [
        ("2020-04-01", "example.com", 1),
        ("2020-04-01", "example.net", 1),
    ]
    assert main(["indicators", "-w", path, "--kind", "url", "--list"]) == 0
    assert "pics.example.net" in capsys.readouterr().out
    assert main(["indicators", "-w", path, "--by", "nothing"]) != 0
    assert "cannot group by 'nothing'" in capsys.readouterr().err
