"""The dictionary of accounts: numbered at import in the batch's transaction, kept across
re-imports, updates and re-enrichment, and back-filled by the migration to schema version 3."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from groundswell import ImportOptions, Workspace, schema
from groundswell.store.duckdb import fill_accounts

T0 = 1_580_000_000  # 2020-01-26
MAP = {"author_id": "author"}


def write(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def recs(n: int, *, authors: int = 7, start: int = 0) -> list[dict[str, Any]]:
    return [
        {
            "id": i,
            "created_at": T0 + 60 * i,
            "author": None if i % 10 == 9 else f"user{i % authors}",
            "text": f"post {i}",
        }
        for i in range(start, start + n)
    ]


def opts(source: str) -> ImportOptions:
    return ImportOptions(source=source, mapping=MAP)


def check(ws: Workspace) -> list[dict[str, Any]]:
    """The accounts are dense from 1, one per (source, author id), and every post carries the
    account of its author (none without one)."""
    accounts = ws.sql("SELECT * FROM accounts ORDER BY account").to_pylist()
    assert [a["account"] for a in accounts] == list(range(1, len(accounts) + 1))
    pairs = {(a["source_id"], a["author_id"]): a["account"] for a in accounts}
    assert len(pairs) == len(accounts)
    for p in ws.sql("SELECT source_id, author_id, account FROM posts").to_pylist():
        want = None if p["author_id"] is None else pairs[(p["source_id"], p["author_id"])]
        assert p["account"] == want, p
    return accounts


def test_accounts_are_numbered_at_import(ws: Workspace, tmp_path: Path) -> None:
    ws.import_("jsonl", [write(tmp_path / "a.jsonl", recs(40))], options=opts("a"))
    ws.import_("jsonl", [write(tmp_path / "b.jsonl", recs(20, authors=3))], options=opts("b"))
    accounts = check(ws)
    # the same author id on two sources is two accounts; a post without an author has none
    assert len(accounts) == 7 + 3
    assert {a["author_id"] for a in accounts if a["source_id"] == "generic:b"} == {
        "user0",
        "user1",
        "user2",
    }
    assert ws.sql("SELECT count(*) AS n FROM posts WHERE account IS NULL").to_pylist() == [
        {"n": 4 + 2}
    ]


def test_reimports_and_updates_keep_accounts(ws: Workspace, tmp_path: Path) -> None:
    first = write(tmp_path / "v1.jsonl", recs(30))
    ws.import_("jsonl", [first], options=opts("a"))
    before = check(ws)
    [again] = ws.import_("jsonl", [first], options=opts("a"), force=True)
    assert again.records_unchanged == 30  # the account is not part of a post's content
    assert check(ws) == before
    # an edited post by a new author, a new post by a known one, a new post by a new one
    newer = recs(30)
    newer[3].update(author="newcomer", text="post 3 (edited)", edited_at=T0 + 100_000)
    newer += [*recs(1, start=30), {"id": 31, "created_at": T0, "author": "late", "text": "x"}]
    [r] = ws.import_("jsonl", [write(tmp_path / "v2.jsonl", newer)], options=opts("a"))
    assert (r.records_new, r.records_updated) == (2, 1)
    after = check(ws)
    assert after[: len(before)] == before  # numbers never change
    assert [a["author_id"] for a in after[len(before) :]] == ["late", "newcomer"]


def test_strict_import_numbers_in_its_transaction(ws: Workspace, tmp_path: Path) -> None:
    records = recs(12)
    f = write(tmp_path / "a.jsonl", records)
    ws.import_("jsonl", [f], options=opts("a"), strict=True)
    assert len(check(ws)) == 7


def test_reenrichment_keeps_accounts(ws: Workspace, tmp_path: Path) -> None:
    ws.import_("jsonl", [write(tmp_path / "a.jsonl", recs(25))], options=opts("a"))
    before = ws.sql("SELECT uid, account FROM posts ORDER BY uid").to_pylist()
    assert ws.enrich(rebuild=True).posts == 25
    assert ws.sql("SELECT uid, account FROM posts ORDER BY uid").to_pylist() == before
    check(ws)


def test_migration_back_fills_accounts(tmp_path: Path) -> None:
    """A store of schema version 2 (no accounts) gets its accounts when opened for writing."""
    path = tmp_path / "ws"
    with Workspace.init(path) as ws:
        ws.import_("jsonl", [write(tmp_path / "a.jsonl", recs(40))], options=opts("a"))
        ws.import_("jsonl", [write(tmp_path / "b.jsonl", recs(15))], options=opts("b"))
        con = ws.store.con
        con.execute("DROP TABLE accounts")
        con.execute("ALTER TABLE posts DROP COLUMN account")
        con.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    with Workspace.open(path) as ws:
        version = ws.sql("SELECT value FROM meta WHERE key = 'schema_version'").to_pylist()
        assert version == [{"value": str(schema.SCHEMA_VERSION)}]
        assert len(check(ws)) == 7 + 7
        # later imports go on from the back-filled numbers
        ws.import_("jsonl", [write(tmp_path / "c.jsonl", recs(5))], options=opts("c"))
        assert len(check(ws)) == 7 + 7 + 5


def test_fill_accounts_numbers_posts_written_by_sql(ws: Workspace, tmp_path: Path) -> None:
    ws.import_("jsonl", [write(tmp_path / "a.jsonl", recs(10))], options=opts("a"))
    con = ws.store.con
    con.execute(
        "INSERT INTO posts (uid, source_id, native_id, time, author_id, import_id, "
        "first_import_id) VALUES (1, 'x', '1', now(), 'user0', 1, 1), "
        "(2, 'x', '2', now(), 'user9', 1, 1), (3, 'x', '3', now(), NULL, 1, 1)"
    )
    fill_accounts(con, step=2)  # (in steps of 2 rows)
    fill_accounts(con)  # nothing left to do
    assert len(check(ws)) == 7 + 2


def test_an_interrupted_migration_is_taken_up_again(tmp_path: Path) -> None:
    """The back-fill runs in steps; one that stopped half-way (the version still 2, some posts
    without their account) is finished by the next open."""
    path = tmp_path / "ws"
    with Workspace.init(path) as ws:
        ws.import_("jsonl", [write(tmp_path / "a.jsonl", recs(40))], options=opts("a"))
        con = ws.store.con
        con.execute("UPDATE posts SET account = NULL WHERE uid % 2 = 0")
        con.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    with Workspace.open(path) as ws:
        assert len(check(ws)) == 7
