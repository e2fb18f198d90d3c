"""Account metric snapshots (followers, posts, likes ... over time) for creator analytics.

Reads the exports that crawlers and platform tools produce for Instagram, TikTok, YouTube,
Xiaohongshu and the like: one row per account per observation time, as CSV (comma, semicolon,
tab or pipe; UTF-8, BOM tolerated), JSON lines, or a JSON array of objects. The kind is taken
from the extension (``.csv``/``.tsv``/``.txt``, ``.jsonl``/``.ndjson``, ``.json``, under any
compression suffix) or else sniffed from the first byte (``{`` JSON lines, ``[`` JSON array).

Records go to the ``account_snapshots`` table, keyed by ``(platform, account, time)``, so a
re-import adds nothing and a corrected export updates the rows it changed.

Columns are found by name after normalising the header (lower case, runs of non-word
characters to ``_``: "Followers Count" is ``followers_count``); :data:`COLUMNS` lists the names
tried, in order of preference (``--map COLUMN=HEADER`` overrides). Every other column goes to
``extra`` as JSON. ``platform`` comes from the row, else from ``--platform``; it is lower-cased.
``account`` loses surrounding spaces and a leading ``@``.

Counts (see :func:`parse_count`): ``12,300``, ``12 300``, ``1.2k``, ``3.4M``, ``2B``, ``1.5万``
(10^4), ``1.2亿`` (10^8), ``1.5w`` (Chinese shorthand for 万), with an optional trailing ``+``.
Booleans: ``true/false``, ``1/0``, ``yes/no``, ``y/n``, ``t/f`` (any case), ``是/否``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import ijson
import orjson

from groundswell.errors import HostileInputError, RecordError
from groundswell.sources.base import (
    Importer,
    ReadContext,
    Record,
    Reject,
    parse_safely,
    text_or_none,
)
from groundswell.sources.readers import Input
from groundswell.sources.rows import CsvRows, json_lines, mapped
from groundswell.sources.timeparse import parse_time

# account_snapshots column -> normalised header names, most specific first.
COLUMNS: dict[str, tuple[str, ...]] = {
    "platform": ("platform", "site", "network", "source_platform", "平台"),
    "account": (
        "account",
        "handle",
        "username",
        "user_name",
        "account_id",
        "user_id",
        "screen_name",
        "channel_id",
        "unique_id",
        "账号",
        "账号id",
        "用户名",
        "小红书号",
    ),
    "time": (
        "time",
        "captured_at",
        "snapshot_time",
        "snapshot_date",
        "timestamp",
        "date",
        "datetime",
        "collected_at",
        "scraped_at",
        "crawled_at",
        "日期",
        "时间",
        "采集时间",
    ),
    "followers": (
        "followers",
        "followers_count",
        "follower_count",
        "fans",
        "fans_count",
        "subscribers",
        "subscriber_count",
        "subscribers_count",
        "粉丝",
        "粉丝数",
    ),
    "following": (
        "following",
        "following_count",
        "friends",
        "friends_count",
        "follows",
        "follows_count",
        "followings",
        "关注",
        "关注数",
    ),
    "posts": (
        "posts",
        "posts_count",
        "post_count",
        "media_count",
        "notes",
        "notes_count",
        "note_count",
        "videos",
        "video_count",
        "statuses_count",
        "tweet_count",
        "笔记",
        "笔记数",
        "作品数",
    ),
    "likes": (
        "likes",
        "likes_count",
        "like_count",
        "total_likes",
        "hearts",
        "heart_count",
        "liked_count",
        "获赞",
        "获赞数",
        "点赞数",
    ),
    "views": ("views", "views_count", "view_count", "total_views", "plays", "play_count", "播放量"),
    "display_name": ("display_name", "name", "nickname", "full_name", "title", "昵称"),
    "category": ("category", "niche", "vertical", "topic", "分类", "类别"),
    "is_virtual": ("is_virtual", "virtual", "is_virtual_influencer", "virtual_influencer", "虚拟"),
}
COUNTS = ("followers", "following", "posts", "likes", "views")
_NON_WORD = re.compile(r"\W+")
_SUFFIX = {
    "k": 10**3,
    "m": 10**6,
    "mn": 10**6,
    "b": 10**9,
    "bn": 10**9,
    "w": 10**4,
    "千": 10**3,
    "万": 10**4,
    "萬": 10**4,
    "亿": 10**8,
    "億": 10**8,
}
_COUNT = re.compile(r"^(?P<num>\d[\d,.]*|\.\d+)(?P<suffix>[a-z]{1,2}|[千万萬亿億])?\+?$")
_SEPARATORS = str.maketrans("", "", " \u00a0\u202f\u2009_'’")
_NULLS = {"", "-", "—", "–", "n/a", "na", "null", "none", "nan"}
_TRUE = {"true", "1", "yes", "y", "t", "是"}
_FALSE = {"false", "0", "no", "n", "f", "否"}
JSONL_EXT = {".jsonl", ".ndjson", ".jsonlines"}
CSV_EXT = {".csv", ".tsv", ".txt", ".psv"}
COMPRESSED_EXT = {".gz", ".zst", ".bz2", ".xz"}


def normalise_header(name: str) -> str:
    return _NON_WORD.sub("_", name.strip().lower()).strip("_")


def parse_count(value: Any, column: str) -> int | None:
    """A non-negative whole count from a number or a display string (rule in the module doc).

    Spaces, underscores and apostrophes are digit-group separators. A comma is a thousands
    separator when every group after it has three digits, else a decimal comma ("1,5k").
    A dot is a decimal point, except in a figure without a suffix where every group after
    it has three digits ("12.300", "1.234.567": European thousands separators, since a
    count without a multiplier cannot have a fraction). Multiplied figures are rounded to
    the nearest whole number, halves up.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise RecordError(f"{column} is a boolean, expected a count")
    suffixed = False
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise RecordError(f"{column} is {value!r}, expected a count")
        number = Decimal(str(value))
    elif isinstance(value, str):
        s = value.strip().lower().translate(_SEPARATORS)
        if s in _NULLS:
            return None
        m = _COUNT.match(s)
        if m is None or (m["suffix"] and m["suffix"] not in _SUFFIX):
            raise RecordError(
                f"{column} is {value[:40]!r}, expected a count such as 12,300 or 1.2k"
            )
        suffixed = bool(m["suffix"])
        number = _decimal(m["num"], suffixed=suffixed, value=value, column=column)
        if suffixed:
            number *= _SUFFIX[m["suffix"]]
    else:
        raise RecordError(f"{column} has type {type(value).__name__}, expected a count")
    if number < 0:
        raise RecordError(f"{column} is negative ({value!r})")
    whole = number.to_integral_value(rounding=ROUND_HALF_UP)
    if whole != number and not suffixed:
        raise RecordError(f"{column} is {str(value)[:40]!r}, not a whole number")
    return int(whole)


def _decimal(num: str, *, suffixed: bool, value: str, column: str) -> Decimal:
    def groups_of_three(sep: str) -> bool:
        return all(len(g) == 3 and g.isdigit() for g in num.split(sep)[1:])

    if "," in num and "." in num:  # "1,234.5" (or "1.234,5": the later mark is the decimal)
        if num.rfind(",") > num.rfind("."):
            num = num.replace(".", "").replace(",", ".")
        else:
            num = num.replace(",", "")
    elif "," in num:
        num = num.replace(",", "") if groups_of_three(",") else num.replace(",", ".", 1)
    elif num.count(".") > 1 or (not suffixed and "." in num and groups_of_three(".")):
        if not groups_of_three("."):
            raise RecordError(f"{column} is {value[:40]!r}, expected a count")
        num = num.replace(".", "")
    try:
        return Decimal(num)
    except InvalidOperation:
        raise RecordError(f"{column} is {value[:40]!r}, expected a count") from None


def parse_bool(value: Any, column: str = "is_virtual") -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        if value in (0, 1):
            return bool(value)
        raise RecordError(f"{column} is {value!r}, expected true or false")
    if isinstance(value, str):
        s = value.strip().lower()
        if s in _TRUE:
            return True
        if s in _FALSE:
            return False
        if s in _NULLS:
            return None
        raise RecordError(f"{column} is {value[:40]!r}, expected true/false, yes/no or 1/0")
    raise RecordError(f"{column} has type {type(value).__name__}, expected true or false")


class SnapshotsImporter(Importer):
    name = "snapshots"
    version = "1"
    description = (
        "Account metric snapshots (followers, following, posts, likes, views over "
        "time) from CSV, JSON lines or a JSON array."
    )
    target = "account_snapshots"

    def read(self, path: Path, ctx: ReadContext) -> Iterator[Record | Reject]:
        unknown = set(self.options.mapping) - set(COLUMNS)
        if unknown:
            raise HostileInputError(
                f"unknown mapping target(s) {', '.join(sorted(unknown))}; mappable columns: "
                f"{', '.join(COLUMNS)}",
                path=str(path),
            )
        kind = _kind_by_name(path)
        handle = ctx.open(path)
        if kind != "csv":  # .json may hold JSON lines; no extension: look at the first byte
            kind = _sniff(handle) or kind or "csv"
        if kind == "jsonl":
            yield from self._jsonl(handle, ctx)
        elif kind == "json":
            yield from self._json_array(handle, path)
        else:
            yield from self._csv(handle, path, ctx)

    # -- formats ---------------------------------------------------------------------------
    def _jsonl(self, handle: Input, ctx: ReadContext) -> Iterator[Record | Reject]:
        mappers: dict[tuple[str, ...], Mapper] = {}
        yield from mapped(
            json_lines(handle.stream, ctx.settings),
            lambda obj, loc: self._mapper_for(obj, mappers)(obj, loc),
        )

    def _json_array(self, handle: Input, path: Path) -> Iterator[Record | Reject]:
        mappers: dict[tuple[str, ...], Mapper] = {}
        n = 0
        try:
            for obj in ijson.items(handle.stream, "item", use_float=True):
                n += 1
                yield from parse_safely(self._mapper_for(obj, mappers), obj, f"item {n}")
        except ijson.JSONError as e:
            raise HostileInputError(
                f"malformed or truncated JSON after {n:,} items: {e}", path=str(path)
            ) from None

    def _mapper_for(self, obj: Any, mappers: dict[tuple[str, ...], Mapper]) -> Mapper:
        keys = tuple(obj) if isinstance(obj, dict) else ()
        mapper = mappers.get(keys)
        if mapper is None:
            if len(mappers) > 1000:  # keys differ on every line: do not grow without bound
                mappers.clear()
            mapper = mappers[keys] = Mapper(self, keys)
        return mapper

    def _csv(self, handle: Input, path: Path, ctx: ReadContext) -> Iterator[Record | Reject]:
        rows = CsvRows(handle, path, ctx.settings)
        mapper = Mapper(self, tuple(rows.header))
        yield from mapped(rows, mapper)


class Mapper:
    """Maps one record shape (a CSV header, or the keys of a JSON object) to snapshot rows."""

    def __init__(self, importer: SnapshotsImporter, keys: tuple[str, ...]) -> None:
        opts = importer.options
        by_norm: dict[str, str] = {}
        for k in keys:
            by_norm.setdefault(normalise_header(k), k)
        self.fields: dict[str, str] = {}
        for column, names in COLUMNS.items():
            mapped = opts.mapping.get(column)
            if mapped is not None:
                found = mapped if mapped in keys else by_norm.get(normalise_header(mapped))
            else:
                found = next((by_norm[n] for n in names if n in by_norm), None)
            if found is not None:
                self.fields[column] = found
        used = set(self.fields.values())
        self.rest = tuple(k for k in keys if k not in used)
        self.platform = (opts.platform or "").strip().lower() or None
        self.tz = opts.timezone or "UTC"
        self.fmt = opts.time_format

    def __call__(self, obj: Any, loc: str) -> Record:
        if not isinstance(obj, dict):
            raise RecordError(f"expected an object, got {type(obj).__name__}")
        f = self.fields

        def get(column: str) -> Any:
            name = f.get(column)
            return None if name is None else obj.get(name)

        platform = (text_or_none(get("platform")) or "").strip().lower() or self.platform
        if not platform:
            raise RecordError("missing platform (no platform value and no --platform given)")
        account = (text_or_none(get("account")) or "").strip().lstrip("@").strip()
        if not account:
            raise RecordError("missing account")
        t = get("time")
        if t is None or (isinstance(t, str) and not t.strip()):
            raise RecordError("missing time")
        rec: Record = {
            "platform": platform,
            "account": account,
            "time": parse_time(t.strip() if isinstance(t, str) else t, self.fmt, self.tz)[0],
        }
        for c in COUNTS:
            rec[c] = parse_count(get(c), c)
        for c in ("display_name", "category"):
            v = text_or_none(get(c))
            rec[c] = (v.strip() or None) if v is not None else None
        rec["is_virtual"] = parse_bool(get("is_virtual"))
        extra = {k: obj[k] for k in self.rest if obj.get(k) not in (None, "")}
        rec["extra"] = orjson.dumps(extra, option=orjson.OPT_SORT_KEYS).decode() if extra else None
        return rec


def _kind_by_name(path: Path) -> str | None:
    suffixes = [s.lower() for s in path.suffixes]
    while suffixes and suffixes[-1] in COMPRESSED_EXT:
        suffixes.pop()
    ext = suffixes[-1] if suffixes else ""
    if ext in JSONL_EXT:
        return "jsonl"
    if ext == ".json":
        return "json"
    if ext in CSV_EXT:
        return "csv"
    return None


def _sniff(handle: Input) -> str | None:
    """``jsonl`` or ``json`` (an array) by the first significant byte, else None."""
    peek = getattr(handle.stream, "peek", None)
    head = peek(4096)[:4096] if peek is not None else b""
    head = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if head.startswith(b"{"):
        return "jsonl"
    if head.startswith(b"["):
        return "json"
    return None
