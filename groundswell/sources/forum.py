"""Forum posts scraped from phpBB, vBulletin, XenForo, SMF and similar boards, as JSON lines.

One post per line, in the layout forum scrapers emit (and Groundswell's demo generator writes)::

    {"site": "Example Board", "site_url": "http://examplexyz...onion", "board": "General chat",
     "thread_id": "812", "thread_title": "Hello", "post_id": "90211", "post_number": 3,
     "author": "alice", "author_id": "55", "date": "Wed Apr 22, 2020 5:05 pm",
     "body_html": "<blockquote><cite>bob wrote:</cite>...</blockquote><p>...</p>",
     "tags": ["Original"], "url": "http://.../viewtopic.php?p=90211#p90211",
     "scraped_at": "2020-04-23T08:00:00Z", "timezone": "Europe/Amsterdam"}

Common alternates are accepted (see :data:`FIELDS`): ``forum``/``site_name``,
``subforum``/``section``/``category``, ``topic_id``/``topic_title``, ``id``/``message_id``,
``username``/``user`` (a string or an object with ``name``/``id``), ``posted``/``datetime``/
``timestamp``, ``content_html``/``message_html``/``html``/``body``/``content``.

Dates are the raw strings the forum displayed, read in the forum's timezone (``--timezone``,
else the record's ``timezone``, else UTC) by :class:`ForumDates`: a few strptime patterns first
(phpBB, vBulletin, XenForo, SMF, European day-first), ISO 8601 and epoch numbers, relative
dates ("Today at 5:05 PM", "Yesterday, 17:05", XenForo's "Tuesday at 5:05 PM", "3 hours ago")
resolved against the record's ``scraped_at`` (or ``--retrieved-at``) in the forum's timezone,
and finally :func:`timeparse.lenient`. Local times that fall in a DST gap or fold are read
with ``fold=0`` (the offset in force before the change).

A site whose url host ends in ``.onion`` is recorded as network ``tor``. Bodies go through
:func:`html_to_text`, which keeps quoted blocks ("X wrote:") with the quoted author and post
id, and collects links as metadata (never fetched).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from selectolax.lexbor import LexborHTMLParser

from groundswell.errors import RecordError
from groundswell.sources.base import (
    JsonLinesImporter,
    Record,
    SourceInfo,
    id_text,
    int_or_none,
    text_or_none,
)
from groundswell.sources.html import html_to_text
from groundswell.sources.timeparse import (
    EPOCH,
    Parsed,
    from_datetime,
    from_epoch,
    from_iso,
    lenient,
    parse_time,
    zone,
)

# Field -> names tried in order (the first present, non-null one wins).
FIELDS: dict[str, tuple[str, ...]] = {
    "site": ("site", "forum", "site_name"),
    "site_url": ("site_url", "forum_url", "base_url"),
    "board": ("board", "subforum", "section", "category"),
    "thread_id": ("thread_id", "topic_id"),
    "thread_title": ("thread_title", "topic_title"),
    "post_id": ("post_id", "id", "message_id"),
    "post_number": ("post_number", "position"),
    "author": ("author", "username", "user"),
    "author_id": ("author_id", "user_id"),
    "date": ("date", "posted", "datetime", "timestamp"),
    "body": ("body_html", "content_html", "message_html", "html", "body", "content"),
    "scraped_at": ("scraped_at", "retrieved_at", "crawled_at"),
    "timezone": ("timezone", "tz"),
}


def _first(obj: dict[str, Any], names: tuple[str, ...]) -> Any:
    for n in names:
        v = obj.get(n)
        if v is not None:
            return v
    return None


# -- dates ---------------------------------------------------------------------------------
# Tried in order after the pattern that matched last time. strptime matches names and AM/PM
# case-insensitively and accepts one-digit days and hours.
PATTERNS: tuple[str, ...] = (
    "%a %b %d, %Y %I:%M %p",  # phpBB 3 default: Wed Apr 22, 2020 5:05 pm
    "%a %b %d, %Y %H:%M",  # phpBB, 24-hour board setting
    "%d %b %Y, %H:%M",  # phpBB "d M Y, H:i": 22 Apr 2020, 17:05
    "%d %b %Y %H:%M",
    "%a %d %b %Y %H:%M",  # phpBB "D d M Y H:i"
    "%m-%d-%Y, %I:%M %p",  # vBulletin (US default): 04-22-2020, 05:05 PM
    "%d-%m-%Y, %H:%M",  # vBulletin with a European setting: 22-04-2020, 17:05
    "%m-%d-%Y, %H:%M",
    "%d-%m-%Y, %I:%M %p",
    "%b %d, %Y at %I:%M %p",  # XenForo: Apr 22, 2020 at 5:05 PM
    "%b %d, %Y at %H:%M",
    "%B %d, %Y at %I:%M %p",
    "%B %d, %Y, %I:%M:%S %p",  # SMF: April 22, 2020, 05:05:12 PM
    "%B %d, %Y, %H:%M:%S",
    "%d %B %Y, %H:%M:%S",  # SMF, European: 22 April 2020, 17:05:12
    "%d.%m.%Y, %H:%M",  # day-first with dots (German, Dutch, Russian boards)
    "%d.%m.%Y %H:%M",
    "%d/%m/%Y %H:%M",
    "%Y-%m-%d %H:%M",
)
_NUMERIC = re.compile(r"^-?\d+(\.\d+)?$")
_LABEL = re.compile(r"^(?:posted\s*(?:on|:)?|on|»|-|–)\s*", re.IGNORECASE)
_DAY_WORDS = {
    "today": 0,
    "yesterday": 1,
    "vandaag": 0,
    "gisteren": 1,
    "heute": 0,
    "gestern": 1,
    "сегодня": 0,
    "вчера": 1,
    "hari ini": 0,
    "kemarin": 1,
    "今天": 0,
    "昨天": 1,
}
_WEEKDAYS = {
    d: i
    for i, d in enumerate(
        ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    )
}
_RELATIVE = re.compile(
    r"^(?P<day>" + "|".join(sorted((*_DAY_WORDS, *_WEEKDAYS), key=len, reverse=True)) + r")"
    r"\s*(?:,|at|om|um|в|pukul)?\s*"
    r"(?P<h>\d{1,2})[:.](?P<m>\d{2})(?::(?P<s>\d{2}))?\s*(?P<ampm>[ap]\.?\s?m\.?)?$",
    re.IGNORECASE,
)
_AGO = re.compile(
    r"^(?P<n>\d+|an?|one)\s+(?P<unit>sec|second|min|minute|hour|hr|day|week)s?\s+ago$",
    re.IGNORECASE,
)
_UNITS = {
    "sec": 1,
    "second": 1,
    "min": 60,
    "minute": 60,
    "hour": 3600,
    "hr": 3600,
    "day": 86400,
    "week": 604800,
}
_JUST_NOW = {"just now", "a moment ago", "a few seconds ago"}
_HAS_DATE = re.compile(r"\d{4}|\b\d{1,2}[./-]\d{1,2}[./-]\d{2}\b")


class ForumDates:
    """Reads the date strings forums display. One instance per file (it remembers which
    pattern matched last, so a file of one forum costs one strptime per line)."""

    def __init__(self, time_format: str = "auto") -> None:
        self.time_format = time_format
        self.last: str | None = None

    def parse(self, value: Any, tz: str, reference_us: int | None) -> Parsed:
        """``(epoch_us, offset_min)`` of ``value`` shown in timezone ``tz``; relative dates
        need ``reference_us``, the time the page was scraped."""
        if value is None or value == "":
            raise RecordError("date is missing")
        if isinstance(value, bool):
            raise RecordError(f"date is a boolean ({value!r})")
        if isinstance(value, int | float):
            return from_epoch(value)
        if not isinstance(value, str):
            raise RecordError(f"date has type {type(value).__name__}, expected text or a number")
        s = " ".join(value.split())
        last = self.last
        if last is not None:
            try:
                return from_datetime(datetime.strptime(s, last), tz)
            except ValueError:
                pass
        if self.time_format != "auto":  # a declared format; relative dates still apply
            rel = self._relative(_LABEL.sub("", s) or s, tz, reference_us)
            return rel if rel is not None else parse_time(s, self.time_format, tz)
        if _NUMERIC.match(s):
            return from_epoch(s)
        if s[:4].isdigit() and s[4:5] == "-" and len(s) >= 10:
            try:
                return from_iso(s, tz)
            except RecordError:
                pass
        s = _LABEL.sub("", s) or s
        rel = self._relative(s, tz, reference_us)
        if rel is not None:
            return rel
        for pattern in PATTERNS:
            if pattern is last:
                continue
            try:
                dt = datetime.strptime(s, pattern)
            except ValueError:
                continue
            self.last = pattern
            return from_datetime(dt, tz)
        if not _HAS_DATE.search(s):  # dateutil would fill a missing date with today's
            raise RecordError(f"cannot read date {s[:60]!r}")
        return lenient(s, tz)

    def _relative(self, s: str, tz: str, reference_us: int | None) -> Parsed | None:
        low = s.lower()
        m = _RELATIVE.match(low)
        ago = None if m else _AGO.match(low)
        if m is None and ago is None and low not in _JUST_NOW:
            return None
        if reference_us is None:
            raise RecordError(
                f"relative date {s[:40]!r} needs the time the page was scraped: "
                "the record has no scraped_at and no --retrieved-at was given"
            )
        if ago is not None or m is None:
            n = 0 if ago is None else (int(ago["n"]) if ago["n"].isdigit() else 1)
            seconds = 0 if ago is None else n * _UNITS[ago["unit"].lower()]
            return reference_us - seconds * 1_000_000, None
        local = (EPOCH + timedelta(microseconds=reference_us)).astimezone(zone(tz))
        day = m["day"]
        # XenForo shows a weekday name for dates in the past week (today's name: a week ago)
        wd = _WEEKDAYS.get(day)
        back = _DAY_WORDS[day] if wd is None else (local.weekday() - wd) % 7 or 7
        hour, minute, second = int(m["h"]), int(m["m"]), int(m["s"] or 0)
        if m["ampm"]:
            if not 1 <= hour <= 12:
                raise RecordError(f"hour {hour} in {s[:40]!r} is not a 12-hour clock time")
            hour = hour % 12 + (12 if m["ampm"][0] == "p" else 0)
        if hour > 23 or minute > 59 or second > 59:
            raise RecordError(f"time of day in {s[:40]!r} is out of range")
        date = local.date() - timedelta(days=back)
        naive = datetime(date.year, date.month, date.day, hour, minute, second)
        return from_datetime(naive, tz)


# -- the importer --------------------------------------------------------------------------
class ForumImporter(JsonLinesImporter):
    name = "forum"
    version = "1"
    description = (
        "Scraped forum posts (phpBB, vBulletin, XenForo, SMF ...) as JSON lines, "
        "with the forum's raw date strings."
    )

    def prepare(self, path: Path) -> None:
        opts = self.options
        self.dates = ForumDates(opts.time_format)
        self.reference = from_iso(opts.retrieved_at, "UTC")[0] if opts.retrieved_at else None
        self.default_site = path.name.split(".")[0]
        self.sources: dict[tuple[Any, Any, str], SourceInfo] = {}
        self.scraped: tuple[Any, int | None] = (None, None)  # last scraped_at, parsed
        if opts.timezone:
            zone(opts.timezone)  # an unknown zone fails here, not once per record

    def _source(self, obj: dict[str, Any], tz: str) -> SourceInfo:
        site, site_url = _first(obj, FIELDS["site"]), _first(obj, FIELDS["site_url"])
        key = (site, site_url, tz)
        src = self.sources.get(key)
        if src is not None:
            return src
        opts = self.options
        url = text_or_none(site_url) or opts.url
        host = _host(url)
        name = opts.source or text_or_none(site) or host or self.default_site
        network = opts.network or ("tor" if host and host.endswith(".onion") else "clearnet")
        src = self.sources[key] = SourceInfo("forum", name, url, network, tz)
        return src

    def parse(self, obj: Any, loc: str) -> Record:
        if not isinstance(obj, dict):
            raise RecordError(f"expected a JSON object, got {type(obj).__name__}")
        native = id_text(_first(obj, FIELDS["post_id"]), "post_id")
        tz = self.options.timezone or text_or_none(_first(obj, FIELDS["timezone"])) or "UTC"
        zone(tz)  # an unknown timezone quarantines the record (cached: cheap)
        scraped_raw = _first(obj, FIELDS["scraped_at"])
        if scraped_raw is None or scraped_raw == "":
            scraped = None
        elif scraped_raw == self.scraped[0]:  # one scrape run: the same value line after line
            scraped = self.scraped[1]
        else:
            scraped = _scraped(scraped_raw)
            self.scraped = (scraped_raw, scraped)
        reference = scraped if scraped is not None else self.reference
        raw_date = _first(obj, FIELDS["date"])
        time_us, offset = self.dates.parse(raw_date, tz, reference)
        author, author_id = _author(obj)
        body = _first(obj, FIELDS["body"])
        html = (text_or_none(body) or "").replace("\x00", "")
        h = html_to_text(_xenforo_quotes(html) if "bbCodeBlock" in html else html)
        number = int_or_none(obj.get("post_number", obj.get("position")), "post_number")
        thread_title = text_or_none(_first(obj, FIELDS["thread_title"]))
        extra = {
            k: v
            for k, v in (
                ("post_number", number),
                ("url", text_or_none(obj.get("url"))),
                ("date_raw", raw_date),
            )
            if v is not None
        }
        return {
            "source": self._source(obj, tz),
            "native_id": native,
            "kind": "post",
            "section": text_or_none(_first(obj, FIELDS["board"])),
            "thread_id": text_or_none(_first(obj, FIELDS["thread_id"])),
            "thread_title": thread_title,
            "title": thread_title if number == 1 else None,
            "author_name": author,
            "author_id": author_id or author,
            "time": time_us,
            "time_offset_min": offset,
            "text": h.text,
            "quotes": [
                q for q in h.quotes if q["end"] > q["start"] or q["quoted_id"] or q["quoted_author"]
            ]
            or None,
            "quoted_ids": h.quoted_ids or None,
            "links": h.links or None,
            "tags": _tags(obj.get("tags")),
            "attachments": _attachments(obj.get("attachments")),
            "likes": int_or_none(obj.get("likes"), "likes"),
            "views": int_or_none(obj.get("views"), "views"),
            "replies": int_or_none(obj.get("replies"), "replies"),
            "retrieved_at": scraped,
            "extra": orjson.dumps(extra).decode() if extra else None,
        }


def _host(url: str | None) -> str | None:
    if not url:
        return None
    host = url.split("//", 1)[-1].split("/", 1)[0].rsplit("@", 1)[-1].split(":", 1)[0]
    return host.lower().rstrip(".") or None


def _scraped(value: Any) -> int:
    """``scraped_at``: ISO 8601 (naive read as UTC) or an epoch number."""
    try:
        return parse_time(value, "auto", "UTC")[0]
    except RecordError as e:
        raise RecordError(f"scraped_at: {e.reason}") from None


def _author(obj: dict[str, Any]) -> tuple[str | None, str | None]:
    value = _first(obj, FIELDS["author"])
    author_id = _first(obj, FIELDS["author_id"])
    if isinstance(value, dict):  # "user": {"name": ..., "id": ...}
        author_id = author_id if author_id is not None else value.get("id")
        value = value.get("name") or value.get("username")
    return text_or_none(value), text_or_none(author_id)


def _tags(value: Any) -> list[str] | None:
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, str):
        return [t.strip() for t in value.split(",") if t.strip()] or None
    if isinstance(value, list) and all(isinstance(t, str) for t in value):
        return [t for t in value if t] or None
    raise RecordError("tags must be a list of strings")


def _attachments(value: Any) -> list[dict[str, Any]] | None:
    """Attachment metadata only (names, urls): never downloaded."""
    if not value:
        return None
    if not isinstance(value, list):
        raise RecordError("attachments must be a list")
    out: list[dict[str, Any]] = []
    for a in value:
        if isinstance(a, str):
            out.append({"name": a.rsplit("/", 1)[-1] or None, "url": a, "mime": None, "size": None})
        elif isinstance(a, dict):
            out.append(
                {
                    "name": text_or_none(a.get("name") or a.get("filename")),
                    "url": text_or_none(a.get("url")),
                    "mime": text_or_none(a.get("mime") or a.get("type")),
                    "size": int_or_none(a.get("size"), "attachment size"),
                }
            )
        else:
            raise RecordError("attachments must be strings or objects")
    return out


def _xenforo_quotes(html: str) -> str:
    """Name XenForo 2 quotes in the attributes :func:`html_to_text` reads.

    XenForo writes ``<blockquote data-quote="bob" data-source="post: 5678" ...>`` (and, in
    older 2.x templates, only a ``bbCodeBlock-sourceJump`` link to ``goto/post?id=5678`` whose
    text is "bob said:"); html_to_text looks for ``data-author`` and ``data-post-id``.
    """
    tree = LexborHTMLParser(html)
    changed = False
    for node in tree.css("blockquote.bbCodeBlock--quote, blockquote.bbCodeBlock"):
        attrs = node.attributes
        author = attrs.get("data-quote")
        source = attrs.get("data-source") or ""
        m = re.search(r"post:\s*(\d+)", source)
        post_id = m.group(1) if m else None
        jump = node.css_first(".bbCodeBlock-sourceJump")
        if jump is not None:
            if post_id is None:
                m = re.search(r"(?:[?&]id=|/posts/)(\d+)", jump.attributes.get("href") or "")
                post_id = m.group(1) if m else None
            if not author:
                said = re.match(r"^\s*(.+?)\s+said\s*:?\s*$", jump.text(deep=True) or "")
                author = said.group(1) if said else None
        if author and "data-author" not in attrs:
            node.attrs["data-author"] = author
            changed = True
        if post_id and "data-post-id" not in attrs:
            node.attrs["data-post-id"] = post_id
            changed = True
    if not changed:
        return html
    body = tree.body
    return body.html or html if body is not None else html
