"""Re-enrichment of stored posts (``groundswell enrich``): after an extractor, the language
detector or a lexicon changed, or for posts stored before enrichment existed.

Posts are read in batches, enriched by worker processes (each batch in order), and written
back in one transaction per batch: their enrichment columns updated and their indicator rows
replaced. Running it twice changes nothing the second time; an interrupted run resumes
where it stopped (finished batches carry the new version).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass

import pyarrow as pa

from groundswell import schema
from groundswell.enrich import ENRICHED_COLUMNS, Enricher
from groundswell.store.duckdb import Store, first
from groundswell.workers import in_order

BATCH = 20_000
_READ = ["uid", "source_id", "time", "title", "text", "quotes", "links"]
_IND = ", ".join(f'"{c}"' for c in schema.INDICATORS.columns)

EnrichProgress = Callable[[int, int], None]  # posts done, posts to do


@dataclass
class EnrichResult:
    version: str
    posts: int = 0  # posts enriched
    indicators: int = 0  # indicator rows written
    seconds: float = 0.0


def stale(store: Store, enricher: Enricher) -> int:
    """How many stored posts are not enriched with ``enricher``'s version."""
    row = first(
        store.con,
        "SELECT count(*) FROM posts WHERE enriched IS DISTINCT FROM ?",
        [enricher.version],
    )
    return int(row[0])


def enrich_store(
    store: Store,
    enricher: Enricher,
    *,
    rebuild: bool = False,
    workers: int = 1,
    progress: EnrichProgress | None = None,
) -> EnrichResult:
    """Enrich the stored posts whose enrichment is out of date (all of them: ``rebuild``)."""
    started = time.monotonic()
    result = EnrichResult(enricher.version)
    con = store.con
    where = "" if rebuild else "WHERE enriched IS DISTINCT FROM $version"
    uids: pa.Table = con.sql(
        f"SELECT uid FROM posts {where} ORDER BY uid",
        params={"version": enricher.version} if not rebuild else None,
    ).to_arrow_table()
    todo = uids.num_rows
    if progress:
        progress(0, todo)
    chunks = [uids.slice(i, BATCH) for i in range(0, todo, BATCH)]
    for posts, ind in _enriched(store, enricher, chunks, workers):
        _write(store, posts, ind)
        result.posts += posts.num_rows
        result.indicators += ind.num_rows
        if progress:
            progress(result.posts, todo)
    result.seconds = time.monotonic() - started
    return result


def _read(store: Store, chunk: pa.Table) -> pa.Table:
    """The posts of ``chunk`` (uids) as the enricher needs them. A language the detector
    filled in before is cleared, so that it is detected anew; a declared one is kept."""
    con = store.con
    con.register("uids_in", chunk)
    try:
        cols = ", ".join(f'p."{c}"' for c in _READ)
        table: pa.Table = con.sql(f"""
            SELECT {cols},
              CASE WHEN p.enriched IS NOT NULL AND p.language_confidence IS NOT NULL
                   THEN NULL ELSE p.language END AS language
            FROM posts p SEMI JOIN uids_in u ON p.uid = u.uid""").to_arrow_table()
    finally:
        con.unregister("uids_in")
    # the enricher takes and returns posts in the posts schema
    n = table.num_rows
    arrays = [
        table.column(f.name).cast(f.type) if f.name in table.column_names else pa.nulls(n, f.type)
        for f in schema.POSTS.schema
    ]
    return pa.Table.from_arrays(arrays, schema=schema.POSTS.schema)


def _enriched(
    store: Store, enricher: Enricher, chunks: list[pa.Table], workers: int
) -> Iterator[tuple[pa.Table, pa.Table]]:
    if workers <= 1 or len(chunks) <= 1:
        for chunk in chunks:
            yield enricher.enrich(_read(store, chunk))
        return
    enricher.warm()

    def jobs(pool: ProcessPoolExecutor) -> Iterator[Future[tuple[pa.Table, pa.Table]]]:
        for chunk in chunks:
            yield pool.submit(enricher.enrich, _read(store, chunk))

    yield from in_order(workers, jobs)


def _write(store: Store, posts: pa.Table, ind: pa.Table) -> None:
    cols = ["uid", *ENRICHED_COLUMNS]
    sets = ", ".join(f'"{c}" = e."{c}"' for c in ENRICHED_COLUMNS)
    with store.transaction() as con:
        con.register("enriched_in", posts.select(cols))
        con.register("ind_in", ind)
        try:
            con.execute(f"UPDATE posts SET {sets} FROM enriched_in e WHERE posts.uid = e.uid")
            con.execute("DELETE FROM indicators WHERE post_uid IN (SELECT uid FROM enriched_in)")
            con.execute(f"INSERT INTO indicators ({_IND}) SELECT {_IND} FROM ind_in")
        finally:
            con.unregister("enriched_in")
            con.unregister("ind_in")
