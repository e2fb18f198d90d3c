"""One import run of one file: provenance, parts, batches, quarantine and coverage.

Records flow from the importer through validation into Arrow *parts*; parts are gathered into
batches of ``batch_size`` records and each batch is merged in one transaction by a writer
thread while the next batch is read (DuckDB releases the GIL). Line-based formats (every
``JsonLinesImporter``) in files of 16 MB or more are parsed by a pool of worker processes,
block by block, and merged in file order, so the result is the same as in-process.

- a run killed half-way leaves its committed batches and an ``imports`` row that the next run
  marks ``interrupted``; running the same import again completes it without duplicates;
- ``strict`` runs the whole file in one transaction and rolls it back at the first bad record.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from groundswell import provenance
from groundswell.config import ImportSettings
from groundswell.enrich import Enricher
from groundswell.errors import GroundswellError, HostileInputError, ImportError_
from groundswell.ingest.merge import merge
from groundswell.ingest.records import (
    POSTS,
    TARGETS,
    Part,
    Validator,
    enrich_part,
    parse_block,
    parts,
)
from groundswell.provenance import ImportResult
from groundswell.sources.base import Importer, JsonLinesImporter, ReadContext, SourceInfo
from groundswell.store.duckdb import Store
from groundswell.workers import in_order

Progress = Callable[[int, int, int], None]  # records read, bytes read, total bytes
PARALLEL_MIN_BYTES = 16 << 20  # smaller files are parsed in-process
PART_ROWS = 20_000  # records held as Python objects before they become Arrow
REJECT_LIMIT = 1_000  # with ten times more rejects than records, the file is the wrong format


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
        enricher: Enricher | None = None,
    ) -> None:
        self.store = store
        self.importer = importer
        self.settings = settings
        self.strict = strict
        self.progress = progress
        self.target = TARGETS[importer.target]
        self.enricher = enricher if self.target is POSTS else None
        self.validator = Validator.for_run(importer.target, importer.name, settings)
        self.workers = settings.workers or os.cpu_count() or 1
        self.spans: dict[str, tuple[int, int]] = {}  # source -> (first, last) µs stored
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
                    self._write_coverage(import_id, path, covers)
            else:
                self._stream(path, ctx, result)
                with self.store.transaction():
                    self._write_coverage(import_id, path, covers)
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

    def _parts(self, path: Path, ctx: ReadContext, import_id: int) -> Iterator[Part]:
        """Validated, enriched parts: parsed and enriched by worker processes for large
        line-based files, enriched by them for other large files, all in-process otherwise."""
        imp = self.importer
        big = self.workers > 1 and path.stat().st_size >= PARALLEL_MIN_BYTES
        if big and isinstance(imp, JsonLinesImporter) and imp.chunkable:
            yield from self._parallel_parts(imp, path, ctx, import_id)
            return
        size = min(self.settings.batch_size, PART_ROWS)
        read = parts(imp.read(path, ctx), self.validator, self.target, import_id, size)
        if big and self.enricher is not None:
            yield from self._in_pool(
                lambda pool: (pool.submit(enrich_part, part, self.enricher) for part in read)
            )
        else:
            for part in read:
                yield enrich_part(part, self.enricher)

    def _in_pool(
        self, jobs: Callable[[ProcessPoolExecutor], Iterator[Future[Part]]]
    ) -> Iterator[Part]:
        if self.enricher is not None:
            self.enricher.warm()  # compiled once here, shared by the forked workers
        yield from in_order(self.workers, jobs)

    def _parallel_parts(
        self, imp: JsonLinesImporter, path: Path, ctx: ReadContext, import_id: int
    ) -> Iterator[Part]:
        """Blocks of lines are read here and parsed (and enriched) by worker processes."""
        imp.prepare(path)
        limit_mb = ctx.settings.max_record_mb
        yield from self._in_pool(
            lambda pool: (
                pool.submit(
                    parse_block, imp, block, limit_mb, self.validator, import_id, self.enricher
                )
                for block in imp.blocks(path, ctx)
            )
        )

    def _stream(self, path: Path, ctx: ReadContext, result: ImportResult) -> None:
        """Gather parts into batches; a writer thread merges each batch while the next is
        read, so at most two batches are in memory."""
        size = max(path.stat().st_size, 1)
        writer = None if self.strict else ThreadPoolExecutor(1, thread_name_prefix="gs-writer")
        pending: Future[None] | None = None
        batch: list[Part] = []
        rows = rejects = bad = 0
        last_report = 0.0

        def flush() -> None:
            nonlocal batch, rows, rejects, pending
            job, batch, rows, rejects = batch, [], 0, 0
            previous, pending = pending, None
            if previous is not None:
                previous.result()  # re-raises the writer's error, if any
            if not job:
                return
            sources = list(self.sources.values())  # a snapshot for the writer thread
            if writer is None:
                self._write(job, sources, result, path)
            else:
                pending = writer.submit(self._write, job, sources, result, path)

        try:
            for part in self._parts(path, ctx, result.import_id):
                result.records_read += part.read
                if self.strict and part.rejects:
                    first = part.rejects[0]
                    raise ImportError_(
                        f"{first.reason} (--strict: nothing of this import was stored)",
                        path=str(path),
                        location=first.location,
                    )
                for s in part.sources:
                    self.sources.setdefault(s.source_id, s)
                batch.append(part)
                rows += part.rows
                rejects += len(part.rejects)
                bad += len(part.rejects)
                if bad >= REJECT_LIMIT and bad > 10 * (result.records_read - bad):
                    raise HostileInputError(
                        f"{bad:,} of the first {result.records_read:,} records were rejected: "
                        f"this does not look like a {self.importer.name} file",
                        path=str(path),
                        hint="see `groundswell quarantine` for the reasons",
                    )
                if rows >= self.settings.batch_size or rejects >= 10_000:
                    flush()
                if self.progress and time.monotonic() - last_report > 0.1:
                    last_report = time.monotonic()
                    self.progress(result.records_read, ctx.bytes_read, size)
            ctx.finish()
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

    def _write(
        self, batch: list[Part], sources: list[SourceInfo], result: ImportResult, path: Path
    ) -> None:
        """Merge one batch and its rejects in one transaction (strict: in the import's)."""
        if self.strict:
            self._merge(batch, sources, result, path)
        else:
            with self.store.transaction():
                self._merge(batch, sources, result, path)

    def _merge(
        self, batch: list[Part], sources: list[SourceInfo], result: ImportResult, path: Path
    ) -> None:
        con = self.store.con
        if self.target is POSTS:
            self._register_sources(sources, result)
        rejects = [r for part in batch for r in part.rejects]
        tables, indicators = _combine(batch)
        if tables:
            counts = merge(con, self.target, pa.concat_tables(tables), indicators)
            result.records_new += counts.new
            result.records_updated += counts.updated
            result.records_unchanged += counts.unchanged
            rejects += counts.collisions or []
            for sid, (lo, hi) in (counts.spans or {}).items():
                old = self.spans.get(sid)
                self.spans[sid] = (lo, hi) if old is None else (min(old[0], lo), max(old[1], hi))
        if rejects:
            provenance.quarantine(con, result.import_id, path, rejects)
            result.records_quarantined += len(rejects)

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

    def _write_coverage(
        self, import_id: int, path: Path, covers: tuple[datetime, datetime] | None
    ) -> None:
        """Spans as declared by the analyst (``--covers``), else by the file itself (a monthly
        dump covers its month), else from the first to the last record per source."""
        con = self.store.con
        basis = "declared"
        if covers is None:
            covers, basis = self.importer.coverage(path), "file"
        if covers is not None:
            for sid in self.sources:
                con.execute(
                    "INSERT INTO coverage VALUES (?, ?, ?, ?, ?)",
                    [sid, import_id, covers[0], covers[1], basis],
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


def _combine(batch: list[Part]) -> tuple[list[pa.Table], pa.Table | None]:
    """The parts' tables, and their indicators with ``_row`` counted across the batch."""
    tables: list[pa.Table] = []
    indicators: list[pa.Table] = []
    offset = 0
    for part in batch:
        if part.table is None:
            continue
        if part.indicators is not None:
            ind = part.indicators
            if offset:
                i = ind.schema.get_field_index("_row")
                ind = ind.set_column(i, "_row", pc.add(ind.column(i), offset))
            indicators.append(ind)
        tables.append(part.table)
        offset += part.table.num_rows
    return tables, (pa.concat_tables(indicators) if indicators else None)


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
    enricher: Enricher | None = None,
) -> ImportResult:
    pipeline = Pipeline(
        store, importer, settings, strict=strict, progress=progress, enricher=enricher
    )
    return pipeline.run(path, force=force, covers=covers)
