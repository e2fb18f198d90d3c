"""A briefing as every output format shows it: computed once from a report spec
(:mod:`groundswell.report.build`), then written as HTML, PDF or Markdown
(:mod:`groundswell.report.render`) without computing anything again.

Everything here is already final: numbers formatted for people, names redacted (unless the
analyst asked otherwise), captions written. A renderer only lays it out and escapes it, so
the three formats can never disagree on a figure.

- A :class:`Document` is a title, the period it covers, and an ordered list of
  :class:`Block` (one per section of the spec), then the :class:`Definition` of every metric,
  search or list behind a number (the appendix).
- A block has at most one chart (a Vega-Lite spec, see :mod:`groundswell.report.charts`),
  one :class:`Table`, a list of :class:`Excerpt`, or analyst-written Markdown; a caption (the
  one plain-language sentence computed from the data), small-print notes, the ids of the
  definitions it draws on (``refs``), and ``data``: the tables written beside the report as
  CSV so a reader can check every figure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pyarrow as pa

KINDS = (
    "chart", "table", "top", "anomalies", "excerpts", "text", "actors", "returns", "creators",
    "audit",
)  # fmt: skip


@dataclass
class Table:
    """A table as shown: ``rows`` of display strings under ``columns``. ``numeric`` marks the
    columns to align right; ``marked`` the (row, column) cells to set apart (the current,
    unfinished period, an anomaly)."""

    columns: list[str]
    rows: list[list[str]]
    numeric: list[bool] = field(default_factory=list)
    marked: set[tuple[int, int]] = field(default_factory=set)

    def __post_init__(self) -> None:
        if not self.numeric:
            self.numeric = [False] * len(self.columns)
        for row in self.rows:
            if len(row) != len(self.columns):
                raise ValueError(f"row {row!r} does not have {len(self.columns)} cells")


@dataclass
class Piece:
    """A run of text; ``hit`` when it matched the search (highlighted)."""

    text: str
    hit: bool = False


@dataclass
class Passage:
    """A paragraph of a post: its own words, or a block it quotes (``quote``) with the
    quoted author when the markup names one (redacted like every name)."""

    pieces: list[Piece]
    quote: bool = False
    quoted_author: str | None = None


@dataclass
class Excerpt:
    """A post shown in a report: where and when it was posted, who (``[redacted]`` by
    default) and the matching text, cut around the matches."""

    source: str
    section: str | None
    time: str  # formatted in the report's timezone
    author: str
    title: str | None
    passages: list[Passage]
    cut: bool = False  # the text was shortened


@dataclass
class Block:
    """One section of the report, ready to lay out."""

    kind: str  # one of KINDS
    title: str
    caption: str = ""
    chart: dict[str, Any] | None = None
    table: Table | None = None
    excerpts: list[Excerpt] = field(default_factory=list)
    markdown: str = ""
    notes: list[str] = field(default_factory=list)
    refs: list[str] = field(default_factory=list)  # Definition ids
    data: dict[str, pa.Table] = field(default_factory=dict)  # CSV file name -> rows
    empty: str = ""  # what to say when there is nothing to show

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown block kind {self.kind!r}")


@dataclass
class Definition:
    """What produced a number: a named metric, a search, an indicator list. ``id`` is the
    appendix anchor the blocks refer to; ``text`` says it in words; ``spec`` is the
    definition as the analyst would write it (TOML lines, a query)."""

    id: str
    name: str
    kind: str  # metric | search | list
    text: str
    spec: str


@dataclass
class Document:
    title: str
    period: str  # "Week 23 of 2020 (1 to 7 June)", for people
    start: datetime  # the period, timezone-aware, [start, end)
    end: datetime
    timezone: str
    generated: datetime
    workspace: str
    audience: str = ""
    as_of: datetime | None = None  # data up to this time ("as the team saw it on ...")
    redacted: bool = True
    blocks: list[Block] = field(default_factory=list)
    definitions: list[Definition] = field(default_factory=list)
    slug: str = "report"  # file names: SLUG.html, SLUG.pdf, SLUG.md

    def definition(self, id_: str) -> Definition:
        for d in self.definitions:
            if d.id == id_:
                return d
        raise KeyError(id_)
