"""From importer records to Arrow parts: validation, derived columns, conversion.

Everything here is a pure function of its arguments and picklable, so that line-based formats
can be parsed by worker processes (:func:`parse_block`) exactly as they are in-process.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import repeat
from typing import Any

import pyarrow as pa

from groundswell import schema
from groundswell.config import ImportSettings
from groundswell.enrich import ENRICHED_COLUMNS, Enricher
from groundswell.errors import GroundswellError
from groundswell.ids import post_uid
from groundswell.sources.base import JsonLinesImporter, Reject, SourceInfo, excerpt
from groundswell.sources.readers import Block
from groundswell.workers import no_gc


@dataclass(frozen=True)
class Target:
    """How records of one kind are keyed, compared and versioned in their table."""

    table: schema.Table
    content: tuple[str, ...]  # columns compared to tell an edited record from an unchanged one
    # SQL expressions giving a comparable version of a row (prefix b. = incoming, p. = stored).
    version: tuple[str, ...] = ()


# Not compared to tell an edit: provenance, what enrichment derives (a newer enrichment
# version is not an edit of the post), and the account (the merge assigns it).
_POST_DERIVED = {
    "uid",
    "import_id",
    "first_import_id",
    "retrieved_at",
    "account",
    *ENRICHED_COLUMNS,
}
POSTS = Target(
    schema.POSTS,
    tuple(c for c in schema.POSTS.columns if c not in _POST_DERIVED),
    version=(
        "greatest({p}.time, coalesce({p}.edited_at, {p}.time))",
        "coalesce({p}.retrieved_at, TIMESTAMPTZ '1970-01-01')",
    ),
)
SNAPSHOTS = Target(schema.SNAPSHOTS, tuple(c for c in schema.SNAPSHOTS.columns if c != "import_id"))
TARGETS = {"posts": POSTS, "account_snapshots": SNAPSHOTS}


@dataclass
class Part:
    """Validated records as an Arrow table, with the rejects and sources met on the way."""

    table: pa.Table | None
    indicators: pa.Table | None = None  # of posts, once enriched (``_row``: the post's row)
    rejects: list[Reject] = field(default_factory=list)
    sources: list[SourceInfo] = field(default_factory=list)
    read: int = 0  # items read, good and bad

    @property
    def rows(self) -> int:
        return 0 if self.table is None else self.table.num_rows


def _fmt_us(us: int) -> str:
    try:
        t = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=us)
    except OverflowError:
        return f"{us} µs since 1970"
    return t.strftime("%Y-%m-%d %H:%M:%S" if t.second or t.minute or t.hour else "%Y-%m-%d")


@dataclass(frozen=True)
class Validator:
    """The checks and derived columns every record of every importer goes through."""

    target_name: str
    importer_name: str
    earliest_us: int
    latest_us: int

    @classmethod
    def for_run(cls, target: str, importer: str, settings: ImportSettings) -> Validator:
        earliest, latest = settings.time_window()
        return cls(target, importer, int(earliest.timestamp() * 1e6), int(latest.timestamp() * 1e6))

    def __call__(
        self, items: Iterable[dict[str, Any] | Reject]
    ) -> Iterator[dict[str, Any] | Reject | SourceInfo]:
        earliest, latest = self.earliest_us, self.latest_us
        posts = self.target_name == "posts"
        sids: dict[SourceInfo, str] = {}
        for rec in items:
            if isinstance(rec, Reject):
                yield rec
                continue
            loc = rec.pop("loc", "?")
            raw = rec.pop("raw", None)
            t = rec.get("time")
            if not isinstance(t, int):
                why = "missing time" if t is None else f"time is not a timestamp: {t!r}"
                yield Reject(loc, why, excerpt(raw or _jsonable(rec)))
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
                    raise TypeError(f"importer {self.importer_name} gave no SourceInfo at {loc}")
                native = rec.get("native_id")
                if not native:
                    yield Reject(loc, "missing id", excerpt(raw or _jsonable(rec)))
                    continue
                sid = sids.get(src)
                if sid is None:
                    sid = sids[src] = src.source_id
                    yield src  # the caller collects sources
                rec["source_id"] = sid
                rec["uid"] = post_uid(sid, native)
            yield rec


def _jsonable(rec: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in rec.items() if k != "source" and v is not None}


def to_arrow(records: list[dict[str, Any]], target: Target, import_id: int) -> pa.Table:
    """Records as an Arrow table of the target's schema. Only columns some record has are
    converted from Python; the import ids are constants, the rest all-null arrays."""
    sch = target.table.schema
    present = set().union(*records)
    n = len(records)
    arrays = []
    for f in sch:
        if f.name in present:
            arrays.append(pa.array(list(map(dict.get, records, repeat(f.name))), type=f.type))
        elif f.name in ("import_id", "first_import_id"):
            arrays.append(pa.repeat(pa.scalar(import_id, f.type), n))
        else:
            arrays.append(pa.nulls(n, type=f.type))
    return pa.Table.from_arrays(arrays, schema=sch)


def parts(
    items: Iterable[dict[str, Any] | Reject],
    validator: Validator,
    target: Target,
    import_id: int,
    size: int,
) -> Iterator[Part]:
    """Validate ``items`` and cut them into parts of at most ``size`` records."""
    records: list[dict[str, Any]] = []
    part = Part(None)
    try:
        for item in validator(items):
            cls = item.__class__
            if cls is SourceInfo:
                part.sources.append(item)  # type: ignore[arg-type]
                continue
            part.read += 1
            if cls is Reject:
                part.rejects.append(item)  # type: ignore[arg-type]
                if len(part.rejects) < 10_000:
                    continue
            else:
                records.append(item)  # type: ignore[arg-type]
                if len(records) < size:
                    continue
            part.table = to_arrow(records, target, import_id) if records else None
            yield part
            records, part = [], Part(None)
    except GroundswellError:  # the file broke: what was read before the break is kept
        if records or part.rejects or part.sources or part.read:
            part.table = to_arrow(records, target, import_id) if records else None
            yield part
        raise
    if records or part.rejects or part.sources or part.read:
        part.table = to_arrow(records, target, import_id) if records else None
        yield part


def enrich_part(part: Part, enricher: Enricher | None) -> Part:
    """The part with its posts enriched and their indicators attached (worker-safe)."""
    if enricher is None or part.table is None:
        return part
    part.table, part.indicators = enricher.enrich(part.table)
    return part


def parse_block(
    importer: JsonLinesImporter,
    block: Block,
    limit_mb: float,
    validator: Validator,
    import_id: int,
    enricher: Enricher | None = None,
) -> Part:
    """Worker-process entry: one block of lines to one validated (and enriched) part."""
    target = TARGETS[importer.target]
    with no_gc():
        items = importer.parse_block(block, limit_mb)
        out = list(parts(items, validator, target, import_id, size=1 << 62))
    if not out:
        return Part(None)
    part = out[0]
    for extra in out[1:]:  # only when over 10,000 rejects in one block
        part.rejects += extra.rejects
        part.sources += extra.sources
        part.read += extra.read
    return enrich_part(part, enricher)
