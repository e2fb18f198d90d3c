"""Reddit (Pushshift / Arctic Shift) dump importer: mapping, kinds, zstd quirks, hostile input."""

from __future__ import annotations

import io
import time
from pathlib import Path

import orjson
import pytest
import zstandard

from groundswell import Workspace
from groundswell.errors import HostileInputError
from groundswell.sources.base import ImportOptions
from tests.conftest import posts

T0 = 1583020800  # 2020-03-01T00:00:00Z
US = 1_000_000


def _by_id(ws: Workspace) -> dict[str, dict]:
    return {p["native_id"]: p for p in posts(ws)}


def _import_fixtures(ws: Workspace, cases: Path) -> None:
    for name in ("RS_2020-03.zst", "RC_2020-03.zst"):
        (result,) = ws.import_("reddit", [cases / "reddit" / name])
        assert result.status == "completed"
        assert result.records_quarantined == 0


def _us(dt: object) -> int:
    return int(dt.timestamp() * US)  # type: ignore[attr-defined]


def test_fixtures_need_the_2gib_window(cases: Path) -> None:
    data = (cases / "reddit" / "RC_2020-03.zst").read_bytes()
    assert zstandard.get_frame_parameters(data).window_size == 2**31
    with pytest.raises(zstandard.ZstdError):  # a default decoder refuses, like on real dumps
        zstandard.ZstdDecompressor().stream_reader(io.BytesIO(data)).read()
    assert data.count(b"\x28\xb5\x2f\xfd") >= 3  # several frames


def test_field_mapping(ws: Workspace, cases: Path) -> None:
    _import_fixtures(ws, cases)
    by_id = _by_id(ws)
    assert len(by_id) == 9

    c1 = by_id["t1_fk00001"]
    assert c1["source_id"] == "reddit:r/ExampleGardening"
    assert c1["kind"] == "comment"
    assert _us(c1["time"]) == (T0 + 3600) * US  # int created_utc
    assert c1["edited_at"] is None  # edited: false
    assert _us(c1["retrieved_at"]) == (T0 + 86400) * US
    assert c1["author_name"] == c1["author_id"] == "tomato_fan"
    assert c1["thread_id"] == c1["parent_id"] == "t3_fa1b2c"
    # HTML escaping undone, Markdown kept as text, links and the quote located
    assert c1["text"].startswith("> Should I mulch now?\n\nYes: compost & straw.")
    assert "[the guide](https://garden.example.org/mulch?a=1&b=2)" in c1["text"]
    assert c1["links"] == ["https://garden.example.org/mulch?a=1&b=2"]
    (quote,) = c1["quotes"]
    assert c1["text"][quote["start"] : quote["end"]] == "> Should I mulch now?"
    assert (c1["score"], c1["likes"]) == (12, 12)
    extra = orjson.loads(c1["extra"])
    assert extra["author_fullname"] == "t2_4a1b2c"
    assert extra["author_flair_text"] == "Zone 7b"
    assert extra["permalink"].endswith("/fk00001/")

    c2 = by_id["t1_fk00002"]  # string created_utc, int edited, deleted author and body
    assert _us(c2["time"]) == (T0 + 7200) * US
    assert _us(c2["edited_at"]) == (T0 + 9000) * US
    assert c2["author_name"] is None and c2["author_id"] is None and c2["text"] is None
    assert c2["parent_id"] == "t1_fk00001"
    extra = orjson.loads(c2["extra"])
    assert (extra["author_state"], extra["text_state"]) == ("deleted", "deleted")

    c3 = by_id["t1_fk00003"]  # float created_utc and edited, removed body, retrieved_utc
    assert _us(c3["time"]) == (T0 + 10800) * US
    assert _us(c3["edited_at"]) == (T0 + 11000) * US + US // 2
    assert _us(c3["retrieved_at"]) == (T0 + 90000) * US
    assert c3["text"] is None and orjson.loads(c3["extra"])["text_state"] == "removed"
    assert c3["score"] == -3

    c4 = by_id["t1_fk00004"]  # Arctic Shift _meta gives retrieved_at
    assert c4["source_id"] == "reddit:r/synthetic_city"
    assert _us(c4["retrieved_at"]) == (T0 + 172800) * US
    assert c4["links"] == ["https://city.example.net/rules"]
    assert orjson.loads(c4["extra"])["distinguished"] == "moderator"

    s1 = by_id["t3_fa1b2c"]
    assert s1["kind"] == "submission"
    assert s1["title"] == s1["thread_title"] == "Mulch & compost: when to start?"
    assert s1["thread_id"] == "t3_fa1b2c" and s1["parent_id"] is None
    assert s1["text"].startswith("Beds are **thawing**.")  # Markdown not rendered
    assert s1["links"] is None  # a self post's url is its own permalink
    assert s1["tags"] == ["Question"]
    assert (s1["score"], s1["likes"], s1["replies"]) == (40, 40, 3)
    assert orjson.loads(s1["extra"])["is_self"] is True

    s2 = by_id["t3_fa3d4e"]  # link post: string created_utc, float edited, deleted author
    assert s2["title"] == "Study: soil <pH> and yields"
    assert s2["links"] == ["https://news.example.com/article?id=7&ref=rss"]
    assert s2["text"] is None and s2["author_name"] is None
    assert _us(s2["time"]) == (T0 + 5000) * US
    assert _us(s2["edited_at"]) == (T0 + 6000) * US + US // 4
    assert orjson.loads(s2["extra"])["domain"] == "news.example.com"

    s3 = by_id["t3_fa9z9z"]
    assert s3["replies"] == 12  # "12" as text
    assert s3["text"] is None and orjson.loads(s3["extra"])["text_state"] == "removed"

    sources = {s["source_id"]: s for s in ws.sources()}
    assert set(sources) == {"reddit:r/ExampleGardening", "reddit:r/synthetic_city"}
    assert (
        sources["reddit:r/ExampleGardening"]["url"] == "https://www.reddit.com/r/ExampleGardening"
    )
    assert sources["reddit:r/ExampleGardening"]["platform"] == "reddit"


def test_kind_is_detected_per_record_and_ids_do_not_collide(ws: Workspace, cases: Path) -> None:
    _import_fixtures(ws, cases)
    by_id = _by_id(ws)
    # the RC file holds a submission: it is one, whatever the file name says
    stray = by_id["t3_fa7q7q"]
    assert stray["kind"] == "submission" and stray["title"] == "Stray submission in RC"
    # a comment and a submission sharing the base-36 id "fa1b2c" are two records
    assert by_id["t1_fa1b2c"]["kind"] == "comment"
    assert by_id["t3_fa1b2c"]["kind"] == "submission"


def test_reimport_is_idempotent(ws: Workspace, cases: Path) -> None:
    _import_fixtures(ws, cases)
    before = posts(ws)
    (again,) = ws.import_("reddit", [cases / "reddit" / "RC_2020-03.zst"], force=True)
    assert again.records_new == 0 and again.records_updated == 0
    assert posts(ws) == before


def _ndjson(path: Path, lines: list[bytes]) -> Path:
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def _comment(i: int, **kw: object) -> bytes:
    rec = {
        "id": f"c{i}",
        "author": "someone",
        "body": f"comment {i}",
        "created_utc": T0 + i,
        "link_id": "t3_abc",
        "parent_id": "t3_abc",
        "subreddit": "ExampleGardening",
    }
    rec.update(kw)
    return orjson.dumps({k: v for k, v in rec.items() if v is not None})


def test_malformed_records_are_quarantined(ws: Workspace, tmp_path: Path) -> None:
    lines = [
        _comment(1),
        b'{"id": "c2", "body": "cut off',  # invalid JSON
        b"[1, 2, 3]",  # not an object
        b'"just a string"',
        b"",  # blank lines are skipped, not quarantined
        _comment(3, id=None),  # missing id
        _comment(4, created_utc="yesterday"),  # bad created_utc
        _comment(5, created_utc=None),  # missing created_utc
        _comment(6, id="not an id!"),
        _comment(7, subreddit=None),
        b'{"id": "c8", "created_utc": 1583020800, "subreddit": "x"}',  # neither kind
        _comment(9, created_utc=str(T0 + 9)),
        b'{"id": "c10", "body": "nul \\u0000 inside", "created_utc": 1583020810, '
        b'"link_id": "abc", "parent_id": "abc", "subreddit": "ExampleGardening"}',
    ]
    path = _ndjson(tmp_path / "comments.ndjson", lines)  # plain NDJSON is accepted too
    (result,) = ws.import_("reddit", [path])
    assert result.status == "completed"
    by_id = _by_id(ws)
    assert set(by_id) == {"t1_c1", "t1_c9", "t1_c10"}
    # bare link_id/parent_id in old re-scrapes are prefixed; NUL characters are dropped
    assert by_id["t1_c10"]["thread_id"] == by_id["t1_c10"]["parent_id"] == "t3_abc"
    assert by_id["t1_c10"]["text"] == "nul  inside"
    reasons = {q["location"]: q["reason"] for q in ws.quarantine()}
    assert reasons["line 2"].startswith("invalid JSON")
    assert reasons["line 3"] == "expected a JSON object, got an array"
    assert reasons["line 4"] == "expected a JSON object, got a string"
    assert reasons["line 6"] == "missing id"
    assert reasons["line 7"].startswith("bad created_utc") and "yesterday" in reasons["line 7"]
    assert reasons["line 8"] == "missing created_utc"
    assert "not a base-36 Reddit id" in reasons["line 9"]
    assert reasons["line 10"] == "missing subreddit"
    assert reasons["line 11"].startswith("cannot tell a comment from a submission")
    assert len(reasons) == 9
    assert all(q["excerpt"] for q in ws.quarantine())


def test_file_name_decides_only_ambiguous_records(ws: Workspace, tmp_path: Path) -> None:
    rec = b'{"id": "q1", "created_utc": 1583020800, "subreddit": "ExampleGardening"}'
    ws.import_("reddit", [_ndjson(tmp_path / "RS_2020-03.ndjson", [rec])])
    assert _by_id(ws)["t3_q1"]["kind"] == "submission"


def test_source_option_and_gzip(ws: Workspace, tmp_path: Path) -> None:
    import gzip

    path = tmp_path / "dump.gz"
    path.write_bytes(gzip.compress(_comment(1) + b"\n" + _comment(2, subreddit="Other") + b"\n"))
    ws.import_("reddit", [path], options=ImportOptions(source="my-collection"))
    assert {p["source_id"] for p in posts(ws)} == {"reddit:my-collection"}


def test_truncated_zst_fails_and_keeps_earlier_imports(
    ws: Workspace, cases: Path, tmp_path: Path
) -> None:
    (first,) = ws.import_("reddit", [cases / "reddit" / "RS_2020-03.zst"])
    before = posts(ws)
    data = (cases / "reddit" / "RC_2020-03.zst").read_bytes()
    cut = tmp_path / "RC_2020-03.zst"
    cut.write_bytes(data[:-7])  # the last frame loses its tail
    with pytest.raises(HostileInputError, match="truncated"):
        ws.import_("reddit", [cut])
    # the earlier import is untouched
    assert [p for p in posts(ws) if p["import_id"] == first.import_id] == before
    failed = ws.imports()[0]
    assert failed["status"] == "failed" and "truncated" in failed["error"]


def test_truncated_big_zst_keeps_the_records_read_before_the_break(
    ws: Workspace, tmp_path: Path
) -> None:
    cctx = zstandard.ZstdCompressor(level=1)
    frames = [
        cctx.compress(b"".join(_comment(i) + b"\n" for i in range(f * 4000, (f + 1) * 4000)))
        for f in range(3)
    ]
    path = tmp_path / "RC_2020-04.zst"
    path.write_bytes(b"".join(frames)[:-100])
    with pytest.raises(HostileInputError, match="truncated"):
        ws.import_("reddit", [path])
    stored = {p["native_id"] for p in posts(ws)}
    # every record decoded before the break is stored (the import is marked failed) ...
    assert {f"t1_c{i}" for i in range(8000)} <= stored
    assert {f"t1_c{i}" for i in range(12000)} - stored  # the lost tail
    # ... and the line cut in half, if it was read at all, is quarantined
    assert all(q["reason"].startswith("invalid JSON") for q in ws.quarantine())
    assert ws.imports()[0]["status"] == "failed"


def _bomb(path: Path, byte: bytes, megabytes: int = 300) -> Path:
    block = byte * (1 << 20)
    with open(path, "wb") as f, zstandard.ZstdCompressor(level=3).stream_writer(f) as w:
        for _ in range(megabytes):
            w.write(block)
    return path


@pytest.mark.parametrize("byte", [b"a", b"\n", b" "])
def test_zst_bomb_is_refused_quickly(
    ws: Workspace, cases: Path, tmp_path: Path, byte: bytes
) -> None:
    ws.import_("reddit", [cases / "reddit" / "RS_2020-03.zst"])
    path = _bomb(tmp_path / "RC_2099-01.zst", byte)
    assert path.stat().st_size < 100_000  # 300 MB in a few KB
    started = time.monotonic()
    with pytest.raises(HostileInputError, match="decompression bomb"):
        ws.import_("reddit", [path])
    assert time.monotonic() - started < 2.0
    assert len(posts(ws)) == 3  # the earlier import is intact


def test_mostly_rejected_file_is_refused(ws: Workspace, tmp_path: Path) -> None:
    path = _ndjson(tmp_path / "junk.ndjson", [b"{}"] * 5000)
    with pytest.raises(HostileInputError, match="does not look like a reddit file"):
        ws.import_("reddit", [path])
    assert 1000 <= len(ws.quarantine(limit=5000)) <= 5000  # judged part by part


def test_over_long_line_is_quarantined(tmp_path: Path) -> None:
    with Workspace.init(tmp_path / "small") as ws:
        cfg = ws.path / "groundswell.toml"
        cfg.write_text(cfg.read_text().replace("max_record_mb = 16", "max_record_mb = 0.001"))
    with Workspace.open(tmp_path / "small") as ws:
        long_body = "x" * 5000
        path = _ndjson(
            tmp_path / "c.ndjson", [_comment(1), _comment(2, body=long_body), _comment(3)]
        )
        ws.import_("reddit", [path])
        assert {p["native_id"] for p in posts(ws)} == {"t1_c1", "t1_c3"}
        (q,) = ws.quarantine()
        assert q["location"] == "line 2" and "exceeds" in q["reason"]


def test_worker_path_matches_read(cases: Path) -> None:
    """``prepare`` + ``blocks`` + ``parse_block`` (how a parsing worker sees the file) give what
    ``read`` gives."""
    from groundswell.config import ImportSettings
    from groundswell.sources.base import ReadContext
    from groundswell.sources.reddit import RedditImporter

    path = cases / "reddit" / "RC_2020-03.zst"
    serial = RedditImporter(ImportOptions())
    ctx = ReadContext(ImportSettings(), serial.options)
    want = [(r["native_id"], r["kind"], r["loc"]) for r in serial.read(path, ctx)]  # type: ignore[index]
    ctx.close()
    worker = RedditImporter(ImportOptions())
    worker.prepare(path)
    ctx = ReadContext(ImportSettings(), worker.options)
    got = [
        (r["native_id"], r["kind"], r["loc"])  # type: ignore[index]
        for block in worker.blocks(path, ctx)
        for r in worker.parse_block(block, 16)
    ]
    ctx.close()
    assert got == want and len(got) == 6


def test_a_monthly_dump_covers_its_whole_month(ws: Workspace, cases: Path) -> None:
    from datetime import UTC, datetime

    ws.import_("reddit", [cases / "reddit" / "RC_2020-03.zst"])
    for src in ws.sources():
        [span] = src["coverage"]
        assert span["start"] == datetime(2020, 3, 1, tzinfo=UTC)
        assert span["end"].date().isoformat() == "2020-03-31" and span["end"].hour == 23
    bases = {r["basis"] for r in ws.sql("SELECT basis FROM coverage").to_pylist()}
    assert bases == {"file"}
