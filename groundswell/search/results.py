"""Running a search: filters, sorting, paging, snippets and facet counts.

Hits come from the index; what is shown of each (title, text, time, source) comes from the
store, which is the truth: a hit whose post the store no longer has is dropped (it cannot
happen while the index is in step, and is checked all the same). The author's name, costly
to read from the store, is stored in the index. Snippets are made here from the
store's text with tantivy's snippet generator and escaped as HTML: post text is hostile.
"""

from __future__ import annotations

import functools
import html
import os
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple, TypeVar

import tantivy

from groundswell.errors import QueryError
from groundswell.search import analysis
from groundswell.search.index import SearchIndex, Shard
from groundswell.search.periods import boundaries, epoch_us, label, posts_span
from groundswell.search.query import Compiler
from groundswell.store.duckdb import Store

T = TypeVar("T")
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
        """The conditions other than the time range (see ``span``)."""
        out: list[tuple[tantivy.Occur, tantivy.Query]] = []
        for name, index_field in KEYWORD_FILTERS.items():
            values = getattr(self, name)
            if values:
                terms = [v.lower() for v in values]
                query = tantivy.Query.term_set_query(schema, index_field, terms)
                out.append((tantivy.Occur.Must, query))
        return out

    def span(self) -> tuple[int | None, int | None]:
        """The time range as epoch µs [lo, hi), None where open."""
        return (
            epoch_us(self.since) if self.since else None,
            epoch_us(self.until) if self.until else None,
        )


class Part(NamedTuple):
    """The index of one month and the query to run on it."""

    shard: Shard
    query: tantivy.Query

    @property
    def searcher(self) -> tantivy.Searcher:
        return self.shard.searcher


@dataclass
class Plan:
    """A search ready to run: a query for each month of the index the time range touches,
    with a time condition only where the range cuts the month."""

    query: tantivy.Query  # the query without its time range (what snippets highlight)
    parts: list[Part]
    schema: tantivy.Schema


def each(fn: Callable[[Part], T], parts: list[Part]) -> list[T]:
    """``fn`` of every part, in their order, on as many threads as there are cores (tantivy
    lets go of the GIL while it searches: twice as fast on two cores)."""
    if len(parts) < 2:
        return [fn(p) for p in parts]
    return list(_threads().map(fn, parts))


@functools.cache
def _threads() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(os.cpu_count() or 1, thread_name_prefix="groundswell-search")


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

    def plan(self, q: str, filters: SearchFilters | None = None) -> Plan:
        """The tantivy queries of ``q`` narrowed by ``filters``, a month each."""
        filters = filters or SearchFilters()
        schema = self.index.schema
        query = _all(self.compiler.compile(q), filters.clauses(schema))
        lo, hi = filters.span()
        parts = []
        for shard in self.index.shards(lo, hi):
            if shard.within(lo, hi):
                parts.append(Part(shard, query))
            else:
                lo_, hi_ = -(2**62) if lo is None else lo, 2**62 if hi is None else hi - 1
                during = tantivy.Query.range_query(
                    schema, "time", tantivy.FieldType.Integer, lo_, hi_
                )
                narrowed = _all(query, [(tantivy.Occur.Must, during)])
                parts.append(Part(shard, narrowed))
        return Plan(query, parts, schema)

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
        plan = self.plan(q, filters)
        top = offset + max(limit, 1)  # of each month (tantivy wants at least one)
        way = tantivy.Order.Asc if sort == "oldest" else tantivy.Order.Desc

        def best(part: Part) -> tuple[int, list[float], list[tantivy.DocAddress]]:
            """The count of one month, and its best hits with their order (ascending)."""
            if sort == "relevance":
                found = part.searcher.search(part.query, limit=top, count=True)
                order = [-float(score) for score, _ in found.hits]
            else:
                found = part.searcher.search(
                    part.query, limit=top, count=True, order_by_field="time", order=way
                )
                times = part.searcher.fast_field_values("time", [a for _, a in found.hits])
                order = [(1 if sort == "oldest" else -1) * float(t or 0) for t in times]
            count = int(getattr(found, "count", 0) or 0)  # (missing from tantivy's stubs)
            return count, order, [a for _, a in found.hits]

        total = 0
        ranked: list[tuple[float, int, int, int]] = []  # (order, part, segment, doc)
        for i, (count, order, addresses) in enumerate(each(best, plan.parts)):
            total += count
            ranked += [(o, i, a.segment_ord, a.doc) for o, a in zip(order, addresses, strict=True)]
        ranked.sort()
        page = ranked[offset : offset + limit]
        scores = [-o if sort == "relevance" else 0.0 for o, *_ in page]
        hits = self._hits(plan, self._ids(plan, page), scores)
        result = SearchResults(q, total, hits, offset, limit, sort)
        if facets and total:
            result.facets = facet_counts(plan, timezone, posts_span(self.store))
        return result

    def uids(self, q: str, filters: SearchFilters | None = None) -> list[int]:
        """The uid of every post matching ``q`` and ``filters``, in no particular order."""

        def every(part: Part) -> list[int]:
            found = part.searcher.search(part.query, limit=1, count=True)
            total = int(getattr(found, "count", 0) or 0)
            if not total:
                return []
            addresses = [a for _, a in part.searcher.search(part.query, limit=total).hits]
            return [int(u or 0) for u in part.searcher.fast_field_values("uid", addresses)]

        return [uid for uids in each(every, self.plan(q, filters).parts) for uid in uids]

    @staticmethod
    def _ids(
        plan: Plan, page: list[tuple[float, int, int, int]]
    ) -> list[tuple[int, int, str | None]]:
        """The uid, store row and author name of each hit of the page, in its order."""
        by_part: dict[int, list[tantivy.DocAddress]] = {}
        for _, part, segment, doc in page:
            by_part.setdefault(part, []).append(tantivy.DocAddress(segment, doc))
        found: dict[tuple[int, int, int], tuple[int, int, str | None]] = {}
        for part, addresses in by_part.items():
            searcher = plan.parts[part].searcher
            uids = searcher.fast_field_values("uid", addresses)
            rows = searcher.fast_field_values("row", addresses)
            for a, u, r in zip(addresses, uids, rows, strict=True):
                name = searcher.doc(a).get_first("name")
                found[(part, a.segment_ord, a.doc)] = (int(u or 0), int(r or 0), name)
        return [found[(part, segment, doc)] for _, part, segment, doc in page]

    def _hits(
        self, plan: Plan, ids: list[tuple[int, int, str | None]], scores: list[float]
    ) -> list[Hit]:
        """The hits of (uid, row, author name) from the store, with their snippets."""
        if not ids:
            return []
        uids, rows = [u for u, _, _ in ids], [r for _, r, _ in ids]
        sql = (
            "SELECT uid, time, source_id, section, title, native_id, text FROM posts "
            "WHERE {} = ANY(?)"
        )
        con = self.store.con
        # by rowid: the rows themselves, without scanning the uid column; a post whose row
        # moved since it was indexed (the store was compacted) is found by its uid
        found = {r[0]: r for r in con.execute(sql.format("rowid"), [rows]).fetchall()}
        moved = [u for u in uids if u not in found]
        if moved:
            found.update((r[0], r) for r in con.execute(sql.format("uid"), [moved]).fetchall())
        snippets = tantivy.SnippetGenerator.create(
            plan.parts[0].searcher, plan.query, self.index.schema, "text"
        )
        snippets.set_max_num_chars(SNIPPET_CHARS)
        hits = []
        for (uid, _, author), score in zip(ids, scores, strict=True):
            row = found.get(uid)
            if row is None:  # the store no longer has it: never show it
                continue
            _, time, source, section, title, native, text = row
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


def _all(query: tantivy.Query, clauses: list[tuple[tantivy.Occur, tantivy.Query]]) -> tantivy.Query:
    """``query`` and every one of ``clauses``."""
    if not clauses:
        return query
    return tantivy.Query.boolean_query([(tantivy.Occur.Must, query), *clauses])


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
    plan: Plan, timezone: str, span: tuple[int, int] | None
) -> dict[str, list[tuple[str, int]]]:
    """Counts of the matching posts by source, language, author (the top ten) and month (in
    ``timezone``, over ``span``, the posts' time span): one aggregation a month of the index,
    added up. Where a month's list was cut short (tantivy counts the top terms of each
    segment), the values shown are counted again exactly."""
    aggs: dict[str, Any] = {
        name: {"terms": {"field": name, "size": size}} for name, size in FACET_SIZES.items()
    }
    edges = boundaries("month", timezone, *span) if span is not None else []

    def count(part: Part) -> dict[str, Any]:
        ranges = [{"from": float(a), "to": float(b)} for a, b in part.shard.periods(edges)]
        month = {"month": {"range": {"field": "time", "ranges": ranges}}} if ranges else {}
        return part.searcher.aggregate(part.query, {**aggs, **month})

    got = each(count, plan.parts)
    out: dict[str, list[tuple[str, int]]] = {}
    for name, size in FACET_SIZES.items():
        counts: Counter[str] = Counter()
        for g in got:
            counts.update({str(b["key"]): int(b["doc_count"]) for b in g[name]["buckets"]})
        top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[: 2 * size]
        if any(g[name].get("sum_other_doc_count") for g in got):
            top = _exact(plan, name, [v for v, _ in top])
        out[{"lang": "language"}.get(name, name)] = top[:size]
    if span is not None:
        months: Counter[int] = Counter()
        for g in got:
            for b in g.get("month", {}).get("buckets", []):
                if b.get("doc_count") and "from" in b and "to" in b:
                    months[int(b["from"])] += int(b["doc_count"])
        out["month"] = [(label("month", timezone, a), months[a]) for a in sorted(months)]
    return out


def _exact(plan: Plan, name: str, values: list[str]) -> list[tuple[str, int]]:
    """The exact count of each of ``values`` of a keyword field among the matches, largest
    first."""
    agg = {name: {"terms": {"field": name, "size": len(values)}}}
    these = (tantivy.Occur.Must, tantivy.Query.term_set_query(plan.schema, name, values))
    counts: Counter[str] = Counter()

    def count(part: Part) -> dict[str, Any]:
        return part.searcher.aggregate(_all(part.query, [these]), agg)

    for got in each(count, plan.parts):
        counts.update({str(b["key"]): int(b["doc_count"]) for b in got[name]["buckets"]})
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
