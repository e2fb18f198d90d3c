"""Running a search: filters, sorting, paging, snippets and facet counts.

Hits come from the index; what is shown of each (title, text, author) comes from the store,
which is the truth: a hit whose post the store no longer has is dropped (it cannot happen
while the index is in step, and is checked all the same). Snippets are made here from the
store's text with tantivy's snippet generator and escaped as HTML: post text is hostile.
"""

from __future__ import annotations

import html
import itertools
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import tantivy

from groundswell.errors import QueryError
from groundswell.search import analysis
from groundswell.search.index import SearchIndex
from groundswell.search.periods import boundaries, epoch_us, label, posts_span
from groundswell.search.query import Compiler
from groundswell.store.duckdb import Store

SORTS = ("relevance", "newest", "oldest", "time")  # time: newest first
SNIPPET_CHARS = 240
FACET_SIZES = {"source": 20, "lang": 20, "author": 10}
MAX_LIMIT = 10_000
KEYWORD_FILTERS = {  # SearchFilters field -> index field (see index.KEYWORDS)
    "sources": "site",
    "sections": "section",
    "authors": "who",
    "languages": "lang",
    "has": "has",
    "indicators": "indicator",
    "lexicons": "lexicon",
    "tags": "tag",
}


@dataclass(frozen=True)
class SearchFilters:
    """What a search is narrowed to. Values of one filter are alternatives (any of them);
    different filters must all hold. ``since`` is inclusive, ``until`` exclusive."""

    since: datetime | None = None
    until: datetime | None = None
    sources: tuple[str, ...] = ()  # source ids or names (any case)
    sections: tuple[str, ...] = ()  # board, subforum, channel (any case)
    authors: tuple[str, ...] = ()  # author id or display name (any case)
    languages: tuple[str, ...] = ()  # ISO 639-1
    has: tuple[str, ...] = ()  # indicator kinds, or kind:subkind (crypto:btc-p2pkh)
    indicators: tuple[str, ...] = ()  # normalised values, URL hosts or registrable domains
    lexicons: tuple[str, ...] = ()  # lexicon names (hits outside quotes)
    tags: tuple[str, ...] = ()

    def clauses(self, schema: tantivy.Schema) -> list[tuple[tantivy.Occur, tantivy.Query]]:
        out: list[tuple[tantivy.Occur, tantivy.Query]] = []
        for name, index_field in KEYWORD_FILTERS.items():
            values = getattr(self, name)
            if values:
                terms = [v.lower() for v in values]
                query = tantivy.Query.term_set_query(schema, index_field, terms)
                out.append((tantivy.Occur.Must, query))
        if self.since is not None or self.until is not None:
            lo = epoch_us(self.since) if self.since else -(2**62)
            hi = epoch_us(self.until) - 1 if self.until else 2**62
            out.append(
                (
                    tantivy.Occur.Must,
                    tantivy.Query.range_query(schema, "time", tantivy.FieldType.Integer, lo, hi),
                )
            )
        return out


@dataclass
class Hit:
    uid: int
    score: float
    time: datetime
    source_id: str
    section: str | None
    author: str | None
    title: str | None
    native_id: str
    snippet: list[tuple[str, bool]]  # pieces of text, highlighted or not

    @property
    def snippet_html(self) -> str:
        """The snippet as HTML: text escaped, matches in <b>."""
        return "".join(
            f"<b>{html.escape(t)}</b>" if on else html.escape(t) for t, on in self.snippet
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "uid": self.uid,
            "score": round(self.score, 4),
            "time": self.time.isoformat(),
            "source_id": self.source_id,
            "section": self.section,
            "author": self.author,
            "title": self.title,
            "native_id": self.native_id,
            "snippet_html": self.snippet_html,
        }


@dataclass
class SearchResults:
    query: str
    total: int
    hits: list[Hit]
    offset: int
    limit: int
    sort: str
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "total": self.total,
            "offset": self.offset,
            "limit": self.limit,
            "sort": self.sort,
            "hits": [h.to_dict() for h in self.hits],
            "facets": {
                k: [{"value": v, "count": n} for v, n in vs] for k, vs in self.facets.items()
            },
        }


class Searcher:
    """Searches one index, reading what it shows from one store."""

    def __init__(self, index: SearchIndex, store: Store) -> None:
        self.index = index
        self.store = store
        self.compiler = Compiler(index.schema)

    def query(self, q: str, filters: SearchFilters | None = None) -> tantivy.Query:
        """The tantivy query of ``q`` narrowed by ``filters``."""
        text = self.compiler.compile(q)
        clauses = (filters or SearchFilters()).clauses(self.index.schema)
        if not clauses:
            return text
        return tantivy.Query.boolean_query([(tantivy.Occur.Must, text), *clauses])

    def search(
        self,
        q: str,
        filters: SearchFilters | None = None,
        *,
        sort: str = "relevance",
        limit: int = 20,
        offset: int = 0,
        facets: bool = True,
        timezone: str = "UTC",
    ) -> SearchResults:
        if sort not in SORTS:
            raise QueryError(f"unknown sort {sort!r}", hint="one of: " + ", ".join(SORTS))
        if not 0 <= limit <= MAX_LIMIT or offset < 0:
            raise QueryError(f"limit must be 0 to {MAX_LIMIT:,} and offset 0 or more")
        query = self.query(q, filters)
        searcher = self.index.searcher()
        top = max(limit, 1)  # (tantivy wants at least one)
        if sort == "relevance":
            found = searcher.search(query, limit=top, offset=offset, count=True)
        else:
            order = tantivy.Order.Asc if sort == "oldest" else tantivy.Order.Desc
            found = searcher.search(
                query, limit=top, offset=offset, count=True, order_by_field="time", order=order
            )
        total = int(getattr(found, "count", 0) or 0)  # (missing from tantivy's stubs)
        scored = [(float(s) if sort == "relevance" else 0.0, a) for s, a in found.hits][:limit]
        addresses = [a for _, a in scored]
        uids = [int(u or 0) for u in searcher.fast_field_values("uid", addresses)]
        rows = [int(r or 0) for r in searcher.fast_field_values("row", addresses)]
        hits = self._hits(searcher, query, uids, rows, [s for s, _ in scored])
        result = SearchResults(q, total, hits, offset, limit, sort)
        if facets and total:
            result.facets = facet_counts(searcher, query, timezone, posts_span(self.store))
        return result

    def uids(self, q: str, filters: SearchFilters | None = None) -> list[int]:
        """The uid of every post matching ``q`` and ``filters``, in no particular order."""
        query = self.query(q, filters)
        searcher = self.index.searcher()
        total = int(getattr(searcher.search(query, limit=1, count=True), "count", 0) or 0)
        if not total:
            return []
        addresses = [a for _, a in searcher.search(query, limit=total).hits]
        return [int(u or 0) for u in searcher.fast_field_values("uid", addresses)]

    def _hits(
        self,
        searcher: tantivy.Searcher,
        query: tantivy.Query,
        uids: list[int],
        rows: list[int],
        scores: list[float],
    ) -> list[Hit]:
        if not uids:
            return []
        sql = (
            "SELECT uid, time, source_id, section, coalesce(author_name, author_id), title, "
            "native_id, text FROM posts WHERE {} = ANY(?)"
        )
        con = self.store.con
        # by rowid: the rows themselves, without scanning the uid column; a post whose row
        # moved since it was indexed (the store was compacted) is found by its uid
        found = {r[0]: r for r in con.execute(sql.format("rowid"), [rows]).fetchall()}
        moved = [u for u in uids if u not in found]
        if moved:
            found.update((r[0], r) for r in con.execute(sql.format("uid"), [moved]).fetchall())
        snippets = tantivy.SnippetGenerator.create(searcher, query, self.index.schema, "text")
        snippets.set_max_num_chars(SNIPPET_CHARS)
        hits = []
        for uid, score in zip(uids, scores, strict=True):
            row = found.get(uid)
            if row is None:  # the store no longer has it: never show it
                continue
            _, time, source, section, author, title, native, text = row
            hits.append(
                Hit(
                    uid,
                    score,
                    time,
                    source,
                    section,
                    author,
                    title,
                    native,
                    snippet(snippets, text),
                )
            )
        return hits


def snippet(generator: tantivy.SnippetGenerator, text: str | None) -> list[tuple[str, bool]]:
    """The best passage of ``text`` as pieces, matched terms marked; touching matches (the
    characters of a Chinese word) are one piece. Without a match: the start of the text."""
    text = analysis.normal(text or "")
    if not text:
        return []
    s = generator.snippet_from_doc(tantivy.Document(text=text))
    fragment = s.fragment()
    ranges = sorted((r.start, r.end) for r in s.highlighted())
    if not fragment or not ranges:
        cut = text[:SNIPPET_CHARS]
        return [(cut + ("…" if len(text) > SNIPPET_CHARS else ""), False)]
    raw = fragment.encode("utf-8")  # tantivy's ranges are byte offsets in the fragment
    merged: list[list[int]] = []
    for a, b in ranges:
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    pieces: list[tuple[str, bool]] = []
    at = 0
    for a, b in merged:
        if a > at:
            pieces.append((raw[at:a].decode("utf-8", "replace"), False))
        pieces.append((raw[a:b].decode("utf-8", "replace"), True))
        at = b
    if at < len(raw):
        pieces.append((raw[at:].decode("utf-8", "replace"), False))
    start = s.fragment_range().start
    if start > 0:
        pieces.insert(0, ("…", False))
    if s.fragment_range().end < len(text.encode("utf-8")):
        pieces.append(("…", False))
    return pieces


def facet_counts(
    searcher: tantivy.Searcher, query: tantivy.Query, timezone: str, span: tuple[int, int] | None
) -> dict[str, list[tuple[str, int]]]:
    """Counts of the matching posts by source, language, author (the top ten) and month (in
    ``timezone``, over ``span``, the posts' time span), in one aggregation."""
    aggs: dict[str, Any] = {
        name: {"terms": {"field": name, "size": size}} for name, size in FACET_SIZES.items()
    }
    if span is not None:
        edges = boundaries("month", timezone, *span)
        ranges = [{"from": float(a), "to": float(b)} for a, b in itertools.pairwise(edges)]
        aggs["month"] = {"range": {"field": "time", "ranges": ranges}}
    got = searcher.aggregate(query, aggs)
    out = {
        {"lang": "language"}.get(name, name): [
            (str(b["key"]), int(b["doc_count"])) for b in got[name]["buckets"]
        ]
        for name in FACET_SIZES
    }
    if span is not None:
        out["month"] = [
            (label("month", timezone, int(b["from"])), int(b["doc_count"]))
            for b in got["month"]["buckets"]
            if b.get("doc_count") and "from" in b
        ]
    return out
