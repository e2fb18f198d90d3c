"""The embedded store: one DuckDB file per workspace, and the concurrency model around it.

Concurrency model (see docs/concurrency.md):
- DuckDB lets one process open a database file for writing, or any number of processes open it
  read-only, never both at once. The lock is DuckDB's own (an OS file lock), so it is released
  by the kernel when a process dies: a killed import never leaves a stale lock.
- Every process that opens the store writes ``locks/<pid>.json`` (command, mode, start time) so
  that a process that cannot get the store can say plainly who holds it. Stale files from dead
  processes are ignored and removed.
- Writers (imports) commit in batches, each batch one transaction: a crash loses at most the
  batch in flight, never what was committed, and DuckDB's write-ahead log keeps the file
  consistent.
- A process that cannot open the store waits up to ``wait`` seconds (``--wait``), then raises
  :class:`StoreBusyError` naming the holder.
- The long-running web server (a later issue) will be the single owner of the store while it
  runs: it serves reads from its own connection and runs imports as jobs, and the CLI hands jobs
  to it instead of opening the file.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import orjson

from groundswell import schema
from groundswell.config import StoreSettings
from groundswell.errors import StoreBusyError, WorkspaceError

_PID = re.compile(r"\(PID (\d+)\)")


def first(con: duckdb.DuckDBPyConnection, query: str, params: Any = None) -> Any:
    """The first row of a query, or None. Fetches every row, so that the connection is left
    with no unfinished result (DuckDB 2 refuses new work on a connection that has one)."""
    rows = con.execute(query, params if params is not None else []).fetchall()
    return rows[0] if rows else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Store:
    """A DuckDB connection to a workspace store, opened read-only or for writing."""

    def __init__(
        self,
        path: Path,
        *,
        read_only: bool = False,
        wait: float = 0.0,
        settings: StoreSettings | None = None,
        create: bool = False,
    ) -> None:
        self.path = path
        self.read_only = read_only
        self.lock_dir = path.parent / "locks"
        settings = settings or StoreSettings()
        if not create and not path.exists():
            raise WorkspaceError(f"store {path} is missing", hint="run `groundswell init` first")
        config = {"memory_limit": settings.memory_limit, "threads": settings.threads}
        self.con = self._connect(path, read_only, wait, config)
        self.con.execute("SET TimeZone = 'UTC'")
        self._write_holder()
        if create:
            self.create_tables()
        self.check_version()

    # -- opening -------------------------------------------------------------------------
    def _connect(
        self, path: Path, read_only: bool, wait: float, config: dict[str, Any]
    ) -> duckdb.DuckDBPyConnection:
        deadline = time.monotonic() + wait
        delay = 0.05
        while True:
            try:
                return duckdb.connect(str(path), read_only=read_only, config=config)
            except duckdb.IOException as e:
                if "lock" not in str(e).lower():
                    raise WorkspaceError(f"cannot open store {path}: {e}") from None
                if time.monotonic() >= deadline:
                    raise self._busy(str(e), wait) from None
                time.sleep(min(delay, max(0.0, deadline - time.monotonic())))
                delay = min(delay * 2, 1.0)
            except duckdb.Error as e:
                raise WorkspaceError(
                    f"cannot open store {path}: {e}",
                    hint="the file may be damaged or from a newer DuckDB",
                ) from None

    def _busy(self, message: str, wait: float) -> StoreBusyError:
        m = _PID.search(message)
        pid = int(m.group(1)) if m else None
        holder: dict[str, Any] = {"pid": pid}
        if pid is not None:
            with contextlib.suppress(OSError, orjson.JSONDecodeError):
                holder.update(orjson.loads((self.lock_dir / f"{pid}.json").read_bytes()))
        who = f"PID {pid}" if pid else "another process"
        if holder.get("command"):
            mode, since = holder.get("mode", "?"), holder.get("since", "?")
            who = f"`{holder['command']}` ({who}, {mode}, since {since})"
        waited = f" after waiting {wait:g} s" if wait else ""
        return StoreBusyError(
            f"workspace store {self.path} is in use by {who}{waited}. Wait for it to finish, "
            "or pass --wait SECONDS to wait for it",
            holder=holder,
        )

    def _write_holder(self) -> None:
        with contextlib.suppress(OSError):
            self.lock_dir.mkdir(exist_ok=True)
            for f in self.lock_dir.glob("*.json"):
                if f.stem.isdigit() and not _alive(int(f.stem)):
                    f.unlink(missing_ok=True)
            info = {
                "pid": os.getpid(),
                "command": " ".join(["groundswell", *sys.argv[1:]])
                if Path(sys.argv[0]).name in ("groundswell", "__main__.py")
                else " ".join(sys.argv)[:300],
                "mode": "read-only" if self.read_only else "read-write",
                "since": datetime.now(UTC).isoformat(timespec="seconds"),
            }
            (self.lock_dir / f"{os.getpid()}.json").write_bytes(orjson.dumps(info))

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.con.close()
        with contextlib.suppress(OSError):
            (self.lock_dir / f"{os.getpid()}.json").unlink(missing_ok=True)

    # -- schema --------------------------------------------------------------------------
    def create_tables(self) -> None:
        with self.transaction():
            for table in schema.TABLES.values():
                self.con.execute(schema.ddl(table))
            self.con.execute(
                "INSERT INTO meta VALUES ('schema_version', ?) ON CONFLICT DO NOTHING",
                [str(schema.SCHEMA_VERSION)],
            )

    def check_version(self) -> None:
        try:
            row = first(self.con, "SELECT value FROM meta WHERE key = 'schema_version'")
        except duckdb.CatalogException:
            raise WorkspaceError(
                f"{self.path} is not a Groundswell store (no meta table)"
            ) from None
        found = int(row[0]) if row else 0
        if found > schema.SCHEMA_VERSION:
            raise WorkspaceError(
                f"store schema version {found} is newer than this Groundswell understands "
                f"({schema.SCHEMA_VERSION})",
                hint="upgrade Groundswell: pip install -U groundswell",
            )
        if found < schema.SCHEMA_VERSION:
            if self.read_only:
                raise WorkspaceError(
                    f"store schema version {found} is older than this Groundswell's "
                    f"({schema.SCHEMA_VERSION})",
                    hint="run `groundswell migrate` to upgrade the workspace",
                )
            self.migrate(found)

    def migrate(self, found: int) -> None:
        """Bring an older store up to this schema. Every change so far is additive (new tables,
        new nullable columns), so this is generic: create what is missing; then fill what a
        version derives from stored rows (3: the accounts of the stored posts, in steps of
        their own transactions so that memory stays bounded; the version is set last, so an
        interrupted migration is taken up again by the next open)."""
        with self.transaction() as con:
            for table in schema.TABLES.values():
                con.execute(schema.ddl(table))
                have = {
                    r[0]
                    for r in con.execute(
                        "SELECT column_name FROM information_schema.columns WHERE table_name = ?",
                        [table.name],
                    ).fetchall()
                }
                for f in table.schema:
                    if f.name not in have:
                        con.execute(
                            f'ALTER TABLE "{table.name}" ADD COLUMN "{f.name}" '
                            f"{schema.duckdb_type(f.type)}"
                        )
        if found < 3:
            fill_accounts(self.con)
        with self.transaction() as con:
            con.execute(
                "UPDATE meta SET value = ? WHERE key = 'schema_version'",
                [str(schema.SCHEMA_VERSION)],
            )

    # -- use -----------------------------------------------------------------------------
    @contextlib.contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield self.con
        except BaseException:
            with contextlib.suppress(duckdb.Error):
                self.con.execute("ROLLBACK")
            raise
        else:
            self.con.execute("COMMIT")

    def next_id(self, table: str, column: str) -> int:
        row = first(self.con, f'SELECT coalesce(max("{column}"), 0) + 1 FROM "{table}"')
        assert row is not None
        return int(row[0])


# -- accounts ------------------------------------------------------------------------------
def add_accounts(con: duckdb.DuckDBPyConnection, relation: str, where: str = "TRUE") -> None:
    """Number the (source_id, author_id) pairs of ``relation`` (its rows matching ``where``)
    that have no account yet: the next keys after the highest one, in the pairs' order. Run
    inside the transaction that stores their posts (one writer at a time: the numbers are
    dense)."""
    con.execute(f"""
        INSERT INTO accounts (account, source_id, author_id)
        SELECT (SELECT coalesce(max(account), 0) FROM accounts)
                 + row_number() OVER (ORDER BY n.source_id, n.author_id),
               n.source_id, n.author_id
        FROM (SELECT DISTINCT source_id, author_id FROM {relation}
              WHERE author_id IS NOT NULL AND ({where})) n
        ANTI JOIN accounts a ON a.source_id = n.source_id AND a.author_id = n.author_id""")


def fill_accounts(con: duckdb.DuckDBPyConnection, step: int = 1_000_000) -> None:
    """Give every stored post with an author and no account its account (the back-fill of
    schema version 3; also for posts written into the store by SQL, as benchmarks and tests
    do). The posts are updated ``step`` rows at a time, each step a transaction of its own
    unless the caller holds one (one UPDATE of 10,000,000 posts ran out of 512 MB); running it
    again takes up what is left."""
    add_accounts(con, "posts", "account IS NULL")
    lo, hi = con.execute("SELECT min(rowid), max(rowid) FROM posts").fetchall()[0]
    for start in range(lo or 0, (hi or -1) + 1, step):
        con.execute(
            """UPDATE posts SET account = a.account FROM accounts a
            WHERE posts.rowid >= ? AND posts.rowid < ? AND posts.account IS NULL
              AND a.source_id = posts.source_id AND a.author_id = posts.author_id""",
            [start, start + step],
        )
