"""Event tables: any CSV or Parquet file imported as its own typed table with a time column.

A 911 dispatch log, a transactions list, a schedule: ``groundswell import-table calls.csv
--name calls --time-column queued_at --timezone America/Chicago`` stores ``ev_calls`` with the
file's own columns, typed by DuckDB's CSV sniffer (or Parquet's schema), plus ``_import_id``.

- Every naive timestamp column is read in ``timezone`` and stored as UTC ``TIMESTAMPTZ``; the
  time column is parsed from text when the sniffer could not type it (``--time-format`` takes a
  strptime pattern).
- Rows DuckDB cannot read (wrong column count, bad cast, invalid UTF-8) and rows whose time is
  missing, unparseable or absurd go to ``quarantine`` with their line and reason.
- With ``key`` columns a re-import updates changed rows and adds new ones; without, a file
  already imported is skipped and a different file is appended.
- The whole load is one transaction: a failure leaves the table as it was.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import duckdb
import orjson

from groundswell import provenance
from groundswell.config import ImportSettings
from groundswell.errors import HostileInputError, ImportError_
from groundswell.provenance import ImportResult
from groundswell.sources.base import Reject
from groundswell.sources.readers import sniff_compression
from groundswell.sources.timeparse import zone
from groundswell.store.duckdb import Store, first

NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
VERSION = "1"


def _q(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _reader(path: Path) -> str:
    with open(path, "rb") as f:
        head = f.read(8)
    if head.startswith(b"PAR1"):
        return "read_parquet(?)"
    kind = sniff_compression(head)
    if kind not in (None, "gzip", "zstd"):
        raise HostileInputError(
            f"{kind} compression is not supported for tables; use gzip or "
            "zstd, or decompress first",
            path=str(path),
        )
    compression = {"gzip": "gzip", "zstd": "zstd"}.get(kind or "", "none")
    return (
        "read_csv(?, store_rejects = true, rejects_table = 'ev_rejects', "
        f"rejects_scan = 'ev_scans', compression = '{compression}', "
        "max_line_size = 16777216, sample_size = 20480)"
    )


def import_event_table(
    store: Store,
    path: Path,
    *,
    name: str,
    time_column: str,
    timezone: str = "UTC",
    time_format: str | None = None,
    key: tuple[str, ...] = (),
    force: bool = False,
    settings: ImportSettings | None = None,
) -> ImportResult:
    settings = settings or ImportSettings()
    path = path.resolve()
    if not NAME.match(name):
        raise ImportError_(
            f"table name {name!r} must be lower-case letters, digits and _, starting with a letter"
        )
    if not path.is_file():
        raise ImportError_("no such file", path=str(path))
    zone(timezone)  # validates the name
    table = f"ev_{name}"
    options = orjson.dumps(
        {
            "name": name,
            "time_column": time_column,
            "timezone": timezone,
            "time_format": time_format,
            "key": list(key),
        }
    ).decode()
    result, twin = provenance.begin(store, path, "table", VERSION, options, table)
    started = time.monotonic()
    try:
        if twin is not None and not force and not key:
            result.status, result.same_as = "skipped", twin
        else:
            with store.transaction():
                _load(
                    store,
                    path,
                    result,
                    table,
                    name,
                    time_column,
                    timezone,
                    time_format,
                    key,
                    settings,
                )
            result.status = "completed"
    except duckdb.Error as e:
        result.status, result.error = "failed", f"cannot read the file: {e}"
        result.seconds = time.monotonic() - started
        provenance.finish(store, result)
        raise HostileInputError(f"cannot read as CSV or Parquet: {e}", path=str(path)) from None
    except ImportError_ as e:
        result.status, result.error = "failed", str(e)
        result.seconds = time.monotonic() - started
        provenance.finish(store, result)
        raise
    result.seconds = time.monotonic() - started
    provenance.finish(store, result)
    return result


def _load(
    store: Store,
    path: Path,
    result: ImportResult,
    table: str,
    name: str,
    time_column: str,
    timezone: str,
    time_format: str | None,
    key: tuple[str, ...],
    settings: ImportSettings,
) -> None:
    con = store.con
    for t in ("ev_rejects", "ev_scans"):
        con.execute(f"DROP TABLE IF EXISTS {t}")
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE ev_raw AS SELECT * FROM {_reader(path)}", [str(path)]
    )
    columns = con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() "
        "WHERE table_name = 'ev_raw' AND database_name = 'temp' ORDER BY column_index"
    ).fetchall()
    names = [c for c, _ in columns]
    if time_column not in names:
        raise ImportError_(
            f"no column {time_column!r}; columns: {', '.join(names)}", path=str(path)
        )
    for k in key:
        if k not in names:
            raise ImportError_(
                f"key column {k!r} not found; columns: {', '.join(names)}", path=str(path)
            )
    if "_import_id" in names or "_line" in names:
        raise ImportError_("columns named _import_id or _line are reserved", path=str(path))
    tz = timezone.replace("'", "")
    select = []
    for col, typ in columns:
        q = _q(col)
        if col == time_column and typ == "VARCHAR":
            parse = (
                f"try_strptime({q}, '{time_format.replace(chr(39), '')}')"
                if time_format
                else f"TRY_CAST({q} AS TIMESTAMP)"
            )
            select.append(f"timezone('{tz}', {parse}) AS {q}")
        elif typ == "TIMESTAMP":
            select.append(f"timezone('{tz}', {q}) AS {q}")
        elif typ == "DATE" and col == time_column:
            select.append(f"timezone('{tz}', {q}::TIMESTAMP) AS {q}")
        else:
            select.append(q)
    # keep the raw time text to explain rejects
    con.execute(f"""CREATE OR REPLACE TEMP TABLE ev_stage AS
        SELECT {", ".join(select)}, {_q(time_column)}::VARCHAR AS _raw_time,
               row_number() OVER () AS _row FROM ev_raw""")
    tq = _q(time_column)
    earliest, latest = settings.time_window()
    bad_time = f"{tq} IS NULL OR {tq} < ?::TIMESTAMPTZ OR {tq} > ?::TIMESTAMPTZ"
    quarantined = con.execute(
        f"""
        SELECT _row, CASE WHEN _raw_time IS NULL THEN 'missing time'
                          WHEN {tq} IS NULL THEN 'unparseable time ' || _raw_time
                          ELSE 'absurd time ' || {tq}::VARCHAR END
        FROM ev_stage WHERE {bad_time}""",
        [earliest, latest],
    ).fetchall()
    rows = [Reject(f"data row {r}", reason) for r, reason in quarantined]
    if _has_rejects(con):  # one quarantine row per rejected line, with all its errors
        rows += [
            Reject(f"line {line}", reason[:500], (raw or "")[:1000])
            for line, reason, raw in con.execute(
                "SELECT line, string_agg(error_type::VARCHAR || ': ' || error_message, '; ' "
                "ORDER BY error_type::VARCHAR), any_value(csv_line) "
                "FROM ev_rejects GROUP BY line ORDER BY line"
            ).fetchall()
        ]
    if rows:
        provenance.quarantine(con, result.import_id, path, rows)
    con.execute(f"DELETE FROM ev_stage WHERE {bad_time}", [earliest, latest])
    con.execute("ALTER TABLE ev_stage DROP COLUMN _raw_time")
    con.execute("ALTER TABLE ev_stage DROP COLUMN _row")
    read = first(con, "SELECT count(*) FROM ev_stage")
    assert read is not None
    result.records_read = int(read[0]) + len(rows)
    result.records_quarantined = len(rows)
    _merge(store, result, table, name, time_column, timezone, key)


def _has_rejects(con: duckdb.DuckDBPyConnection) -> bool:
    row = first(con, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'ev_rejects'")
    return bool(row and row[0])


def _merge(
    store: Store,
    result: ImportResult,
    table: str,
    name: str,
    time_column: str,
    timezone: str,
    key: tuple[str, ...],
) -> None:
    con = store.con
    exists = first(
        con, "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND NOT temporary", [table]
    )
    stage_cols = con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE "
        "table_name = 'ev_stage' AND database_name = 'temp' ORDER BY column_index"
    ).fetchall()
    if not (exists and exists[0]):
        con.execute(
            f"CREATE TABLE {_q(table)} AS SELECT *, ?::BIGINT AS _import_id FROM ev_stage LIMIT 0",
            [result.import_id],
        )
    else:
        have = con.execute(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE "
            "table_name = ? AND database_name = current_database() "
            "AND column_name <> '_import_id' "
            "ORDER BY column_index",
            [table],
        ).fetchall()
        if have != stage_cols:
            raise ImportError_(
                f"the file's columns {_fmt(stage_cols)} differ from table {table} "
                f"{_fmt(have)}; import it under another --name"
            )
    cols = ", ".join(_q(c) for c, _ in stage_cols)
    if key:
        on = " AND ".join(f"t.{_q(k)} IS NOT DISTINCT FROM s.{_q(k)}" for k in key)
        same = " AND ".join(f"t.{_q(c)} IS NOT DISTINCT FROM s.{_q(c)}" for c, _ in stage_cols)
        counts = first(
            con,
            f"""
            SELECT count(*) FILTER (WHERE NOT matched),
                   count(*) FILTER (WHERE matched AND NOT same),
                   count(*) FILTER (WHERE matched AND same)
            FROM (SELECT EXISTS (SELECT 1 FROM {_q(table)} t WHERE {on}) AS matched,
                         EXISTS (SELECT 1 FROM {_q(table)} t WHERE {same}) AS same
                  FROM ev_stage s)""",
        )
        assert counts is not None
        result.records_new, result.records_updated, result.records_unchanged = map(int, counts)
        con.execute(f"""DELETE FROM {_q(table)} t WHERE EXISTS (
            SELECT 1 FROM ev_stage s WHERE {on})
            AND NOT EXISTS (SELECT 1 FROM ev_stage s WHERE {same})""")
        con.execute(
            f"""INSERT INTO {_q(table)} SELECT {cols}, ? FROM ev_stage s
            WHERE NOT EXISTS (SELECT 1 FROM {_q(table)} t WHERE {same})""",
            [result.import_id],
        )
    else:
        n = first(con, "SELECT count(*) FROM ev_stage")
        result.records_new = int(n[0]) if n else 0
        con.execute(f"INSERT INTO {_q(table)} SELECT {cols}, ? FROM ev_stage", [result.import_id])
    total = first(con, f"SELECT count(*) FROM {_q(table)}")
    con.execute(
        """INSERT INTO event_tables VALUES (?, ?, ?, ?, ?, ?, now(), now())
        ON CONFLICT DO UPDATE SET rows = excluded.rows, updated_at = now(),
          key_columns = excluded.key_columns""",
        [name, table, time_column, timezone, list(key), total[0] if total else 0],
    )
    for t in ("ev_raw", "ev_stage"):
        con.execute(f"DROP TABLE IF EXISTS {t}")


def _fmt(cols: list[Any]) -> str:
    return "(" + ", ".join(f"{c} {t}" for c, t in cols) + ")"
