"""Enrichment: what every post gets once, at import, so analyses never re-parse text.

:class:`Enricher` is a pure function of an Arrow batch of posts (and the workspace's lexicons):
it returns the batch with the enrichment columns filled (``language``, ``language_confidence``,
``script``, ``content_hash``, ``simhash``, ``enriched``) and the batch's ``indicators`` rows.
It is picklable, so worker processes run it on the batches they parse.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from groundswell import schema
from groundswell.enrich import indicators as ind
from groundswell.enrich import language
from groundswell.enrich.indicators import urls
from groundswell.enrich.indicators.base import Found
from groundswell.enrich.lexicons import Lexicons
from groundswell.enrich.text import content_hash, fold, simhashes
from groundswell.workers import no_gc

__all__ = ["ENRICHED_COLUMNS", "ENRICH_VERSION", "Enricher", "find_indicators"]

ENRICH_VERSION = 1  # bump whenever an extractor's output changes
ENRICHED_COLUMNS = (
    "language",
    "language_confidence",
    "script",
    "content_hash",
    "simhash",
    "enriched",
)
_IND = schema.INDICATORS.schema


def find_indicators(
    text: str, *, platform: str | None = None, lexicons: Lexicons | None = None
) -> list[Found]:
    """Every indicator in one text (extractors and lexicon hits), in text order."""
    found = ind.extract(text, platform)
    if lexicons is not None:
        found += lexicons.match(text)
    found.sort(key=lambda f: (f.start or 0, f.end or 0))
    return found


class Enricher:
    """Enriches batches of posts for one workspace (its lexicons)."""

    def __init__(self, lexicons: Lexicons | None = None) -> None:
        self.lexicons = lexicons if lexicons is not None else Lexicons({})

    @property
    def version(self) -> str:
        """Recorded per post in ``enriched``: extractors, detector and lexicons."""
        return f"{ENRICH_VERSION}.{language.DETECTOR_VERSION}.{self.lexicons.fingerprint}"

    def warm(self) -> None:
        """Compile and load everything now (before worker processes fork, so they share it)."""
        ind.scanner()
        language.warm()

    def enrich(self, posts: pa.Table) -> tuple[pa.Table, pa.Table]:
        """The posts with their enrichment columns set, and their indicator rows (in the
        ``indicators`` schema plus ``_row``, the index of each row's post in ``posts``)."""
        with no_gc():
            return self._enrich(posts)

    def _enrich(self, posts: pa.Table) -> tuple[pa.Table, pa.Table]:
        n = posts.num_rows
        texts = [t or "" for t in posts.column("text").to_pylist()]
        titles = [t or "" for t in posts.column("title").to_pylist()]
        quotes = _sparse(posts.column("quotes"))
        links = _sparse(posts.column("links"))
        platform_of = {
            s: s.split(":", 1)[0] for s in posts.column("source_id").unique().to_pylist()
        }
        platforms = [platform_of[s] for s in posts.column("source_id").to_pylist()]
        body = ind.extract_batch(texts, platforms)
        titled = [i for i, t in enumerate(titles) if t]
        heads = dict(
            zip(
                titled,
                ind.extract_batch([titles[i] for i in titled], [platforms[i] for i in titled]),
                strict=True,
            )
        )
        folded = [fold(t) if t else "" for t in texts]
        lexicon_hits = self.lexicons.match_batch(texts, folded)
        rows = _Rows()
        lex = self.lexicons
        for i in range(n):
            text = texts[i]
            found = body[i] + lexicon_hits[i] if lexicon_hits[i] else body[i]
            if found:
                spans = _quote_spans(quotes.get(i))
                for f in found:
                    rows.add(i, "text", f, text, spans)
            if titles[i]:
                for f in heads[i] + lex.match(titles[i]):
                    rows.add(i, "title", f, titles[i], None)
            if i in links:
                seen = {f.value for f in body[i] if f.kind == "url"}
                for href in links[i]:
                    h = urls.href_indicator(href)
                    if h is not None and h.value not in seen:
                        seen.add(h.value)
                        rows.add(i, "href", h, "", None)
        detected = language.detect(
            [f"{h}\n{t}" if h else t for h, t in zip(titles, texts, strict=True)]
            if titled
            else texts
        )
        langs, confs, scripts = (
            (list(c) for c in zip(*detected, strict=True)) if n else ([], [], [])
        )
        declared = posts.column("language")
        if declared.null_count < n:  # a language the platform declares is kept
            for i, decl in enumerate(declared.to_pylist()):
                if decl and decl != "und":
                    langs[i], confs[i] = decl, None
        basis = (
            [f or (fold(h) if h else "") for f, h in zip(folded, titles, strict=True)]
            if titled
            else folded
        )
        out = posts
        for name, values in (
            ("language", langs),
            ("language_confidence", confs),
            ("script", scripts),
            ("content_hash", [content_hash(b) if b else None for b in basis]),
            ("simhash", simhashes(basis)),
            ("enriched", [self.version] * n),
        ):
            idx = out.schema.get_field_index(name)
            field = out.schema.field(idx)
            out = out.set_column(idx, field, pa.array(values, field.type))
        return out, rows.table(posts)


def _sparse(column: pa.ChunkedArray) -> dict[int, Any]:
    """The non-null values of a mostly-null column, by row."""
    if column.null_count == len(column):
        return {}
    return {i: v for i, v in enumerate(column.to_pylist()) if v}


def _quote_spans(quotes: list[dict[str, Any]] | None) -> list[tuple[int, int]] | None:
    if not quotes:
        return None
    return [(q["start"], q["end"]) for q in quotes if q["start"] is not None]


class _Rows:
    """Indicator rows: the findings themselves (tuples, turned into columns at the end), with
    the row, field, raw span and in-quote flag of each; the post's own columns are taken
    from the batch."""

    def __init__(self) -> None:
        self.rows: list[int] = []
        self.fields: list[str] = []
        self.found: list[Found] = []
        self.raw: list[str | None] = []
        self.in_quote: list[bool | None] = []

    def add(
        self, row: int, field: str, f: Found, text: str, spans: list[tuple[int, int]] | None
    ) -> None:
        self.rows.append(row)
        self.fields.append(field)
        self.found.append(f)
        start = f.start
        if start is None:
            self.raw.append(None)
            self.in_quote.append(None)
        else:
            self.raw.append(text[start : f.end])
            self.in_quote.append(spans is not None and any(s <= start < e for s, e in spans))

    def table(self, posts: pa.Table) -> pa.Table:
        take = pa.array(self.rows, pa.int64())
        cols: dict[str, Any] = {
            "post_uid": posts.column("uid").take(take),
            "source_id": posts.column("source_id").take(take),
            "time": posts.column("time").take(take),
            "field": self.fields,
            "raw": self.raw,
            "in_quote": self.in_quote,
        }
        found = zip(*self.found, strict=True) if self.found else ([] for _ in Found._fields)
        cols.update(zip(Found._fields, found, strict=True))
        arrays = [
            c if isinstance(c := cols[f.name], pa.ChunkedArray) else pa.array(c, f.type)
            for f in _IND
        ]
        t = pa.Table.from_arrays(arrays, schema=_IND)
        return t.append_column("_row", take)
