"""Export a table or a query to CSV, JSON lines or Parquet, streamed by DuckDB's COPY."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from groundswell.errors import QueryError
from groundswell.store.duckdb import first

if TYPE_CHECKING:
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
