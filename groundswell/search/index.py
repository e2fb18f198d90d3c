"""The full-text index: a tantivy index in the workspace's ``index/`` folder, kept in step with
the store.

The store is the truth and the index a copy that can always be rebuilt from it. Each import
stamps the posts it writes with its ``import_id``; the index remembers the highest import it
has taken in (``synced``, in ``state.json`` beside it) and :meth:`SearchIndex.sync` adds the
posts of every later import: new posts are added, updated ones (first stored by an earlier
import) replace their old document. A sync commits once, at its end; it writes ``pending``
before that commit and ``synced`` after it, so a sync killed in between is finished by the
next one, which then replaces rather than adds. After each sync the index must hold as many
documents as the store holds posts; if not (a store restored from a backup, say) it is
rebuilt. Only the uid and the fields that filters, sorting and facets need are kept in the
index: snippets are made from the text in the store.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import tantivy

from groundswell.errors import WorkspaceError
from groundswell.search import analysis
from groundswell.store.duckdb import Store, first

VERSION = 5  # of the index layout: a different one is rebuilt
STATE = "state.json"
HEAP = 256_000_000
BATCH = 20_000
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
    for name, (tokenizer, fast) in KEYWORDS.items():
        sb.add_text_field(name, tokenizer_name=tokenizer, fast=fast, index_option="basic")
    return sb.build()


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
    FROM indicators WHERE {ind_where} GROUP BY post_uid
) i ON i.post_uid = p.uid
WHERE {where}
"""
KEPT = (
    "CREATE OR REPLACE TEMP MACRO _kept(xs) AS list_filter(xs, lambda x: x IS NOT NULL AND x <> '')"
)


@dataclass
class SyncResult:
    added: int = 0  # documents written (new and replaced)
    rebuilt: bool = False
    seconds: float = 0.0


class SearchIndex:
    """The tantivy index of one workspace."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.schema = build_schema()
        self.index = self._open()

    def _open(self) -> tantivy.Index:
        self.path.mkdir(parents=True, exist_ok=True)
        state = self.state()
        fresh = state.get("version") != VERSION or not tantivy.Index.exists(str(self.path))
        if fresh:  # a new index, or one of another layout: start again (sync fills it)
            self._clear()
            self._save({"version": VERSION, "synced": 0})
        index = tantivy.Index(self.schema, path=str(self.path), reuse=not fresh)
        analysis.register(index)
        return index

    def _clear(self) -> None:
        for p in self.path.iterdir():
            if p.is_dir():
                shutil.rmtree(p)
            else:
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

    @property
    def documents(self) -> int:
        self.index.reload()
        return int(self.index.searcher().num_docs)

    @property
    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.path.rglob("*") if p.is_file())

    def searcher(self) -> tantivy.Searcher:
        self.index.reload()
        return self.index.searcher()

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
        """Take in the posts of the imports since the last sync; rebuild if the counts then
        disagree with the store."""
        started = time.monotonic()
        state = self.state()
        synced = int(state.get("synced", 0))
        pending = state.get("pending")
        latest = _latest_import(store)
        result = SyncResult()
        if latest > synced or pending:
            # after a sync that died before its end, posts up to its target may be in already
            doubtful = int(pending) if pending else synced
            result.added = self._write(store, synced, latest, doubtful, progress)
        if state.get("dirty") or self.documents != _count_posts(store):
            result = self.rebuild(store, progress=progress)
        result.seconds = time.monotonic() - started
        return result

    def rebuild(self, store: Store, *, progress: SyncProgress | None = None) -> SyncResult:
        """Index every post again from the store."""
        started = time.monotonic()
        added = self._write(store, 0, _latest_import(store), 0, progress, clear=True)
        return SyncResult(added, True, time.monotonic() - started)

    def mark_dirty(self) -> None:
        """Posts are about to change in place (re-enrichment): until ``update`` or
        ``rebuild`` says otherwise, the index counts as behind, and its next sync rebuilds."""
        self._set(dirty=True)

    def update(self, store: Store, uids: Iterable[int]) -> int:
        """Write the documents of these posts again (after their enrichment changed)."""
        ids = list(uids)
        if not ids:
            self._set(dirty=None)
            return 0
        where = "p.uid IN (SELECT unnest(?))"
        ind = "post_uid IN (SELECT unnest(?))"
        with self._writer() as w:
            n = 0
            for batch in _batches(store, where, ind, [ids, ids]):
                n += _add(w, batch, replace=lambda _: True)
            w.commit()
        self._set(dirty=None)
        return n

    def _write(
        self,
        store: Store,
        synced: int,
        latest: int,
        doubtful: int,
        progress: SyncProgress | None,
        *,
        clear: bool = False,
    ) -> int:
        """Add the posts written by imports in (synced, latest]; a post first stored by an
        import up to ``doubtful`` may have a document already, which it replaces. ``clear``
        removes every document first, in the same commit."""
        where = "p.import_id > ? AND p.import_id <= ?"
        ind = "post_uid IN (SELECT uid FROM posts WHERE import_id > ? AND import_id <= ?)"
        params = [synced, latest, synced, latest]
        todo = int(
            first(
                store.con,
                "SELECT count(*) FROM posts WHERE import_id > ? AND import_id <= ?",
                [synced, latest],
            )[0]
        )
        self._set(synced=synced, pending=latest)
        done = 0
        with self._writer() as w:
            if clear:
                w.delete_all_documents()
            for batch in _batches(store, where, ind, params):
                done += _add(w, batch, replace=lambda first: first <= doubtful)
                if progress:
                    progress(done, todo)
            w.commit()
            w.wait_merging_threads()
        self._set(synced=latest, pending=None, **({"dirty": None} if clear else {}))
        return done

    @contextlib.contextmanager
    def _writer(self, wait: float = 30.0) -> Iterator[tantivy.IndexWriter]:
        deadline = time.monotonic() + wait
        while True:
            try:
                writer = self.index.writer(heap_size=HEAP, num_threads=min(2, os.cpu_count() or 1))
                break
            except ValueError as e:  # another process holds the index's write lock
                if time.monotonic() > deadline:
                    raise WorkspaceError(
                        f"the search index is being written by another process: {e}",
                        hint="wait for the other import or search to finish",
                    ) from None
                time.sleep(0.2)
        try:
            yield writer
        except BaseException:
            with contextlib.suppress(Exception):
                writer.rollback()
            raise
        finally:
            del writer


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


def _batches(
    store: Store, where: str, ind_where: str, params: list[Any]
) -> Iterator[pa.RecordBatch]:
    sql = POSTS_SQL.format(where=where, ind_where=ind_where)
    cursor = store.con.cursor()  # its own result: the caller's connection stays free
    try:
        cursor.execute(KEPT)
        yield from cursor.sql(sql, params=params).to_arrow_reader(BATCH)
    finally:
        cursor.close()


def _add(writer: tantivy.IndexWriter, batch: pa.RecordBatch, replace: Callable[[int], bool]) -> int:
    """Add a batch of documents; a post for which ``replace`` holds loses its old one first."""
    uids, firsts, docs = (batch.column(i).to_pylist() for i in range(3))
    for uid, first_import, doc in zip(uids, firsts, docs, strict=True):
        if replace(first_import):
            writer.delete_documents_by_term("uid", uid)
        writer.add_json(doc)
    return len(docs)
