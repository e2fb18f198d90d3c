"""Generic CSV and Parquet importers with mappings (JSONL is covered in tests/test_ingest.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from groundswell import HostileInputError, ImportOptions, Workspace
from tests.conftest import posts

CSV_OPTS = ImportOptions(
    source="club",
    timezone="Europe/Amsterdam",
    time_format="%d/%m/%Y %H:%M",
    mapping={"native_id": "post_id", "time": "posted", "author_name": "user", "text": "message"},
)


def test_csv_with_semicolons_quotes_and_a_pattern(ws: Workspace, cases: Path) -> None:
    [r] = ws.import_("csv", [cases / "generic" / "posts.csv"], options=CSV_OPTS)
    assert (r.records_new, r.records_quarantined) == (2, 2)
    a1, a2 = posts(ws)
    assert a1["text"] == "Multi-line\npost; with a semicolon"
    assert a1["time"] == datetime(2020, 4, 22, 15, 5, tzinfo=UTC)  # CEST = UTC+2
    assert a1["time_offset_min"] == 120
    assert a1["likes"] == 3 and a1["tags"] == ["Original"] and a1["section"] == "General chat"
    assert a2["likes"] is None
    reasons = {q["location"]: q["reason"] for q in ws.quarantine()}
    assert "'31/04/2020 17:07' does not match '%d/%m/%Y %H:%M'" in reasons["line 5"]
    assert "likes is 'many', expected an integer" in reasons["line 6"]


def test_csv_wrong_width_invalid_utf8_and_bad_mapping(ws: Workspace, tmp_path: Path) -> None:
    f = tmp_path / "p.csv"
    f.write_bytes(
        b"id,time,text\n1,1580000000,ok\n2,1580000000,too,many\n"
        b"3,1580000000,bad \xff byte\n4,1580000000,fine\n"
    )
    [r] = ws.import_("csv", [f], options=ImportOptions(source="s"))
    assert (r.records_new, r.records_quarantined) == (2, 2)
    reasons = {q["location"]: q["reason"] for q in ws.quarantine()}
    assert reasons["line 3"] == "row has 4 fields, the header has 3"
    assert reasons["line 4"] == "invalid UTF-8"
    with pytest.raises(HostileInputError, match=r"mapped field 'body' .* is not a column"):
        ws.import_(
            "csv", [f], options=ImportOptions(source="s", mapping={"text": "body"}), force=True
        )


def test_csv_overlong_line(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "w")
    cfg = ws.path / "groundswell.toml"
    cfg.write_text(cfg.read_text().replace("max_record_mb = 16", "max_record_mb = 1"))
    ws.close()
    f = tmp_path / "p.csv"
    f.write_text(
        "id,time,text\n1,1580000000,ok\n2,1580000000," + "x" * 2_000_000 + "\n3,1580000000,after\n"
    )
    with Workspace.open(tmp_path / "w") as ws:
        [r] = ws.import_("csv", [f], options=ImportOptions(source="s"))
        assert r.records_new == 2 and r.records_quarantined == 1
        assert "exceeds the record size limit" in ws.quarantine()[0]["reason"]


def test_parquet_with_native_timestamps(ws: Workspace, tmp_path: Path) -> None:
    t = pa.table(
        {
            "id": ["x", "y", None],
            "created_at": pa.array(
                [datetime(2020, 3, 1, 12, tzinfo=UTC)] * 3, pa.timestamp("ms", tz="UTC")
            ),
            "body": ["hello", "world", "no id"],
            "views": [10, None, 3],
        }
    )
    pq.write_table(t, tmp_path / "p.parquet")
    [r] = ws.import_("parquet", [tmp_path / "p.parquet"], options=ImportOptions(source="pq"))
    assert (r.records_new, r.records_quarantined) == (2, 1)
    x = posts(ws)[0]
    assert x["time"] == datetime(2020, 3, 1, 12, tzinfo=UTC) and x["views"] == 10
    assert ws.quarantine()[0]["location"] == "row 3"
    (tmp_path / "bad.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(HostileInputError, match="not a readable Parquet file"):
        ws.import_("parquet", [tmp_path / "bad.parquet"], options=ImportOptions(source="pq"))
