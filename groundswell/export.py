"""Export a table or a query to CSV, JSON lines or Parquet, streamed by DuckDB's COPY."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from groundswell.csvfile import write_csv
from groundswell.errors import QueryError
from groundswell.store.duckdb import first

if TYPE_CHECKING:
    from groundswell.analysis.series import Series
    from groundswell.workspace import Workspace

FORMATS = {"csv": "(FORMAT csv, HEADER)", "jsonl": "(FORMAT json)", "parquet": "(FORMAT parquet)"}
SUFFIXES = {
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}


def export(ws: Workspace, query_or_table: str, dest: Path, *, format: str | None = None) -> int:
    """Write ``query_or_table`` (a table name or a SELECT) to ``dest``; returns the row count."""
    fmt = format or SUFFIXES.get(dest.suffix.lower())
    if fmt not in FORMATS:
        raise QueryError(
            f"cannot tell the export format of {dest.name!r}; pass --format {'|'.join(FORMATS)}"
        )
    source = query_or_table.strip()
    if source in ws.table_names():
        source = f'SELECT * FROM "{source}"'
    elif not source.lower().startswith(("select", "with", "from")):
        raise QueryError(
            f"{query_or_table!r} is neither a table ({', '.join(ws.table_names())}) "
            "nor a SELECT query"
        )
    dest.parent.mkdir(parents=True, exist_ok=True)
    target = str(dest.resolve()).replace("'", "''")
    try:
        row = first(ws.store.con, f"COPY ({source}) TO '{target}' {FORMATS[fmt]}")
    except duckdb.Error as e:
        raise QueryError(f"export failed: {e}") from None
    return int(row[0]) if row else 0


def export_series(series: Series, dest: Path) -> int:
    """Write a trend series (one row per period and facet: period, facet fields, value,
    status ...) to CSV, JSON (an array of objects), JSON lines or Parquet, by suffix; returns
    the rows written."""
    import orjson
    import pyarrow.parquet as pq

    suffix = dest.suffix.lower()
    table = series.to_arrow()
    dest.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        write_csv(table, dest)
    elif suffix in (".parquet", ".pq"):
        pq.write_table(table, dest)
    elif suffix == ".json":
        dest.write_bytes(orjson.dumps(table.to_pylist(), default=str, option=orjson.OPT_INDENT_2))
    elif suffix in (".jsonl", ".ndjson"):
        dest.write_bytes(b"".join(orjson.dumps(r, default=str) + b"\n" for r in table.to_pylist()))
    else:
        raise QueryError(
            f"cannot tell the format of {dest.name!r}: use .csv, .json, .jsonl or .parquet"
        )
    return table.num_rows
