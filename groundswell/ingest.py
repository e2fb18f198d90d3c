"""The import pipeline: importer records -> validated Arrow batches -> idempotent merge.

One run reads one file. Records stream from the importer into a :class:`Batch` of columns;
every ``batch_size`` records the batch becomes an Arrow table and is merged into the store in
one transaction:

- identity is the table's key (``uid`` = hash of source and native id for posts); a record
  whose key is new is inserted; one whose content differs from the stored version *and*
  that is not older (edit time, post time, then retrieval time) replaces it; anything else is
  unchanged. Re-importing a file therefore adds nothing, and a newer export adds only the new
  and the edited records.
- rejected records go to ``quarantine`` in the same transaction as their batch.
- a run killed half-way leaves its committed batches and an ``imports`` row that the next run
  marks ``interrupted``; running the same import again completes it without duplicates.
- ``strict`` runs the whole file in one transaction and rolls it back at the first bad record.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa

from groundswell import provenance, schema
from groundswell.config import ImportSettings
from groundswell.errors import GroundswellError, ImportError_
from groundswell.ids import post_uid
from groundswell.provenance import ImportResult
from groundswell.sources.base import Importer, ReadContext, Reject, SourceInfo, excerpt
from groundswell.store.duckdb import Store

EPOCH_US_DAY = 86_400_000_000
Progress = Callable[[int, int, int], None]  # records read, bytes read, total bytes


@dataclass(frozen=True)
class Target:
    """How records of one kind are keyed, compared and versioned in their table."""

    table: schema.Table
    content: tuple[str, ...]  # columns compared to tell an edited record from an unchanged one
    # SQL expressions giving a comparable version of a row (prefix b. = incoming, p. = stored).
    version: tuple[str, ...] = ()


_POST_PROVENANCE = {"uid", "import_id", "first_import_id", "retrieved_at"}
POSTS_TARGET = Target(
    schema.POSTS,
    tuple(c for c in schema.POSTS.columns if c not in _POST_PROVENANCE),
    version=(
        "greatest({p}.time, coalesce({p}.edited_at, {p}.time))",
        "coalesce({p}.retrieved_at, TIMESTAMPTZ '1970-01-01')",
    ),
)
SNAPSHOTS_TARGET = Target(
    schema.SNAPSHOTS, tuple(c for c in schema.SNAPSHOTS.columns if c != "import_id")
)
TARGETS = {"posts": POSTS_TARGET, "account_snapshots": SNAPSHOTS_TARGET}


class Batch:
    """Records of one target awaiting their merge, deduplicated by key within the batch."""

    def __init__(self, target: Target, import_id: int) -> None:
        self.target = target
        self.import_id = import_id
        self.records: list[dict[str, Any]] = []
        self.pos: dict[Any, int] = {}
        self.duplicates = 0
        key = target.table.key
        self.key: Any = (
            (lambda r: r["uid"]) if key == ("uid",) else (lambda r: tuple(r.get(k) for k in key))
        )

    def __len__(self) -> int:
        return len(self.records)

    def add(self, rec: dict[str, Any]) -> None:
        key = self.key(rec)
        at = self.pos.get(key)
        if at is None:
            self.pos[key] = len(self.records)
            self.records.append(rec)
        else:  # the same record twice in one batch: the later one wins
            self.duplicates += 1
            self.records[at] = rec

    def to_arrow(self) -> pa.Table:
        """Only the columns some record has are converted; the others are all-null arrays."""
        sch = self.target.table.schema
        present = set().union(*self.records)
        n = len(self.records)
        arrays = [
            pa.array([r.get(f.name) for r in self.records], type=f.type)
            if f.name in present
            else pa.repeat(pa.scalar(self.import_id, f.type), n)
            if f.name in ("import_id", "first_import_id")
            else pa.nulls(n, type=f.type)
            for f in sch
        ]
        return pa.Table.from_arrays(arrays, schema=sch)


class Pipeline:
    """Runs one import of one file into a store."""

    def __init__(
        self,
        store: Store,
        importer: Importer,
        settings: ImportSettings,
        *,
        strict: bool = False,
        progress: Progress | None = None,
    ) -> None:
        self.store = store
        self.importer = importer
        self.settings = settings
        self.strict = strict
        self.progress = progress
        self.target = TARGETS[importer.target]
        self.earliest_us = int(settings.earliest.timestamp() * 1_000_000)
        latest = datetime.now(UTC) + timedelta(days=settings.future_tolerance_days)
        self.latest_us = int(latest.timestamp() * 1_000_000)
        self.rejects: list[Reject] = []
        self.spans: dict[str, tuple[int, int]] = {}  # source -> (first, last) µs read
        self.sources: dict[str, SourceInfo] = {}  # sources seen in this run
        self.registered: set[str] = set()  # of which already written to `sources`

    # -- the run ---------------------------------------------------------------------------
    def run(
        self,
        path: Path,
        *,
        force: bool = False,
        covers: tuple[datetime, datetime] | None = None,
    ) -> ImportResult:
        path = path.resolve()
        if not path.is_file():
            raise ImportError_("no such file", path=str(path))
        imp = self.importer
        result, twin = provenance.begin(
            self.store, path, imp.name, imp.version, imp.options.as_json(), self.target.table.name
        )
        import_id = result.import_id
        started = time.monotonic()
        if twin is not None and not force:
            result.status, result.same_as = "skipped", twin
            self._finish(result, started)
            return result
        ctx = ReadContext(self.settings, self.importer.options)
        try:
            if self.strict:
                with self.store.transaction():
                    self._stream(path, ctx, result)
                    self._write_coverage(import_id, covers)
            else:
                self._stream(path, ctx, result)
                with self.store.transaction():
                    self._write_coverage(import_id, covers)
            result.status = "completed"
        except GroundswellError as e:
            result.status, result.error = "failed", str(e)
            self._finish(result, started)
            raise
        except KeyboardInterrupt:
            result.status, result.error = "interrupted", "interrupted by the user"
            self._finish(result, started)
            raise
        self._finish(result, started)
        return result

    def _stream(self, path: Path, ctx: ReadContext, result: ImportResult) -> None:
        """Read, validate and batch; batches are written by one writer thread while the next
        batch is parsed (DuckDB releases the GIL), so at most two batches are in memory."""
        batch = Batch(self.target, result.import_id)
        size = max(path.stat().st_size, 1)
        last_report = 0.0
        writer = None if self.strict else ThreadPoolExecutor(1, thread_name_prefix="gs-writer")
        pending: Future[None] | None = None

        def flush() -> None:
            nonlocal batch, pending
            job, rejects = batch, self.rejects
            batch, self.rejects = Batch(self.target, result.import_id), []
            if pending is not None:
                pending, previous = None, pending
                previous.result()  # re-raises the writer's error, if any
            if not len(job) and not rejects:
                return
            sources = list(self.sources.values())  # a snapshot: the writer must not iterate
            if writer is None:  # a dict this thread is still filling
                self._write(job, rejects, sources, result, path)
            else:
                pending = writer.submit(self._write, job, rejects, sources, result, path)

        try:
            for item in self._validated(self.importer.read(path, ctx), result):
                if item.__class__ is Reject:
                    if self.strict:
                        raise ImportError_(
                            f"{item.reason} (--strict: nothing of this import was stored)",  # type: ignore[union-attr]
                            path=str(path),
                            location=item.location,  # type: ignore[union-attr]
                        )
                    self.rejects.append(item)  # type: ignore[arg-type]
                    if len(self.rejects) >= 10_000:
                        flush()
                    continue
                batch.add(item)  # type: ignore[arg-type]
                if len(batch) >= self.settings.batch_size:
                    flush()
                if self.progress and result.records_read % 2048 == 0:
                    now = time.monotonic()
                    if now - last_report > 0.1:
                        last_report = now
                        self.progress(result.records_read, ctx.bytes_read, size)
            flush()
        except GroundswellError:
            if not self.strict:  # keep the valid records read before the file broke
                flush()
            raise
        finally:
            result.bytes_read = ctx.bytes_read
            ctx.close()
            if writer is not None:
                try:
                    if pending is not None:
                        pending.result()
                finally:
                    writer.shutdown()
        if self.progress:
            self.progress(result.records_read, result.bytes_read, size)

    def _validated(
        self, items: Iterator[dict[str, Any] | Reject], result: ImportResult
    ) -> Iterator[dict[str, Any] | Reject]:
        """Common checks and derived columns, applied to every record of every importer."""
        earliest, latest = self.earliest_us, self.latest_us
        posts = self.target is POSTS_TARGET
        sources = self.sources
        for rec in items:
            result.records_read += 1
            if isinstance(rec, Reject):
                yield rec
                continue
            loc = rec.pop("loc", "?")
            raw = rec.pop("raw", None)
            t = rec.get("time")
            if not isinstance(t, int):
                yield Reject(
                    loc,
                    "missing time" if t is None else f"time is not a timestamp: {t!r}",
                    excerpt(raw or _jsonable(rec)),
                )
                continue
            if not earliest <= t <= latest:
                yield Reject(
                    loc,
                    f"absurd time {_fmt_us(t)} (allowed {_fmt_us(earliest)} to "
                    f"{_fmt_us(latest)}; see [import] earliest)",
                    excerpt(raw or _jsonable(rec)),
                )
                continue
            if posts:
                src = rec.pop("source", None)
                if not isinstance(src, SourceInfo):
                    raise TypeError(f"importer {self.importer.name} gave no SourceInfo at {loc}")
                native = rec.get("native_id")
                if not native:
                    yield Reject(loc, "missing id", excerpt(raw or _jsonable(rec)))
                    continue
                sid = src.source_id
                rec["source_id"] = sid
                if sid not in sources:
                    sources[sid] = src
                rec["uid"] = post_uid(sid, native)
            yield rec

    # -- writing ---------------------------------------------------------------------------
    def _write(
        self,
        batch: Batch,
        rejects: list[Reject],
        sources: list[SourceInfo],
        result: ImportResult,
        path: Path,
    ) -> None:
        """Merge one batch and its rejects, in one transaction (strict: in the import's)."""
        result.records_unchanged += batch.duplicates
        if self.strict:
            self._merge(batch, rejects, sources, result, path)
        else:
            with self.store.transaction():
                self._merge(batch, rejects, sources, result, path)

    def _merge(
        self,
        batch: Batch,
        rejects: list[Reject],
        sources: list[SourceInfo],
        result: ImportResult,
        path: Path,
    ) -> None:
        con = self.store.con
        if self.target is POSTS_TARGET:
            self._register_sources(sources, result)
        if len(batch):
            con.register("batch_in", batch.to_arrow())
            try:
                rejects = rejects + self._merge_rows(self.target.table, result)
            finally:
                con.unregister("batch_in")
        if rejects:
            now = datetime.now(UTC)
            rows = [
                (result.import_id, str(path), r.location, r.reason, r.excerpt, now) for r in rejects
            ]
            con.executemany("INSERT INTO quarantine VALUES (?, ?, ?, ?, ?, ?)", rows)
            result.records_quarantined += len(rows)

    def _merge_rows(self, table: schema.Table, result: ImportResult) -> list[Reject]:
        """Insert new rows and replace edited ones; returns collisions to quarantine."""
        con = self.store.con
        key = table.key
        on = " AND ".join(f'p."{k}" = b."{k}"' for k in key)
        newer = "TRUE"
        if self.target.version:
            b = ", ".join(v.format(p="b") for v in self.target.version)
            p = ", ".join(v.format(p="p") for v in self.target.version)
            newer = f"(({b}) >= ({p}))"
        collision = "FALSE"
        same = " AND ".join(f'b."{c}" IS NOT DISTINCT FROM p."{c}"' for c in self.target.content)
        first = ""
        if table is schema.POSTS:
            collision = "(p.native_id <> b.native_id OR p.source_id <> b.source_id)"
            first = ", p.first_import_id AS _old_first"
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE stage AS
            SELECT b.*{first},
              CASE WHEN p."{key[0]}" IS NULL THEN 'new'
                   WHEN {collision} THEN 'collision'
                   WHEN {same} THEN 'unchanged'
                   WHEN {newer} THEN 'updated'
                   ELSE 'unchanged' END AS _status
            FROM batch_in b LEFT JOIN "{table.name}" p ON {on}
        """)
        counts = dict(con.execute("SELECT _status, count(*) FROM stage GROUP BY 1").fetchall())
        collisions = []
        if counts.get("collision"):
            for native, source in con.execute(
                "SELECT native_id, source_id FROM stage WHERE _status = 'collision'"
            ).fetchall():
                collisions.append(
                    Reject(
                        "?",
                        f"uid collision: {source} / {native} hashes like another stored post",
                        "",
                    )
                )
        if counts.get("updated"):
            match = " AND ".join(f'"{table.name}"."{k}" = s."{k}"' for k in key)
            con.execute(f"""DELETE FROM "{table.name}" WHERE EXISTS (
                SELECT 1 FROM stage s WHERE s._status = 'updated' AND {match})""")
        cols = ", ".join(
            "coalesce(_old_first, first_import_id) AS first_import_id"
            if c == "first_import_id"
            else f'"{c}"'
            for c in table.columns
        )
        if counts.get("new") or counts.get("updated"):
            con.execute(f"""INSERT INTO "{table.name}" SELECT {cols} FROM stage
                            WHERE _status IN ('new', 'updated')""")
        if table is schema.POSTS:
            for sid, lo, hi, retrieved in con.execute(
                "SELECT source_id, epoch_us(min(time)), epoch_us(max(time)), "
                "epoch_us(max(retrieved_at)) FROM stage GROUP BY 1"
            ).fetchall():
                hi = max(hi, retrieved or hi)
                old = self.spans.get(sid)
                self.spans[sid] = (lo, hi) if old is None else (min(old[0], lo), max(old[1], hi))
        con.execute("DROP TABLE stage")
        result.records_new += counts.get("new", 0)
        result.records_updated += counts.get("updated", 0)
        result.records_unchanged += counts.get("unchanged", 0)
        return collisions

    def _register_sources(self, sources: list[SourceInfo], result: ImportResult) -> None:
        for s in sources:
            if s.source_id in self.registered:
                continue
            self.store.con.execute(
                "INSERT INTO sources (source_id, platform, name, url, network, timezone, posts, "
                "registered_at) VALUES (?, ?, ?, ?, ?, ?, 0, now()) ON CONFLICT DO UPDATE SET "
                "url = coalesce(excluded.url, sources.url), "
                "timezone = coalesce(excluded.timezone, sources.timezone)",
                [s.source_id, s.platform, s.name, s.url, s.resolved_network, s.timezone],
            )
            self.registered.add(s.source_id)
            result.sources.append(s.source_id)

    def _write_coverage(self, import_id: int, covers: tuple[datetime, datetime] | None) -> None:
        con = self.store.con
        if covers is not None:
            for sid in self.sources:
                con.execute(
                    "INSERT INTO coverage VALUES (?, ?, ?, ?, 'declared')",
                    [sid, import_id, covers[0], covers[1]],
                )
        else:
            for sid, (lo, hi) in self.spans.items():
                con.execute(
                    "INSERT INTO coverage VALUES (?, ?, make_timestamptz(?::BIGINT), "
                    "make_timestamptz(?::BIGINT), 'records')",
                    [sid, import_id, lo, hi],
                )
        if self.sources:
            ids = list(self.sources)
            con.execute(
                """
                UPDATE sources SET first_time = s.lo, last_time = s.hi, posts = s.n
                FROM (SELECT source_id, min(time) lo, max(time) hi, count(*) n FROM posts
                      WHERE list_contains(?, source_id) GROUP BY 1) s
                WHERE sources.source_id = s.source_id""",
                [ids],
            )

    def _finish(self, result: ImportResult, started: float) -> None:
        result.seconds = time.monotonic() - started
        provenance.finish(self.store, result)


def _fmt_us(us: int) -> str:
    try:
        t = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=us)
        return t.strftime("%Y-%m-%d %H:%M:%S" if t.second or t.minute or t.hour else "%Y-%m-%d")
    except OverflowError:
        return f"{us} µs since 1970"


def _jsonable(rec: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in rec.items() if k != "source" and v is not None}


def run_import(
    store: Store,
    importer: Importer,
    path: Path,
    settings: ImportSettings,
    *,
    strict: bool = False,
    force: bool = False,
    covers: tuple[datetime, datetime] | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    pipeline = Pipeline(store, importer, settings, strict=strict, progress=progress)
    return pipeline.run(path, force=force, covers=covers)
