"""The import pipeline: idempotency, incremental updates, quarantine, --strict, hostile files."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
import zstandard

from groundswell import HostileInputError, ImportError_, ImportOptions, Reject, Workspace
from groundswell.ids import post_uid
from tests.conftest import posts

OPTS = ImportOptions(source="forum-a")
T0 = 1_580_000_000  # 2020-01-26


def write_jsonl(path: Path, records: list[dict], extra_lines: list[bytes] = ()) -> Path:
    with path.open("wb") as f:
        for r in records:
            f.write(json.dumps(r).encode() + b"\n")
        for line in extra_lines:
            f.write(line + b"\n")
    return path


def recs(n: int, *, start: int = 0, text: str = "post {i}") -> list[dict]:
    return [
        {
            "id": i,
            "created_at": T0 + 60 * i,
            "author": f"user{i % 7}",
            "text": text.format(i=i),
            "board": "General chat",
        }
        for i in range(start, start + n)
    ]


def test_import_maps_fields_and_records_provenance(ws: Workspace, tmp_path: Path) -> None:
    f = write_jsonl(tmp_path / "a.jsonl", recs(5))
    [r] = ws.import_("jsonl", [f], options=OPTS)
    assert (r.status, r.records_read, r.records_new, r.records_quarantined) == (
        "completed",
        5,
        5,
        0,
    )
    rows = posts(ws)
    assert [p["native_id"] for p in rows] == ["0", "1", "2", "3", "4"]
    p = rows[1]
    assert p["source_id"] == "generic:forum-a"
    assert p["uid"] == post_uid("generic:forum-a", "1")
    assert p["author_name"] == "user1" and p["section"] == "General chat"
    assert p["time"].timestamp() == T0 + 60
    assert p["import_id"] == p["first_import_id"] == r.import_id
    [imp] = ws.imports()
    assert imp["sha256"] and imp["importer"] == "jsonl" and imp["status"] == "completed"
    assert imp["records_new"] == 5 and imp["finished_at"] >= imp["started_at"]
    [src] = ws.sources()
    assert src["posts"] == 5 and src["network"] == "clearnet"
    assert src["coverage"][0]["start"].timestamp() == T0
    assert src["coverage"][0]["end"].timestamp() == T0 + 240


def test_reimport_same_file_adds_nothing(ws: Workspace, tmp_path: Path) -> None:
    f = write_jsonl(tmp_path / "a.jsonl", recs(50))
    ws.import_("jsonl", [f], options=OPTS)
    [skipped] = ws.import_("jsonl", [f], options=OPTS)
    assert skipped.status == "skipped" and skipped.same_as == 1
    [forced] = ws.import_("jsonl", [f], options=OPTS, force=True)
    assert (forced.records_new, forced.records_updated, forced.records_unchanged) == (0, 0, 50)
    assert len(posts(ws)) == 50


def test_newer_export_adds_new_and_updates_edited(ws: Workspace, tmp_path: Path) -> None:
    old = recs(100)
    ws.import_("jsonl", [write_jsonl(tmp_path / "v1.jsonl", old)], options=OPTS)
    new = recs(120)
    for r in new[:10]:
        r["text"] += " (edited)"
        r["edited_at"] = T0 + 100_000
    [r2] = ws.import_("jsonl", [write_jsonl(tmp_path / "v2.jsonl", new)], options=OPTS)
    assert (r2.records_new, r2.records_updated, r2.records_unchanged) == (20, 10, 90)
    rows = {p["native_id"]: p for p in posts(ws)}
    assert len(rows) == 120
    assert rows["3"]["text"] == "post 3 (edited)"
    assert rows["3"]["edited_at"].timestamp() == T0 + 100_000
    assert rows["3"]["import_id"] == r2.import_id and rows["3"]["first_import_id"] == 1
    assert rows["50"]["import_id"] == 1
    # the older export imported again does not undo the edits
    [r3] = ws.import_("jsonl", [tmp_path / "v1.jsonl"], options=OPTS, force=True)
    assert (r3.records_new, r3.records_updated) == (0, 0)
    assert {p["native_id"]: p for p in posts(ws)}["3"]["text"] == "post 3 (edited)"


def test_duplicate_within_a_file_is_stored_once(ws: Workspace, tmp_path: Path) -> None:
    rows = [*recs(3), {**recs(1)[0], "text": "second copy"}]
    [r] = ws.import_("jsonl", [write_jsonl(tmp_path / "d.jsonl", rows)], options=OPTS)
    assert r.records_new == 3 and r.records_unchanged == 1
    assert {p["native_id"]: p["text"] for p in posts(ws)}["0"] == "second copy"


def test_same_native_id_in_two_sources_are_two_posts(ws: Workspace, tmp_path: Path) -> None:
    f = write_jsonl(tmp_path / "a.jsonl", recs(3))
    ws.import_("jsonl", [f], options=OPTS)
    ws.import_("jsonl", [f], options=ImportOptions(source="forum-b"))
    assert len(posts(ws)) == 6
    assert {s["source_id"] for s in ws.sources()} == {"generic:forum-a", "generic:forum-b"}


BAD_LINES = [
    (b"{not json", "invalid JSON"),
    (json.dumps({"created_at": T0, "text": "no id"}).encode(), "missing id"),
    (
        json.dumps({"id": "x1", "created_at": "yesterday-ish", "text": "t"}).encode(),
        "cannot read time",
    ),
    (json.dumps({"id": "x2", "created_at": 0, "text": "1970"}).encode(), "absurd time"),
    (
        json.dumps({"id": "x3", "created_at": 32_503_680_000, "text": "2999"}).encode(),
        "absurd time",
    ),
    (json.dumps({"id": "x4", "created_at": T0, "likes": "many"}).encode(), "expected an integer"),
    (json.dumps({"id": {"nested": 1}, "created_at": T0}).encode(), "id has type dict"),
    (b'{"id": "x5", "created_at": 1580000000, "text": "bad \xff\xfe utf8"}', "invalid UTF-8"),
    (b'{"id": "x6", "created_at": 1580000000, "text": "nul \x00 byte"}', "NUL"),
    (b"[" * 5000 + b"]" * 5000, "nested too deeply"),
    (b'"just a string"', "expected an object"),
]


def test_malformed_records_are_quarantined_with_reasons(ws: Workspace, tmp_path: Path) -> None:
    f = write_jsonl(tmp_path / "bad.jsonl", recs(4), [line for line, _ in BAD_LINES])
    [r] = ws.import_("jsonl", [f], options=OPTS)
    assert r.status == "completed"
    assert (r.records_new, r.records_quarantined) == (4, len(BAD_LINES))
    q = sorted(ws.quarantine(limit=100), key=lambda x: int(x["location"].split()[1]))
    for (line, why), row in zip(BAD_LINES, q, strict=True):
        assert why in row["reason"], (line[:40], row["reason"])
        assert row["path"].endswith("bad.jsonl") and row["location"].startswith("line ")
    assert q[0]["location"] == "line 5" and q[0]["excerpt"] == "{not json"


def test_overlong_line_is_quarantined_not_buffered(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "w")
    cfg = (
        (ws.path / "groundswell.toml")
        .read_text()
        .replace("max_record_mb = 16", "max_record_mb = 1")
    )
    (ws.path / "groundswell.toml").write_text(cfg)
    ws.close()
    huge = json.dumps({"id": "big", "created_at": T0, "text": "x" * 3_000_000}).encode()
    f = write_jsonl(tmp_path / "h.jsonl", recs(2), [huge, json.dumps(recs(1, start=9)[0]).encode()])
    with Workspace.open(tmp_path / "w") as ws:
        [r] = ws.import_("jsonl", [f], options=OPTS)
        assert (r.records_new, r.records_quarantined) == (3, 1)
        [q] = ws.quarantine()
        assert "exceeds the 1 MB limit" in q["reason"] and q["location"] == "line 3"
        assert len(q["excerpt"]) <= 1000


def test_strict_stores_nothing_of_a_bad_file(ws: Workspace, tmp_path: Path) -> None:
    ws.import_("jsonl", [write_jsonl(tmp_path / "good.jsonl", recs(10))], options=OPTS)
    bad = write_jsonl(tmp_path / "bad.jsonl", recs(30, start=100), [b"{broken"])
    with pytest.raises(ImportError_, match=r"bad.jsonl:line 31: invalid JSON.*--strict"):
        ws.import_("jsonl", [bad], options=OPTS, strict=True)
    assert len(posts(ws)) == 10
    assert ws.quarantine() == []
    assert [i["status"] for i in ws.imports()] == ["failed", "completed"]
    assert ws.sql("SELECT count(*) AS n FROM coverage").to_pylist()[0]["n"] == 1


def test_truncated_gzip_fails_cleanly_and_keeps_earlier_data(ws: Workspace, tmp_path: Path) -> None:
    ws.import_("jsonl", [write_jsonl(tmp_path / "good.jsonl", recs(10))], options=OPTS)
    data = gzip.compress(b"".join(json.dumps(r).encode() + b"\n" for r in recs(60_000, start=100)))
    f = tmp_path / "cut.jsonl.gz"
    f.write_bytes(data[: len(data) // 2])
    with pytest.raises(HostileInputError, match="gzip stream is corrupt or truncated"):
        ws.import_("jsonl", [f], options=OPTS)
    n = len(posts(ws))
    assert 10 < n < 60_010  # the valid records before the cut are kept, nothing earlier lost
    assert ws.imports()[0]["status"] == "failed"
    assert "truncated" in ws.imports()[0]["error"]


def test_truncated_zstd_fails_cleanly(ws: Workspace, tmp_path: Path) -> None:
    data = zstandard.ZstdCompressor().compress(
        b"".join(json.dumps(r).encode() + b"\n" for r in recs(2000))
    )
    f = tmp_path / "cut.zst"
    f.write_bytes(data[:-20])
    with pytest.raises(HostileInputError, match="zstd stream is truncated"):
        ws.import_("jsonl", [f], options=OPTS)


def test_decompression_bomb_is_refused(ws: Workspace, tmp_path: Path) -> None:
    cctx = zstandard.ZstdCompressor(level=3)
    chunk = b"A" * (1 << 20)
    f = tmp_path / "bomb.zst"
    with f.open("wb") as out, cctx.stream_writer(out) as w:
        for _ in range(1024):  # 1 GiB of one byte: about 40 KB compressed
            w.write(chunk)
    assert f.stat().st_size < 200_000
    with pytest.raises(HostileInputError, match="decompression bomb"):
        ws.import_("jsonl", [f], options=OPTS)


def test_not_a_file_and_unknown_format(ws: Workspace, tmp_path: Path) -> None:
    with pytest.raises(ImportError_, match="no such file"):
        ws.import_("jsonl", [tmp_path / "missing.jsonl"], options=OPTS)
    from groundswell import UnknownFormatError

    with pytest.raises(UnknownFormatError, match=r"unknown format 'nope'; known formats: .*jsonl"):
        ws.import_("nope", [tmp_path], options=OPTS)


def test_declared_coverage(ws: Workspace, tmp_path: Path) -> None:
    from datetime import UTC, datetime

    span = (datetime(2020, 1, 1, tzinfo=UTC), datetime(2020, 3, 31, tzinfo=UTC))
    ws.import_("jsonl", [write_jsonl(tmp_path / "a.jsonl", recs(3))], options=OPTS, covers=span)
    [src] = ws.sources()
    assert [(c["start"], c["end"]) for c in src["coverage"]] == [span]


def test_custom_importer_plugs_in(ws: Workspace, tmp_path: Path) -> None:
    """A third-party importer registers and runs through the same pipeline."""
    from collections.abc import Iterator

    from groundswell import Importer, ReadContext, Reject, SourceInfo, register

    class Lines(Importer):
        name = "lines-test"
        description = "one post per line of text"

        def read(self, path: Path, ctx: ReadContext) -> Iterator[dict | Reject]:
            src = SourceInfo("notes", "my notes")
            for i, line in enumerate(ctx.open(path).stream, 1):
                if not line.strip():
                    yield Reject(f"line {i}", "empty line")
                    continue
                yield {
                    "source": src,
                    "native_id": str(i),
                    "time": T0 * 1_000_000,
                    "text": line.decode().strip(),
                }

    register(Lines)
    f = tmp_path / "notes.txt"
    f.write_text("first\n\nthird\n")
    [r] = ws.import_("lines-test", [f])
    assert (r.records_new, r.records_quarantined) == (2, 1)
    assert [p["text"] for p in posts(ws)] == ["first", "third"]


@pytest.mark.slow
def test_parallel_parse_matches_in_process(tmp_path: Path) -> None:
    """Large line-based files are parsed and enriched by worker processes: same rows,
    enrichment, indicators, rejects and counts."""
    lines, ids = [], set()
    for i in range(80_000):
        if i % 9973 == 0:
            lines.append(b"{broken line")
        else:
            r = recs(
                1,
                start=i % 70_000,
                text=f"post {i % 70_000} see https://files.example.com/"
                f"{i % 70_000}.jpg #ad " + "padding " * 20,
            )[0]  # some repeats
            lines.append(json.dumps(r).encode())
            ids.add(r["id"])
    f = tmp_path / "big.jsonl"
    f.write_bytes(b"\n".join(lines) + b"\n")
    assert f.stat().st_size > 16 << 20
    results = {}
    for workers in (1, 2):
        Workspace.init(tmp_path / f"w{workers}").close()
        cfg = tmp_path / f"w{workers}" / "groundswell.toml"
        cfg.write_text(cfg.read_text().replace("workers = 0", f"workers = {workers}"))
        with Workspace.open(tmp_path / f"w{workers}") as ws:
            [r] = ws.import_("jsonl", [f], options=OPTS)
            rows = ws.sql(
                "SELECT uid, text, import_id, language, script, content_hash, simhash, enriched, "
                "(SELECT list(i ORDER BY i.start, i.kind) FROM indicators i "
                " WHERE i.post_uid = p.uid) AS ind FROM posts p ORDER BY uid"
            ).to_pylist()
            # a link, a hashtag and a hit of the built-in disclosure lexicon per post, once
            n = ws.sql("SELECT count(*) n FROM indicators").to_pylist()[0]["n"]
            assert n == 3 * len(rows)
            q = sorted((x["location"], x["reason"]) for x in ws.quarantine(limit=1000))
            results[workers] = (
                r.records_read,
                r.records_new,
                r.records_unchanged,
                r.records_quarantined,
                rows,
                q,
            )
    assert results[1] == results[2]
    read, new, unchanged, quarantined, rows, q = results[2]
    assert (read, new, quarantined) == (80_000, len(ids), 9)
    assert unchanged == read - new - quarantined


@pytest.mark.parametrize(
    ("fmt", "fixture", "options"),
    [
        ("forum", "forum/posts.jsonl", ImportOptions(timezone="Europe/Amsterdam")),
        ("reddit", "reddit/RC_2020-03.zst", ImportOptions()),
        ("jsonl", None, ImportOptions(source="s")),
    ],
)
def test_worker_path_matches_read_for_every_line_based_importer(
    cases: Path, tmp_path: Path, fmt: str, fixture: str | None, options: ImportOptions
) -> None:
    """A parse worker gets a fresh importer, calls ``prepare`` and parses blocks: it must
    produce what ``read`` produces (per-file state belongs in ``prepare``)."""
    from groundswell.config import ImportSettings
    from groundswell.sources.base import JsonLinesImporter, ReadContext, get_importer

    path = cases / fixture if fixture else write_jsonl(tmp_path / "p.jsonl", recs(50))
    cls = get_importer(fmt)
    assert issubclass(cls, JsonLinesImporter)

    def run(via_workers: bool) -> list[object]:
        importer = cls(options)
        ctx = ReadContext(ImportSettings(), options)
        if via_workers:
            importer.prepare(path)
            items = [i for b in importer.blocks(path, ctx) for i in importer.parse_block(b, 16)]
        else:
            items = list(importer.read(path, ctx))
        ctx.close()
        return [
            (i.location, i.reason)
            if isinstance(i, Reject)
            else (i["loc"], i["native_id"], i["time"], i.get("text"))
            for i in items
        ]

    serial = run(False)
    assert serial and serial == run(True)
