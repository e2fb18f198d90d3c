"""Reddit dumps in the Pushshift / Arctic Shift layout: ``RC_YYYY-MM.zst`` and ``RS_YYYY-MM.zst``.

The files are newline-delimited JSON, one comment (``RC_``) or submission (``RS_``) per line,
compressed with zstandard using a 2 GiB window (``zstd --long=31``); :func:`open_input` sets
that window. Plain ``.ndjson``/``.jsonl`` and any compression ``open_input`` sniffs work too.

Quirks handled, as they occur across the years of the dumps:

- ``created_utc`` is an integer in some years, a string (``"1583020800"``) in others, and a
  float in some re-scrapes; all are read as epoch seconds.
- ``edited`` is ``false``, an epoch (int or float, sometimes as text) or, in the oldest data,
  ``true`` without a time (kept in ``extra``).
- ``[deleted]`` / ``[removed]`` authors and bodies become nulls, with the state in ``extra``.
- Bodies and titles carry Reddit's HTML escaping of ``&``, ``<`` and ``>`` (``&amp;gt;`` in
  quotes); it is undone. The Markdown itself is kept as text, never rendered.
- ``retrieved_on`` (Pushshift), ``retrieved_utc`` (later Pushshift) and Arctic Shift's
  ``_meta.retrieved_2nd_on`` give ``retrieved_at``.
- Comment or submission is decided per record (``title`` or ``num_comments`` means a
  submission; ``body``/``parent_id``/``link_id`` a comment); the ``RC_``/``RS_`` file name is
  only a fallback. Native ids are fullnames (``t1_<id>`` comments, ``t3_<id>`` submissions), so
  the two kinds never collide; ``parent_id`` and ``thread_id`` are fullnames too (bare ids in
  old re-scrapes are prefixed).
- One source per subreddit: ``reddit:r/<subreddit>``.

Lines are independent: :meth:`RedditImporter.prepare` holds the per-file state and
:meth:`RedditImporter.lines` yields the lines, so the pipeline may parse them in worker
processes; :meth:`RedditImporter.read` does the same in this process and also stops a file whose
records are overwhelmingly rejected (it is not a Reddit dump, or is hostile).

Two safety measures go beyond the shared readers: :class:`ZstdFrameCheck` turns a zstd file
that ends inside a frame (a truncated download) into a :class:`HostileInputError` once the
records before the break are read (python-zstandard's stream reader otherwise reports a clean
end of file), and :func:`iter_dump_lines` skips runs of blank lines in C, so a "bomb" of
newlines is refused by the expansion guard in well under a second instead of being walked line
by line.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from groundswell.errors import RecordError
from groundswell.sources.base import (
    JsonLinesImporter,
    Record,
    SourceInfo,
    int_or_none,
    text_or_none,
)
from groundswell.sources.timeparse import from_epoch, from_iso

CHUNK = 1 << 20
# A file whose records are mostly rejected after this many is not a Reddit dump (or is hostile).
REJECT_LIMIT = 1000

_DELETED = ("[deleted]", "[removed]")
_ID = re.compile(r"[0-9a-z]{1,16}")
_NON_BLANK = re.compile(rb"\S")
# Markdown inline links ``[text](url)`` and autolinks ``<url>``; bounded, linear-time patterns.
_MD_LINK = re.compile(r"\]\(\s*<?(https?://[^\s)<>]{1,2000})>?(?:\s+\"[^\"]{0,300}\")?\s*\)")
_AUTOLINK = re.compile(r"<(https?://[^\s<>]{1,2000})>")

# Fields kept in ``extra`` when present (everything else in the dumps is presentation or
# duplicated in a column). Values are copied as they are.
EXTRA_FIELDS = (
    "author_fullname",
    "author_flair_text",
    "author_created_utc",
    "subreddit_id",
    "distinguished",
    "stickied",
    "gilded",
    "downs",
    "controversiality",
    "score_hidden",
    "is_submitter",
    "locked",
    "archived",
    "over_18",
    "spoiler",
    "is_self",
    "is_video",
    "domain",
    "permalink",
    "link_flair_css_class",
    "upvote_ratio",
    "num_crossposts",
    "crosspost_parent",
    "total_awards_received",
    "removed_by_category",
    "collapsed_reason",
    "link_permalink",
    "post_hint",
)
_EXTRA_ORDER = {k: i for i, k in enumerate(EXTRA_FIELDS)}


_MONTHLY = re.compile(r"^R[CS]_(\d{4})-(\d{2})(?:\.|$)", re.IGNORECASE)


class RedditImporter(JsonLinesImporter):
    name = "reddit"
    version = "1"
    description = (
        "Reddit dumps (Pushshift / Arctic Shift RC_/RS_ files: NDJSON in zstd with a 2 GiB "
        "window, or plain/gzip/xz/bz2); comments and submissions, one source per subreddit."
    )

    def __init__(self, options: Any = None) -> None:
        super().__init__(options)
        self.sources: dict[str, SourceInfo] = {}
        self.fallback_kind: str | None = None
        self.default_retrieved: int | None = None

    # -- reading ---------------------------------------------------------------------------
    def prepare(self, path: Path) -> None:
        """Per-file state: the record kind the file name implies, the default retrieval time."""
        prefix = path.name[:3].upper()
        self.fallback_kind = {"RC_": "comment", "RS_": "submission"}.get(prefix)
        opts = self.options
        if opts.retrieved_at:
            self.default_retrieved = from_iso(opts.retrieved_at, opts.timezone or "UTC")[0]

    def coverage(self, path: Path) -> tuple[datetime, datetime] | None:
        """``RC_2020-03.zst`` / ``RS_2020-03.zst`` hold a whole calendar month (UTC)."""
        m = _MONTHLY.match(path.name)
        if m is None:
            return None
        year, month = int(m.group(1)), int(m.group(2))
        if not 1 <= month <= 12:
            return None
        start = datetime(year, month, 1, tzinfo=UTC)
        end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
        return start, end - timedelta(microseconds=1)

    # -- mapping ---------------------------------------------------------------------------
    def parse(self, obj: Any, loc: str) -> Record:
        if not isinstance(obj, dict):
            raise RecordError(f"expected a JSON object, got {_json_type(obj)}")
        kind = self._kind(obj)
        prefix = "t3_" if kind == "submission" else "t1_"
        bare = _bare_id(obj.get("id"), obj.get("name"), prefix)
        created = obj.get("created_utc")
        if created is None or created == "":
            raise RecordError("missing created_utc")
        try:
            time = from_epoch(created, "s")[0]
        except RecordError as e:
            raise RecordError(f"bad created_utc: {e.reason}") from None
        kept = obj.keys() & _EXTRA_ORDER  # (a few of the fields: look those up only)
        extra: dict[str, Any] = {
            k: obj[k] for k in sorted(kept, key=_EXTRA_ORDER.__getitem__) if obj[k] is not None
        }
        rec: Record = {
            "source": self._source(obj),
            "native_id": prefix + bare,
            "kind": kind,
            "time": time,
        }
        author = text_or_none(obj.get("author"))
        if author in _DELETED or not author:
            if author:
                extra["author_state"] = author.strip("[]")
        else:
            rec["author_name"] = rec["author_id"] = author
        if kind == "submission":
            title = _unescape(text_or_none(obj.get("title")))
            rec["title"] = rec["thread_title"] = title
            rec["thread_id"] = rec["native_id"]
            body = text_or_none(obj.get("selftext"))
            rec["replies"] = int_or_none(obj.get("num_comments"), "num_comments")
            flair = text_or_none(obj.get("link_flair_text"))
            if flair:
                rec["tags"] = [flair]
        else:
            body = text_or_none(obj.get("body"))
            link = _fullname(obj.get("link_id"), "t3_", "link_id")
            rec["thread_id"] = link
            rec["parent_id"] = _parent(obj.get("parent_id"), link)
            rec["thread_title"] = _unescape(text_or_none(obj.get("link_title")))
        if body in _DELETED:
            extra["text_state"] = body.strip("[]")
            body = None
        text = _unescape(body) or None
        rec["text"] = text
        links = _links(obj, kind, text)
        if links:
            rec["links"] = links
        if text:
            quotes = _markdown_quotes(text)
            if quotes:
                rec["quotes"] = quotes
        rec["score"] = int_or_none(obj.get("score"), "score")
        rec["likes"] = int_or_none(obj.get("ups"), "ups")
        rec["edited_at"] = self._edited(obj.get("edited"), extra)
        rec["retrieved_at"] = self._retrieved(obj)
        meta = obj.get("_meta")
        if isinstance(meta, dict) and meta:
            extra["_meta"] = meta
        if extra:
            rec["extra"] = orjson.dumps(extra, default=str).decode()
        return rec

    def _kind(self, obj: dict[str, Any]) -> str:
        if "title" in obj or "num_comments" in obj:
            return "submission"
        if "body" in obj or "parent_id" in obj or "link_id" in obj:
            return "comment"
        if self.fallback_kind:
            return self.fallback_kind
        raise RecordError(
            "cannot tell a comment from a submission: no title, num_comments, "
            "body, parent_id or link_id"
        )

    def _source(self, obj: dict[str, Any]) -> SourceInfo:
        opts = self.options
        if opts.source:
            name = opts.source
        else:
            sub = text_or_none(obj.get("subreddit"))
            if not sub:
                raise RecordError("missing subreddit")
            if sub.lower().startswith("r/"):
                sub = sub[2:]
            name = f"r/{sub}"
        src = self.sources.get(name)
        if src is None:
            url = opts.url or (f"https://www.reddit.com/{name}" if name.startswith("r/") else None)
            src = self.sources[name] = SourceInfo("reddit", name, url=url, network=opts.network)
        return src

    @staticmethod
    def _edited(value: Any, extra: dict[str, Any]) -> int | None:
        if value is None or value is False or value == 0 or value == "" or value == "false":
            return None
        if value is True:
            extra["edited"] = True
            return None
        try:
            return from_epoch(value, "s")[0]
        except RecordError:
            extra["edited_raw"] = value  # an unreadable edit time does not cost the record
            return None

    def _retrieved(self, obj: dict[str, Any]) -> int | None:
        value = obj.get("retrieved_on") or obj.get("retrieved_utc")
        if value is None:
            meta = obj.get("_meta")
            if isinstance(meta, dict):
                value = meta.get("retrieved_2nd_on")
        if value is None or value == "":
            return self.default_retrieved
        try:
            return from_epoch(value, "s")[0]
        except RecordError:
            return self.default_retrieved


# -- field helpers -----------------------------------------------------------------------------
def _json_type(obj: Any) -> str:
    return {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(obj), "a number"
    )


def _base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if not n:
            return out


def _bare_id(value: Any, name: Any, prefix: str) -> str:
    """The base-36 id without its ``t1_``/``t3_`` prefix; ``name`` (a fullname) as fallback."""
    if value is None or value == "":
        value = name
        if value is None or value == "":
            raise RecordError("missing id")
    if isinstance(value, bool):
        raise RecordError("id is a boolean")
    if isinstance(value, int):
        if value < 0:
            raise RecordError(f"id {value} is negative")
        return _base36(value)
    if not isinstance(value, str):
        raise RecordError(f"id has type {type(value).__name__}, expected text")
    bare = value.strip().lower()
    if bare[:3] in ("t1_", "t3_"):
        if bare[:3] != prefix:
            raise RecordError(
                f"id {value[:40]!r} is a {bare[:2]} fullname in a "
                f"{'submission' if prefix == 't3_' else 'comment'}"
            )
        bare = bare[3:]
    if not _ID.fullmatch(bare):
        raise RecordError(f"id {value[:40]!r} is not a base-36 Reddit id")
    return bare


def _fullname(value: Any, prefix: str, field_name: str) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return prefix + _base36(value)
    if not isinstance(value, str):
        raise RecordError(f"{field_name} has type {type(value).__name__}, expected text")
    v = value.strip().lower()
    if len(v) > 3 and v[0] == "t" and v[2] == "_":
        return v
    if not _ID.fullmatch(v):
        raise RecordError(f"{field_name} {value[:40]!r} is not a Reddit id")
    return prefix + v


def _parent(value: Any, link: str | None) -> str | None:
    """``parent_id`` as a fullname; a bare id equal to the link's is the submission."""
    if isinstance(value, str) and value and value[:1] != "t" and link and value == link[3:]:
        return link
    return _fullname(value, "t1_", "parent_id")


def _unescape(text: str | None) -> str | None:
    """Undo Reddit's escaping of ``<``, ``>`` and ``&`` (only those three are escaped)."""
    if not text or "&" not in text:
        return text
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _links(obj: dict[str, Any], kind: str, text: str | None) -> list[str]:
    links: list[str] = []
    if kind == "submission" and not obj.get("is_self"):
        url = _unescape(text_or_none(obj.get("url")))
        if url and url.startswith(("http://", "https://")):
            links.append(url)
    if text and "http" in text:
        links += _MD_LINK.findall(text)
        links += _AUTOLINK.findall(text)
    return list(dict.fromkeys(links))


def _markdown_quotes(text: str) -> list[dict[str, Any]]:
    """Spans of Markdown block quotes (runs of lines starting with ``>``) in ``text``."""
    if ">" not in text:
        return []
    quotes: list[dict[str, Any]] = []
    start: int | None = None
    end = 0
    pos = 0
    for line in text.splitlines(keepends=True):
        if line.lstrip(" ").startswith(">"):
            if start is None:
                start = pos
            end = pos + len(line.rstrip("\r\n"))
        elif line.strip() and start is not None:
            quotes.append({"start": start, "end": end, "quoted_id": None, "quoted_author": None})
            start = None
        pos += len(line)
    if start is not None:
        quotes.append({"start": start, "end": end, "quoted_id": None, "quoted_author": None})
    return quotes
