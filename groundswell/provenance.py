"""Provenance of import runs: the ``imports`` rows every importer and event-table load writes,
and the ``quarantine`` rows of what they rejected."""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from groundswell import __version__
from groundswell.sources.base import Reject
from groundswell.store.duckdb import Store, first


@dataclass
class ImportResult:
    """What one import run did; mirrors its ``imports`` row."""

    import_id: int
    path: str
    importer: str
    target: str = "posts"
    status: str = "running"
    records_read: int = 0
    records_new: int = 0
    records_updated: int = 0
    records_unchanged: int = 0
    records_quarantined: int = 0
    bytes_read: int = 0
    seconds: float = 0.0
    error: str | None = None
    sources: list[str] = field(default_factory=list)
    same_as: int | None = None  # for a skipped run: the completed import of the same file

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(4 << 20):
            h.update(chunk)
    return h.hexdigest()


def begin(
    store: Store, path: Path, importer: str, version: str, options: str, target: str
) -> tuple[ImportResult, int | None]:
    """Record a new run as ``running``; return it and the id of a completed run of the same
    file, importer version and options (so the caller can skip it), if any."""
    con = store.con
    digest = sha256_file(path)
    with store.transaction():
        # Only one writer exists at a time, so a run still marked running died with its process.
        con.execute(
            "UPDATE imports SET status = 'interrupted', finished_at = now() "
            "WHERE status = 'running'"
        )
        import_id = store.next_id("imports", "import_id")
        con.execute(
            "INSERT INTO imports (import_id, path, size_bytes, sha256, importer, importer_version, "
            "options, target, status, started_at, groundswell_version) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'running', now(), ?)",
            [
                import_id,
                str(path),
                path.stat().st_size,
                digest,
                importer,
                version,
                options,
                target,
                __version__,
            ],
        )
    row = first(
        con,
        "SELECT max(import_id) FROM imports WHERE sha256 = ? AND importer = ? "
        "AND importer_version = ? AND options = ? AND target = ? AND status = 'completed'",
        [digest, importer, version, options, target],
    )
    twin = None if row is None or row[0] is None else int(row[0])
    return ImportResult(import_id, str(path), importer, target), twin


def finish(store: Store, result: ImportResult) -> None:
    """Write the run's final status and counts (outside any failed transaction)."""
    with contextlib.suppress(Exception):
        store.con.execute("ROLLBACK")  # in case an error left a transaction open
    store.con.execute(
        "UPDATE imports SET status = ?, error = ?, finished_at = now(), records_read = ?, "
        "records_new = ?, records_updated = ?, records_unchanged = ?, records_quarantined = ? "
        "WHERE import_id = ?",
        [
            result.status,
            result.error,
            result.records_read,
            result.records_new,
            result.records_updated,
            result.records_unchanged,
            result.records_quarantined,
            result.import_id,
        ],
    )


def quarantine(
    con: duckdb.DuckDBPyConnection, import_id: int, path: Path, rejects: list[Reject]
) -> None:
    """Insert rejects into ``quarantine`` as one Arrow table (row-by-row inserts are slow)."""
    n = len(rejects)
    table = pa.table(
        {
            "import_id": pa.repeat(pa.scalar(import_id, pa.int64()), n),
            "path": pa.repeat(pa.scalar(str(path)), n),
            "location": [r.location for r in rejects],
            "reason": [r.reason for r in rejects],
            "excerpt": [r.excerpt for r in rejects],
            "quarantined_at": pa.repeat(
                pa.scalar(datetime.now(UTC), pa.timestamp("us", tz="UTC")), n
            ),
        }
    )
    con.register("rejects_in", table)
    try:
        con.execute("INSERT INTO quarantine SELECT * FROM rejects_in")
    finally:
        con.unregister("rejects_in")
