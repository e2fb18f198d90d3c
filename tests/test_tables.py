"""Event tables: typed columns, timezones to UTC, quarantine, keyed updates, atomic loads."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from groundswell import HostileInputError, ImportError_, Workspace

HEADER = "call_id,queued_at,assigned_at,arrived_at,priority,precinct\n"


def csv(path: Path, rows: list[str]) -> Path:
    path.write_bytes((HEADER + "".join(r + "\n" for r in rows)).encode())
    return path


def test_dispatch_log_is_typed_and_in_utc(ws: Workspace, tmp_path: Path) -> None:
    f = csv(
        tmp_path / "calls.csv",
        [
            "1,2020-03-08 01:30:00,2020-03-08 01:34:00,2020-03-08 01:50:00,1,North",
            "2,2020-03-08 03:30:00,2020-03-08 03:45:30,,3,South",  # after the DST change
        ],
    )
    r = ws.import_table(f, name="calls", time_column="queued_at", timezone="America/Chicago")
    assert (r.status, r.records_new, r.records_quarantined) == ("completed", 2, 0)
    rows = ws.sql("SELECT * FROM ev_calls ORDER BY call_id").to_pylist()
    assert rows[0]["queued_at"] == datetime(2020, 3, 8, 7, 30, tzinfo=UTC)  # CST, UTC-6
    assert rows[1]["queued_at"] == datetime(2020, 3, 8, 8, 30, tzinfo=UTC)  # CDT, UTC-5
    assert rows[1]["arrived_at"] is None and rows[0]["priority"] == 1
    schema = ws.sql("SELECT * FROM ev_calls").schema
    assert schema.field("assigned_at").type == pa.timestamp("us", tz="UTC")
    assert schema.field("priority").type == pa.int64()
    [reg] = ws.sql("SELECT * FROM event_tables").to_pylist()
    assert (reg["table_name"], reg["time_column"], reg["rows"]) == ("ev_calls", "queued_at", 2)


def test_bad_rows_are_quarantined(ws: Workspace, tmp_path: Path) -> None:
    f = tmp_path / "calls.csv"
    f.write_bytes(
        (
            HEADER + "1,2020-03-01 14:05:00,2020-03-01 14:09:30,,1,North\n"
            "2,not a time,2020-03-01 15:19:30,,3,South\n"
            "3,2020-03-01 16:05:00,2020-03-01 16:19:30,,x,South,extra\n"
            "4,1970-01-01 00:00:00,1970-01-01 00:10:00,,2,East\n"
            "5,,2020-03-01 16:19:30,,2,East\n"
        ).encode()
        + b"6,2020-03-01 16:05:00,2020-03-01 16:19:30,,2,S\xffuth\n"
    )
    r = ws.import_table(f, name="calls", time_column="queued_at")
    assert r.records_new == 1 and r.records_quarantined == 5
    reasons = " | ".join(q["reason"] for q in ws.quarantine())
    for why in (
        "unparseable time not a time",
        "absurd time",
        "missing time",
        "TOO MANY COLUMNS",
        "INVALID ENCODING",
    ):
        assert why in reasons


def test_keyed_reimport_updates_and_unkeyed_skips(ws: Workspace, tmp_path: Path) -> None:
    v1 = csv(
        tmp_path / "v1.csv",
        [
            "1,2020-03-01 14:05:00,2020-03-01 14:09:30,,1,North",
            "2,2020-03-01 15:05:00,2020-03-01 15:19:30,,3,South",
        ],
    )
    v2 = csv(
        tmp_path / "v2.csv",
        [
            "1,2020-03-01 14:05:00,2020-03-01 14:09:30,,1,North",
            "2,2020-03-01 15:05:00,2020-03-01 15:29:30,,3,South",
            "3,2020-03-02 15:05:00,2020-03-02 15:29:30,,2,East",
        ],
    )
    ws.import_table(v1, name="calls", time_column="queued_at", key=["call_id"])
    r = ws.import_table(v2, name="calls", time_column="queued_at", key=["call_id"])
    assert (r.records_new, r.records_updated, r.records_unchanged) == (1, 1, 1)
    assert ws.sql("SELECT count(*) AS n FROM ev_calls").to_pylist() == [{"n": 3}]
    ws.import_table(v1, name="plain", time_column="queued_at")
    again = ws.import_table(v1, name="plain", time_column="queued_at")
    assert again.status == "skipped"
    assert ws.sql("SELECT count(*) AS n FROM ev_plain").to_pylist() == [{"n": 2}]


def test_parquet_and_errors(ws: Workspace, tmp_path: Path) -> None:
    t = pa.table(
        {
            "id": [1, 2],
            "seen_at": pa.array(
                [datetime(2020, 1, 1, 12), datetime(2020, 1, 2)], pa.timestamp("us")
            ),
            "v": [1.5, 2.5],
        }
    )
    pq.write_table(t, tmp_path / "e.parquet")
    r = ws.import_table(
        tmp_path / "e.parquet", name="events", time_column="seen_at", timezone="Europe/Amsterdam"
    )
    assert r.records_new == 2
    first = ws.sql("SELECT seen_at FROM ev_events ORDER BY id").to_pylist()[0]["seen_at"]
    assert first == datetime(2020, 1, 1, 11, tzinfo=UTC)
    with pytest.raises(ImportError_, match="no column 'when'"):
        ws.import_table(tmp_path / "e.parquet", name="e2", time_column="when")
    with pytest.raises(ImportError_, match="must be lower-case"):
        ws.import_table(tmp_path / "e.parquet", name="Bad Name; DROP", time_column="seen_at")
    other = csv(tmp_path / "o.csv", ["1,2020-03-01 14:05:00,2020-03-01 14:09:30,,1,North"])
    with pytest.raises(ImportError_, match="differ from table ev_events"):
        ws.import_table(other, name="events", time_column="queued_at")
    assert ws.sql("SELECT count(*) AS n FROM ev_events").to_pylist() == [{"n": 2}]
    (tmp_path / "junk.parquet").write_bytes(b"PAR1" + b"\x00" * 100)
    with pytest.raises(HostileInputError, match="cannot read"):
        ws.import_table(tmp_path / "junk.parquet", name="junk", time_column="seen_at")
