"""Attention over time: a search counted per calendar period, for the trend engine.

A metric on posts whose filters include ``search = QUERY`` (see docs/search.md) is counted
in the index rather than in the store: one aggregation request per query, with a terms
bucket per facet value (and per source, which the trend engine needs for coverage) and,
inside it, a range bucket per local period whose edges are computed here in the metric's
timezone (so DST and calendar months are exact). ``share = ["search = QUERY"]`` gives the
share of posts matching the search among the posts matching ``where`` in the same period
and facet: attention normalised by the volume of the sources.

The other filters of such a metric must be ones the index knows: source_id, section,
language, author_id, tags contains, lexicon and has.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from groundswell.analysis import compile as cc
from groundswell.analysis.metrics import Filter, Metric
from groundswell.errors import MetricError
from groundswell.search.periods import boundaries, epoch_us, keys, posts_span
from groundswell.search.results import Part, Plan, Searcher, SearchFilters, each

FACETS = {"source_id": "source", "source": "source", "language": "lang", "author_id": "author"}
FILTERS = {  # metric field -> SearchFilters field
    "source_id": "sources",
    "source": "sources",
    "section": "sections",
    "language": "languages",
    "author_id": "authors",
    "lexicon": "lexicons",
    "has": "has",
}
ALL_VALUES = 65_000  # terms buckets per facet: all of them, in practice


def uses_search(metric: Metric) -> bool:
    return any(f.field == "search" for f in (*metric.where, *metric.share))


class SearchCounter:
    """Counts for the trend engine (the columns ``compile.aggregate`` would give) from the
    index."""

    def __init__(self, searcher: Searcher) -> None:
        self.searcher = searcher

    def __call__(
        self,
        metric: Metric,
        timezone: str,
        *,
        period: str | None,
        since: datetime | None = None,
        until: datetime | None = None,
        keep: list[str] | None = None,
        by_source: bool = False,
    ) -> dict[str, list[Any]]:
        """``keep`` is never given: a search metric has no top (``Metric.check``)."""
        facets = [_facet(metric, b) for b in metric.by]
        if by_source and "source" not in facets:
            facets.append("source")
        base = self._query(metric, metric.where, since, until)
        counted = self._count(base, facets, period, timezone, since, until)
        if not metric.share:
            return _columns(counted, metric, facets, period, share=False)
        part = self._query(metric, (*metric.where, *metric.share), since, until)
        hits = self._count(part, facets, period, timezone, since, until)
        totals = {k: n for k, (n, _) in counted.items()}
        joined = {
            k: (hits.get(k, (0, None))[0], last, totals[k]) for k, (_, last) in counted.items()
        }
        return _columns(joined, metric, facets, period, share=True)

    def _query(
        self,
        metric: Metric,
        filters: tuple[Filter, ...],
        since: datetime | None,
        until: datetime | None,
    ) -> Plan:
        texts: list[str] = []
        values: dict[str, list[str]] = {}
        for f in filters:
            if f.field == "search":
                texts.append(f"({f.value})")
                continue
            target = FILTERS.get(f.field)
            if f.field == "tags" and f.op == "contains":
                target = "tags"
            elif target is None or f.op not in ("=", "in"):
                raise MetricError(
                    f"with a search, {f} cannot be counted in the index",
                    metric=metric.name or None,
                    hint="filters on source_id, section, language, author_id (= or in), "
                    "tags contains, lexicon and has can",
                )
            vals = f.value if isinstance(f.value, tuple) else (str(f.value),)
            values.setdefault(target, []).extend(vals)
        narrowed = SearchFilters(
            since=since, until=until, **{k: tuple(v) for k, v in values.items()}
        )
        return self.searcher.plan(" ".join(texts), narrowed)

    def _count(
        self,
        plan: Plan,
        facets: list[str],
        period: str | None,
        timezone: str,
        since: datetime | None,
        until: datetime | None,
    ) -> dict[tuple[Any, ...], tuple[int, int | None]]:
        """(facet values..., period number or None) -> (count, latest matching time µs).
        One aggregation a month of the index, added up: terms per facet, inside them a range
        per period (edges over since..until, else over the posts' time span), and the latest
        time overall."""
        edges: list[int] = []
        number: dict[int, int] = {}
        if period is not None:
            span = self._span(since, until)
            if span is None:
                return {}
            edges = boundaries(period, timezone, *span)
            number = dict(zip(edges, keys(period, timezone, *span), strict=False))

        def request(part: Part) -> dict[str, Any]:
            """The aggregation for one month: only the periods that overlap it."""
            ranges = [{"from": float(a), "to": float(b)} for a, b in part.shard.periods(edges)]
            agg: dict[str, Any] = {}
            if period is not None:
                agg = {"p": {"range": {"field": "time", "ranges": ranges}}}
            for i, name in reversed(list(enumerate(facets))):
                agg = {f"f{i}": {"terms": {"field": name, "size": ALL_VALUES}, "aggs": agg}}
            return {
                **agg,
                "n": {"value_count": {"field": "time"}},
                "last": {"max": {"field": "time"}},
            }

        counts: Counter[tuple[Any, ...]] = Counter()

        def walk(node: dict[str, Any], depth: int, key: tuple[Any, ...], count: int) -> None:
            if depth < len(facets):
                for b in node[f"f{depth}"]["buckets"]:
                    walk(b, depth + 1, (*key, str(b["key"])), int(b["doc_count"]))
            elif period is None:
                counts[(*key, None)] += count
            else:
                for b in node.get("p", {}).get("buckets", []):
                    if b.get("doc_count") and "to" in b and int(b.get("from", -1)) in number:
                        counts[(*key, number[int(b["from"])])] += int(b["doc_count"])

        def count(part: Part) -> dict[str, Any]:
            return part.searcher.aggregate(part.query, request(part))

        latest: int | None = None
        for got in each(count, [p for p in plan.parts if period is None or p.shard.periods(edges)]):
            value = got["last"].get("value")
            if value is not None:
                latest = max(int(value), latest if latest is not None else int(value))
            walk(got, 0, (), int(got["n"].get("value") or 0))
        return {k: (n, latest) for k, n in counts.items() if n}

    def _span(self, since: datetime | None, until: datetime | None) -> tuple[int, int] | None:
        """Epoch µs [lo, hi) to count in: since..until, within the posts' time span."""
        span = posts_span(self.searcher.store)
        if span is None:
            return None
        lo = max(span[0], epoch_us(since)) if since else span[0]
        hi = min(span[1], epoch_us(until)) if until else span[1]
        return (lo, hi) if lo < hi else None


def _facet(metric: Metric, field: str) -> str:
    name = FACETS.get(field)
    if name is None:
        raise MetricError(
            f"with a search, the facets are source_id, language and author_id, not {field!r}",
            metric=metric.name or None,
        )
    return name


def _columns(
    counted: dict[tuple[Any, ...], tuple[Any, ...]],
    metric: Metric,
    facets: list[str],
    period: str | None,
    *,
    share: bool,
) -> dict[str, list[Any]]:
    width = len(metric.by)
    cols: dict[str, list[Any]] = {f"{cc.FACET}{i}": [] for i in range(width)}
    cols.update(value=[], last=[])
    if period is not None:
        cols["period"] = []
    if len(facets) > width:
        cols["source_id"] = []
    if share:
        cols["total"] = []
    for key, got in counted.items():
        *values, number = key
        for i in range(width):
            cols[f"{cc.FACET}{i}"].append(values[i])
        if len(facets) > width:
            cols["source_id"].append(values[width])
        if period is not None:
            cols["period"].append(number)
        cols["value"].append(got[0])
        cols["last"].append(None if got[1] is None else datetime.fromtimestamp(got[1] / 1e6, UTC))
        if share:
            cols["total"].append(got[2])
    return cols
