"""The full-text index: tantivy indexes in the workspace's ``index/`` folder, one per calendar
month of the posts' time (UTC), kept in step with the store.

Why months: a search narrowed to dates reads the months inside the range whole, with no date
condition at all, and applies one only to the (at most two) months the range cuts. On
10,000,000 posts a one-year range with a term in 13% of them took 87 ms as one index (most of
it intersecting 1.3 million matches with 3.3 million dates) and reads twelve whole months
here. Relevance is scored within each month (as in a sharded Elasticsearch index: a word's
rarity is counted per month), and facet counts are added up across months.

The store is the truth and the index a copy that can always be rebuilt from it. Each import
stamps the posts it writes with its ``import_id``; the index remembers the highest import it
has taken in (``synced``, in ``state.json``) and :meth:`SearchIndex.sync` adds the posts of
every later import, month by month: new posts are added, updated ones (first stored by an
earlier import) replace their old document. A sync writes ``pending`` before its first commit
and ``synced`` after its last, so a sync killed in between is finished by the next one, which
then replaces rather than adds. After each sync every month must hold as many documents as
the store holds posts in it; a month that does not (a post whose time changed, a store
restored from a backup) is indexed again. One process writes at a time (``.lock``). Only the
uid, the author's name and the fields that filters, sorting and facets need are kept in the
index: snippets are made from the text in the store.
"""

from __future__ import annotations

import contextlib
import fcntl
import itertools
import json
import os
import re
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import tantivy

from groundswell.errors import WorkspaceError
from groundswell.search import analysis
from groundswell.search.periods import epoch_us
from groundswell.store.duckdb import Store, first

VERSION = 7  # of the index layout: a different one is rebuilt
STATE = "state.json"
LOCK = ".lock"
HEAP = 256_000_000
BATCH = 20_000
WAIT = 30.0  # seconds to wait for another process's sync
SyncProgress = Callable[[int, int], None]  # posts indexed, posts to index

# keyword fields: name -> (tokenizer, fast). Fast fields feed facets and sorting.
KEYWORDS = {
    "source": ("raw", True),  # exact source id (facets, metrics)
    "site": (analysis.KEY, False),  # source id and name, any case (filters)
    "lang": ("raw", True),  # ISO 639-1
    "author": ("raw", True),  # author id as the platform gives it (else the name)
    "who": (analysis.KEY, False),  # author id and name, any case
    "section": (analysis.KEY, False),
    "tag": (analysis.KEY, False),
    "lexicon": (analysis.KEY, False),  # lexicons hit outside quotes
    "has": (analysis.KEY, False),  # indicator kinds (and kind:subkind) outside quotes
    "indicator": (analysis.KEY, False),  # indicator values, URL hosts, registrable domains
}


def build_schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_integer_field("uid", indexed=True, fast=True)
    # epoch µs, UTC; indexed as well as fast: on 10M posts a one-year range with a common
    # term took 126 ms through the inverted index and 135 ms scanning the fast field alone
    sb.add_integer_field("time", indexed=True, fast=True)
    sb.add_integer_field("row", fast=True)  # the post's rowid in the store, where it was
    sb.add_text_field("text", tokenizer_name=analysis.TEXT, index_option="position")
    # the author as a hit shows it, stored: read from the store, a column of many distinct
    # names costs more than the rest of a hit's row (15 of 25 ms for 20 hits on 10M posts)
    sb.add_text_field("name", stored=True, tokenizer_name="raw", index_option="basic")
    for name, (tokenizer, fast) in KEYWORDS.items():
        sb.add_text_field(name, tokenizer_name=tokenizer, fast=fast, index_option="basic")
    return sb.build()


# -- months ---------------------------------------------------------------------------------
# A month is numbered year * 12 + month - 1 (UTC); its index is the folder "YYYY-MM".
MONTH_SQL = "(year(timezone('UTC', p.time)) * 12 + month(timezone('UTC', p.time)) - 1)"
FOLDER = re.compile(r"^(\d{4})-(\d{2})$")


def folder(month: int) -> str:
    year, m = divmod(month, 12)
    return f"{year:04d}-{m + 1:02d}"


def month_start(month: int) -> datetime:
    year, m = divmod(month, 12)
    return datetime(year, m + 1, 1, tzinfo=UTC)


def month_span(month: int) -> tuple[int, int]:
    """Epoch µs [start, end) of a month."""
    return epoch_us(month_start(month)), epoch_us(month_start(month + 1))


@dataclass(frozen=True)
class Shard:
    """The index of one month, ready to search."""

    month: int
    searcher: tantivy.Searcher
    start: int  # epoch µs
    end: int  # epoch µs, exclusive

    def within(self, lo: int | None, hi: int | None) -> bool:
        """Whether every time of this month lies in [lo, hi)."""
        return (lo is None or lo <= self.start) and (hi is None or self.end <= hi)

    def periods(self, edges: list[int]) -> list[tuple[int, int]]:
        """The periods between ``edges`` (epoch µs) that overlap this month."""
        return [(a, b) for a, b in itertools.pairwise(edges) if b > self.start and a < self.end]


# one row per post: its uid, the import that first stored it, and its document as JSON (made
# here in SQL, so that Python only hands each one over). Lists drop nulls: tantivy takes no null.
POSTS_SQL = """
SELECT p.uid, p.first_import_id AS first, to_json({{
    uid: p.uid,
    time: epoch_us(p.time),
    row: p.rowid,
    text: _kept([p.title, nfc_normalize(p.text)]),
    source: [p.source_id],
    site: _kept([p.source_id, s.name]),
    lang: _kept([p.language]),
    author: _kept([coalesce(p.author_id, p.author_name)]),
    who: _kept([p.author_id, p.author_name]),
    name: _kept([coalesce(p.author_name, p.author_id)]),
    section: _kept([p.section]),
    tag: _kept(coalesce(p.tags, [])),
    has: _kept(coalesce(i.kinds, []) || coalesce(i.subkinds, [])),
    lexicon: _kept(coalesce(i.lexicons, [])),
    indicator: _kept(coalesce(i.values, []) || coalesce(i.hosts, []) || coalesce(i.domains, []))
}}) AS doc
FROM posts p LEFT JOIN sources s ON s.source_id = p.source_id LEFT JOIN (
    SELECT post_uid,
           list(DISTINCT CASE WHEN kind <> 'lexicon' AND in_quote IS NOT TRUE THEN kind END)
             AS kinds,
           list(DISTINCT CASE WHEN kind <> 'lexicon' AND in_quote IS NOT TRUE
                              THEN kind || ':' || subkind END) AS subkinds,
           list(DISTINCT CASE WHEN kind = 'lexicon' AND in_quote IS NOT TRUE THEN subkind END)
             AS lexicons,
           list(DISTINCT CASE WHEN kind <> 'lexicon' THEN value END) AS values,
           list(DISTINCT host) AS hosts,
           list(DISTINCT domain) AS domains
    FROM indicators WHERE post_uid IN (SELECT p.uid FROM posts p WHERE {where})
    GROUP BY post_uid
) i ON i.post_uid = p.uid
WHERE {where}
"""
KEPT = (
    "CREATE OR REPLACE TEMP MACRO _kept(xs) AS list_filter(xs, lambda x: x IS NOT NULL AND x <> '')"
)
IN_MONTH = "({}) AND p.time >= ? AND p.time < ?"


@dataclass
class SyncResult:
    added: int = 0  # documents written (new and replaced)
    rebuilt: bool = False
    seconds: float = 0.0
    repaired: list[str] | None = None  # months indexed again because their counts differed


class SearchIndex:
    """The tantivy indexes of one workspace, a month each."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.schema = build_schema()
        self._indexes: dict[int, tantivy.Index] = {}
        path.mkdir(parents=True, exist_ok=True)
        if self.state().get("version") != VERSION:  # new, or of another layout: start again
            with self._locked():
                self._clear()
                self._save({"version": VERSION, "synced": 0})

    def _clear(self) -> None:
        self._indexes.clear()
        for p in self.path.iterdir():
            if p.is_dir():
                shutil.rmtree(p)
            elif p.name != LOCK:
                p.unlink()

    # -- state -----------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        try:
            return dict(json.loads((self.path / STATE).read_text("utf-8")))
        except (OSError, ValueError):
            return {}

    def _save(self, state: dict[str, Any]) -> None:
        tmp = self.path / (STATE + ".tmp")
        tmp.write_text(json.dumps(state), "utf-8")
        os.replace(tmp, self.path / STATE)

    def _set(self, **changes: Any) -> None:
        """Change some keys of the state (None removes one), written atomically."""
        state = {**self.state(), **changes}
        self._save({k: v for k, v in state.items() if v is not None})

    # -- the months ------------------------------------------------------------------------
    def months(self) -> list[int]:
        """The months that have an index, oldest first."""
        found = []
        for p in self.path.iterdir():
            m = FOLDER.match(p.name)
            if m and (p / "meta.json").exists():
                found.append(int(m[1]) * 12 + int(m[2]) - 1)
        return sorted(found)

    def shards(self, lo: int | None = None, hi: int | None = None) -> list[Shard]:
        """A searcher of each month with times in epoch µs [lo, hi), oldest first."""
        out = []
        for month in self.months():
            start, end = month_span(month)
            if (hi is not None and start >= hi) or (lo is not None and end <= lo):
                continue
            index = self._index(month)
            index.reload()
            out.append(Shard(month, index.searcher(), start, end))
        return out

    def _index(self, month: int) -> tantivy.Index:
        index = self._indexes.get(month)
        if index is None:
            path = self.path / folder(month)
            path.mkdir(exist_ok=True)
            index = tantivy.Index(self.schema, path=str(path), reuse=True)
            analysis.register(index)
            self._indexes[month] = index
        return index

    def _remove(self, month: int) -> None:
        self._indexes.pop(month, None)
        shutil.rmtree(self.path / folder(month), ignore_errors=True)

    @property
    def documents(self) -> int:
        return sum(s.searcher.num_docs for s in self.shards())

    @property
    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.path.rglob("*") if p.is_file())

    # -- keeping in step -------------------------------------------------------------------
    def behind(self, store: Store) -> bool:
        """Whether the store holds imports (or posts) the index has not taken in."""
        state = self.state()
        latest, posts = _latest_import(store), _count_posts(store)
        return bool(
            state.get("pending")
            or state.get("dirty")
            or latest > state.get("synced", 0)
            or posts != self.documents
        )

    def sync(self, store: Store, *, progress: SyncProgress | None = None) -> SyncResult:
        """Take in the posts of the imports since the last sync; index again any month whose
        count then disagrees with the store."""
        started = time.monotonic()
        with self._locked():
            state = self.state()
            if state.get("dirty"):
                result = SyncResult(self._rebuild(store, progress), rebuilt=True)
            else:
                result = SyncResult()
                synced, pending = int(state.get("synced", 0)), state.get("pending")
                latest = _latest_import(store)
                if latest > synced or pending:
                    # after a sync that died before its end, posts up to its target may be in
                    doubtful = int(pending) if pending else synced
                    result.added = self._write(store, synced, latest, doubtful, progress)
                if self.documents != _count_posts(store):
                    result.repaired, added = self._reindex(store, progress)
                    result.added += added
        result.seconds = time.monotonic() - started
        return result

    def rebuild(self, store: Store, *, progress: SyncProgress | None = None) -> SyncResult:
        """Index every post again from the store."""
        started = time.monotonic()
        with self._locked():
            added = self._rebuild(store, progress)
        return SyncResult(added, True, time.monotonic() - started)

    def mark_dirty(self) -> None:
        """Posts are about to change in place (re-enrichment): until ``update`` or
        ``rebuild`` says otherwise, the index counts as behind, and its next sync rebuilds."""
        self._set(dirty=True)

    def update(self, store: Store, uids: Iterable[int]) -> int:
        """Write the documents of these posts again (after their enrichment changed)."""
        ids = list(uids)
        with self._locked():
            n = 0
            if ids:
                with _reading(store, ids) as cur:
                    where = "p.uid IN (SELECT uid FROM _uids)"
                    n = self._fill(cur, where, [], None, replace=lambda _: True)
            self._set(dirty=None)
        return n

    def _write(
        self, store: Store, synced: int, latest: int, doubtful: int, progress: SyncProgress | None
    ) -> int:
        """Add the posts written by imports in (synced, latest]; a post first stored by an
        import up to ``doubtful`` may have a document already, which it replaces."""
        self._set(synced=synced, pending=latest)
        with _reading(store) as cur:
            where = "p.import_id > ? AND p.import_id <= ?"
            done = self._fill(
                cur, where, [synced, latest], progress, replace=lambda first: first <= doubtful
            )
        self._set(synced=latest, pending=None)
        return done

    def _rebuild(self, store: Store, progress: SyncProgress | None) -> int:
        latest = _latest_import(store)
        self._set(synced=0, pending=latest)
        _, done = self._reindex(store, progress, every=True)
        self._set(synced=latest, pending=None, dirty=None)
        return done

    def _reindex(
        self, store: Store, progress: SyncProgress | None, *, every: bool = False
    ) -> tuple[list[str], int]:
        """Index again from the store every month (or, by default, those whose document count
        differs from the store's posts), and remove the months with no posts left; the months
        changed, and the documents written."""
        have = {s.month: s.searcher.num_docs for s in self.shards()}
        with _reading(store) as cur:
            counts = _month_counts(cur, "TRUE", [])
            gone = have.keys() - counts.keys()
            for month in gone:
                self._remove(month)
            redo = {m: n for m, n in counts.items() if every or have.get(m) != n}
            done = self._fill(cur, "TRUE", [], progress, counts=redo, clear=True)
        return [folder(m) for m in sorted(redo.keys() | gone)], done

    def _fill(
        self,
        cur: duckdb.DuckDBPyConnection,
        where: str,
        params: list[Any],
        progress: SyncProgress | None,
        *,
        replace: Callable[[int], bool] = lambda _: False,
        counts: dict[int, int] | None = None,
        clear: bool = False,
    ) -> int:
        """Index the posts matching ``where``, a month at a time (one commit each); a post
        for which ``replace(first_import_id)`` holds loses its old document first. ``clear``
        empties each month first, in the same commit."""
        if counts is None:
            counts = _month_counts(cur, where, params)
        todo, done = sum(counts.values()), 0
        sql = POSTS_SQL.format(where=IN_MONTH.format(where))
        for month in sorted(counts):
            bounds = [month_start(month), month_start(month + 1)]
            reader = cur.sql(sql, params=[*params, *bounds] * 2).to_arrow_reader(BATCH)
            with self._writer(month) as w:
                if clear:
                    w.delete_all_documents()
                for batch in reader:
                    done += _add(w, batch, replace)
                    if progress:
                        progress(done, todo)
                w.commit()
                w.wait_merging_threads()
        return done

    @contextlib.contextmanager
    def _writer(self, month: int) -> Iterator[tantivy.IndexWriter]:
        index = self._index(month)
        try:
            writer = index.writer(heap_size=HEAP, num_threads=min(2, os.cpu_count() or 1))
        except ValueError as e:  # an older version's process holds the write lock
            raise WorkspaceError(
                f"the search index is being written by another process: {e}",
                hint="wait for the other import or search to finish",
            ) from None
        try:
            yield writer
        except BaseException:
            with contextlib.suppress(Exception):
                writer.rollback()
            raise
        finally:
            del writer

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold the index's write lock (waiting up to ``WAIT`` seconds for another process)."""
        fd = os.open(self.path / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            deadline = time.monotonic() + WAIT
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise WorkspaceError(
                            "the search index is being written by another process",
                            hint="wait for the other import or search to finish",
                        ) from None
                    time.sleep(0.2)
            yield
        finally:
            os.close(fd)  # (releases the lock)


@contextlib.contextmanager
def _reading(store: Store, uids: list[int] | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A cursor of its own (the caller's connection stays free) with the ``_kept`` macro and,
    given ``uids``, a temporary table ``_uids`` of them."""
    cur = store.con.cursor()
    try:
        cur.execute(KEPT)
        if uids is not None:
            cur.execute("CREATE TEMP TABLE _uids AS SELECT unnest(?::BIGINT[]) AS uid", [uids])
        yield cur
    finally:
        cur.close()


def _month_counts(cur: duckdb.DuckDBPyConnection, where: str, params: list[Any]) -> dict[int, int]:
    """Posts matching ``where`` by month."""
    sql = f"SELECT {MONTH_SQL} AS m, count(*) FROM posts p WHERE {where} GROUP BY m"
    return {int(m): int(n) for m, n in cur.execute(sql, params).fetchall()}


def _latest_import(store: Store) -> int:
    """The newest import that wrote anything (posts written by SQL may name no import)."""
    row = first(
        store.con,
        "SELECT greatest((SELECT coalesce(max(import_id), 0) FROM imports), "
        "(SELECT coalesce(max(import_id), 0) FROM posts))",
    )
    return int(row[0])


def _count_posts(store: Store) -> int:
    return int(first(store.con, "SELECT count(*) FROM posts")[0])


def _add(writer: tantivy.IndexWriter, batch: pa.RecordBatch, replace: Callable[[int], bool]) -> int:
    """Add a batch of documents; a post for which ``replace`` holds loses its old one first."""
    uids, firsts, docs = (batch.column(i).to_pylist() for i in range(3))
    for uid, first_import, doc in zip(uids, firsts, docs, strict=True):
        if replace(first_import):
            writer.delete_documents_by_term("uid", uid)
        writer.add_json(doc)
    return len(docs)
