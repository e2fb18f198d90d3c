"""Generic JSONL, CSV and Parquet importers driven by a field mapping.

The mapping says which field of the file fills which ``posts`` column (dotted paths reach into
nested JSON: ``user.screen_name``). Unmapped columns are looked for under common names
(``id``, ``created_at``, ``body`` ...), listed in :data:`DEFAULT_NAMES`. The source is the
``--source`` option, else a mapped ``source`` field per record, else the file name.

Time is read by ``--time-format``: ``auto`` (epoch seconds or milliseconds by magnitude, ISO 8601,
then common human formats), ``epoch_s``, ``epoch_ms``, ``iso`` or a strptime pattern such as
``%d/%m/%Y %H:%M``; naive times are read in ``--timezone``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pyarrow.parquet as pq

from groundswell.errors import HostileInputError, RecordError
from groundswell.sources.base import (
    Importer,
    JsonLinesImporter,
    ReadContext,
    Record,
    Reject,
    SourceInfo,
    id_text,
    int_or_none,
    parse_safely,
    text_or_none,
)
from groundswell.sources.rows import CsvRows, mapped
from groundswell.sources.timeparse import parse_time

# posts column (or pseudo-column) -> field names tried when the mapping does not name one
DEFAULT_NAMES: dict[str, tuple[str, ...]] = {
    "native_id": ("id", "post_id", "message_id", "native_id"),
    "time": ("time", "timestamp", "created_at", "created_utc", "date", "datetime"),
    "author_name": ("author", "author_name", "username", "user", "screen_name"),
    "author_id": ("author_id", "user_id"),
    "text": ("text", "body", "content", "message", "selftext"),
    "title": ("title",),
    "section": ("section", "board", "channel", "subreddit", "category"),
    "thread_id": ("thread_id", "thread", "conversation_id"),
    "thread_title": ("thread_title",),
    "parent_id": ("parent_id", "reply_to", "in_reply_to"),
    "forwarded_from": ("forwarded_from", "forward_from", "fwd_from", "reposted_from"),
    "kind": ("kind", "type"),
    "language": ("language", "lang"),
    "tags": ("tags", "hashtags", "labels"),
    "links": ("links", "urls"),
    "edited_at": ("edited_at", "edited"),
    "retrieved_at": ("retrieved_at", "collected_at", "scraped_at"),
    "likes": ("likes", "like_count", "favorites", "upvotes"),
    "replies": ("replies", "reply_count", "comments", "num_comments"),
    "shares": ("shares", "share_count", "retweets", "forwards", "reposts"),
    "views": ("views", "view_count", "plays"),
    "saves": ("saves", "save_count", "collects", "bookmarks"),
    "score": ("score",),
    "source": ("source", "site", "forum"),
    "platform": ("platform",),
}
MAPPABLE = tuple(DEFAULT_NAMES)
COUNTS = ("likes", "replies", "shares", "views", "saves", "score")


def _getter(path: str) -> Callable[[dict[str, Any]], Any]:
    if "." not in path:
        return lambda obj: obj.get(path)
    parts = path.split(".")

    def get(obj: dict[str, Any]) -> Any:
        cur: Any = obj
        for p in parts:
            if not isinstance(cur, dict):
                return None
            cur = cur.get(p)
        return cur

    return get


class MappedRecords:
    """Turns flat or nested dicts into post records according to a mapping.

    The fields to read are resolved once per set of keys (once per CSV header; once per record
    shape in JSON lines), so that each record costs one dictionary lookup per mapped column.
    """

    def __init__(self, importer: Importer, path: Path, header: Iterable[str] | None) -> None:
        opts = importer.options
        unknown = set(opts.mapping) - set(MAPPABLE)
        if unknown:
            raise HostileInputError(
                f"unknown mapping target(s) {', '.join(sorted(unknown))}; "
                f"mappable columns: {', '.join(MAPPABLE)}",
                path=str(path),
            )
        self.mapping = opts.mapping
        self.tz = opts.timezone or "UTC"
        self.fmt = opts.time_format
        self.platform = opts.platform or "generic"
        self.fixed = (
            SourceInfo(self.platform, opts.source, opts.url, opts.network, opts.timezone)
            if opts.source
            else None
        )
        self.default_name = path.name.split(".")[0]
        self.sources: dict[tuple[str, str], SourceInfo] = {}
        self.plans: dict[tuple[str, ...], list[Step]] = {}
        self.header: tuple[str, ...] | None = None
        if header is not None:
            self.header = tuple(header)
            for column, name in self.mapping.items():
                if name.split(".")[0] not in self.header:
                    raise HostileInputError(
                        f"mapped field {name!r} (for {column}) is not a column; "
                        f"columns: {', '.join(self.header)}",
                        path=str(path),
                    )
            self.plan(self.header)

    def plan(self, keys: tuple[str, ...]) -> list[Step]:
        """Which field fills which column, and how it is converted, for records with ``keys``."""
        present = set(keys)
        steps: list[Step] = []
        for column, names in DEFAULT_NAMES.items():
            name = self.mapping.get(column) or next((n for n in names if n in present), None)
            if name is None or column in ("source", "platform"):
                continue
            steps.append((column, _getter(name) if "." in name else name, self._converter(column)))
        self.plans[keys] = steps
        return steps

    def _converter(self, column: str) -> Callable[[Any, str], Any] | None:
        if column == "native_id":
            return id_text
        if column == "time":
            fmt, tz = self.fmt, self.tz
            return lambda v, _c: parse_time(v, fmt, tz)  # (µs, offset): split in __call__
        if column in ("edited_at", "retrieved_at"):
            tz = self.tz
            return lambda v, _c: None if v in (False, 0) else parse_time(v, "auto", tz)[0]
        if column in COUNTS:
            return int_or_none
        if column in ("tags", "links"):
            return _list
        return None  # text

    def source(self, obj: dict[str, Any]) -> SourceInfo:
        if self.fixed is not None:
            return self.fixed
        name = _lookup(obj, self.mapping.get("source"), DEFAULT_NAMES["source"])
        platform = _lookup(obj, self.mapping.get("platform"), DEFAULT_NAMES["platform"])
        key = (text_or_none(platform) or self.platform, text_or_none(name) or self.default_name)
        src = self.sources.get(key)
        if src is None:
            src = self.sources[key] = SourceInfo(key[0], key[1], timezone=self.tz)
        return src

    def __call__(self, obj: Any, loc: str) -> Record:
        if obj.__class__ is not dict:
            raise RecordError(f"expected an object, got {type(obj).__name__}")
        keys = self.header or tuple(obj)
        steps = self.plans.get(keys) or self.plan(keys)
        rec: Record = {"source": self.source(obj)}
        for column, field, convert in steps:
            v = obj.get(field) if field.__class__ is str else field(obj)  # type: ignore[operator]
            if v is None or v == "":
                continue
            if convert is None:
                rec[column] = v if v.__class__ is str else _text(v, column)
            elif v.__class__ is int and convert is int_or_none:
                rec[column] = v
            else:
                rec[column] = convert(v, column)
        t = rec.get("time")
        if t is not None:
            rec["time"], rec["time_offset_min"] = t
        return rec


Step = tuple[str, "str | Callable[[dict[str, Any]], Any]", "Callable[[Any, str], Any] | None"]


def _text(value: Any, column: str) -> str | None:
    try:
        return text_or_none(value)
    except RecordError as e:
        raise RecordError(f"{column}: {e.reason}") from None


def _lookup(obj: dict[str, Any], name: str | None, defaults: tuple[str, ...]) -> Any:
    if name is not None:
        return _getter(name)(obj)
    for n in defaults:
        v = obj.get(n)
        if v is not None:
            return v
    return None


def _list(value: Any, column: str) -> list[str] | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        if value.startswith("["):
            try:
                value = orjson.loads(value)
            except orjson.JSONDecodeError:
                raise RecordError(f"{column} is not a JSON list: {value[:40]!r}") from None
        else:
            return [v.strip() for v in value.replace(";", ",").split(",") if v.strip()]
    if isinstance(value, list):
        return [str(v) for v in value if v is not None]
    raise RecordError(f"{column} has type {type(value).__name__}, expected a list")


class JsonlImporter(JsonLinesImporter):
    name = "jsonl"
    version = "1"
    description = "Newline-delimited JSON (plain, .gz, .zst, .bz2, .xz) with a field mapping."

    def prepare(self, path: Path) -> None:
        self.mapper = MappedRecords(self, path, None)

    def parse(self, obj: Any, loc: str) -> Record:
        return self.mapper(obj, loc)


class CsvImporter(Importer):
    name = "csv"
    version = "1"
    description = "CSV with a header row (comma, semicolon or tab; UTF-8) with a field mapping."

    def read(self, path: Path, ctx: ReadContext) -> Iterator[Record | Reject]:
        rows = CsvRows(ctx.open(path), path, ctx.settings)
        mapper = MappedRecords(self, path, rows.header)
        yield from mapped(rows, mapper)


class ParquetImporter(Importer):
    name = "parquet"
    version = "1"
    description = "Parquet files with a field mapping; read row group by row group."

    def read(self, path: Path, ctx: ReadContext) -> Iterator[Record | Reject]:
        handle = ctx.open(path)
        if handle.compression is not None:
            raise HostileInputError(
                f"a {handle.compression}-compressed file is not Parquet "
                "(Parquet compresses inside the file)",
                path=str(path),
            )
        try:  # Parquet needs a seekable file: read the raw file; progress is by rows
            pf = pq.ParquetFile(handle.counter.raw)
        except Exception as e:  # pyarrow raises several types for a broken footer
            raise HostileInputError(f"not a readable Parquet file: {e}", path=str(path)) from None
        mapper = MappedRecords(self, path, pf.schema_arrow.names)
        row = 0
        try:
            total = max(pf.metadata.num_rows, 1)
            for batch in pf.iter_batches(batch_size=8192):
                for obj in batch.to_pylist():
                    row += 1
                    yield from parse_safely(mapper, _plain(obj), f"row {row}")
                handle.counter.count = handle.size * row // total  # progress by rows read
        except OSError as e:
            raise HostileInputError(
                f"Parquet data is corrupt after row {row}: {e}", path=str(path)
            ) from None


def _plain(obj: dict[str, Any]) -> dict[str, Any]:
    """Parquet timestamps arrive as datetimes; give them to the time parser as ISO text."""
    for k, v in obj.items():
        if hasattr(v, "isoformat") and not isinstance(v, str):
            obj[k] = v.isoformat()
    return obj
