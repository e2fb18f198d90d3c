"""Imageboard thread JSON: the 4chan read-only API and vichan/Tinyboard's 4chan-compatible API.

Files read (plain or compressed):
- one thread per file, ``{"posts": [op, reply, ...]}`` (``/g/thread/123.json``,
  vichan ``/b/res/123.json``), streamed post by post;
- a board index page ``{"threads": [{"posts": [...]}, ...]}``;
- the catalog ``[{"page": 1, "threads": [op + "last_replies", ...]}, ...]``;
- JSON lines, one thread object (or catalog page, or single post) per line, as scrapers write.

The board is not in the JSON: it comes from ``--source`` (``g`` or ``/g/``), else a ``board``
field some scrapers add to each thread, else the path (``.../g/thread/123.json``,
``.../b/res/1.json``, ``.../g/catalog.json``). The site is ``--platform`` (``4chan`` by
default, or ``vichan``, ``lainchan``...) and ``--url`` (the site root).

Quirks handled:
- ``com`` is HTML: ``<br>``, ``<wbr>`` inside long words, ``<s>`` spoilers, greentext as
  ``<span class="quote">&gt;...</span>`` (*not* a quoted post), quote links
  ``<a class="quotelink">&gt;&gt;123</a>``; cross-board links ``&gt;&gt;&gt;/g/123`` are not
  same-board quotes (kept in ``extra``); dead links to deleted posts stay plain ``>>123`` text;
- ``time`` is epoch seconds (UTC); 4chan's ``now`` is the same instant in US Eastern time
  (``03/01/20(Sun)12:00:00``, seconds on some boards only), from which the offset is kept;
- ``name`` and ``sub`` are HTML-escaped; ``trip`` is separate; ``id`` is a per-thread poster id;
- attachments: 4chan has one file per post (``tim``, ``ext``, ``filename``, ``fsize``, ``md5``),
  vichan adds ``extra_files``, writes ``tim`` as a string, and a deleted file as ``ext``
  ``"deleted"``; 4chan marks deleted files ``filedeleted: 1``. Metadata only: file URLs are
  constructed as text, never fetched;
- moderator notes appended to a post ("(USER WAS BANNED FOR THIS POST)") are flagged in ``extra``;
- hostile markup: ``<script>``/``<style>`` are dropped by the HTML converter and never run;
  a comment with more tags than any imageboard allows is quarantined before it is parsed
  (HTML5 parsing is quadratic in nesting depth).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from groundswell.errors import HostileInputError, RecordError
from groundswell.sources.base import (
    Importer,
    ReadContext,
    Record,
    Reject,
    SourceInfo,
    excerpt,
    id_text,
    int_or_none,
    parse_safely,
    text_or_none,
)
from groundswell.sources.html import html_to_text
from groundswell.sources.jsonstream import (
    JSON_ERRORS,
    MAX_DEPTH,
    Oversized,
    dumps_extra,
    json_failure,
    mime_of,
    open_json,
    scalar,
    stream_json,
)
from groundswell.sources.rows import json_lines
from groundswell.sources.timeparse import from_epoch, from_iso, from_pattern

FOURCHAN_SITE = "https://boards.4chan.org"
FOURCHAN_FILES = "https://i.4cdn.org"
FOURCHAN_TZ = "America/New_York"
# No imageboard allows a comment with this many tags (4chan: 2,000 characters); parsing HTML
# is quadratic in nesting depth, so a body over the limit is quarantined unparsed.
MAX_TAGS = 10_000
_SAME_BOARD = re.compile(r"(?<![>\w])>>(\d+)")  # in converted text, not HTML
_CROSS_BOARD = re.compile(r">>>/(\w+)/(\d+)")
_BOARD = re.compile(r"^[A-Za-z0-9_+-]{1,32}$")
_MOD_NOTES = ("(USER WAS BANNED FOR THIS POST)", "(USER WAS WARNED FOR THIS POST)")
# scalar fields kept in ``extra`` as they are
_EXTRA_FIELDS = (
    "capcode",
    "country",
    "country_name",
    "board_flag",
    "flag_name",
    "since4pass",
    "sticky",
    "closed",
    "locked",
    "archived",
    "archived_on",
    "bumplimit",
    "imagelimit",
    "semantic_url",
    "unique_ips",
    "images",
    "omitted_posts",
    "omitted_images",
    "last_modified",
    "cyclical",
    "email",
    "tag",
    "custom_spoiler",
    "spoiler",
    "filedeleted",
)


@dataclass
class Thread:
    """What the posts of one thread share: where they are and what their opening post said."""

    source: SourceInfo
    board: str
    op_no: str | None = None
    title: str | None = None
    page: int | None = None


class ImageboardImporter(Importer):
    name = "imageboard"
    version = "1"
    description = "4chan API and vichan/Tinyboard thread, catalog and index JSON (and JSON lines)."

    # -- reading ---------------------------------------------------------------------------
    def read(self, path: Path, ctx: ReadContext) -> Iterator[Record | Reject]:
        opts = self.options
        self.platform = (opts.platform or "4chan").lower()
        site = opts.url or (FOURCHAN_SITE if self.platform == "4chan" else None)
        self.site = site.rstrip("/") if site else None
        self.path = path
        self.fixed_board = _clean_board(opts.source) if opts.source else None
        if opts.source and self.fixed_board is None:
            raise HostileInputError(
                f"--source {opts.source!r} is not a board name such as 'g'", path=str(path)
            )
        self.path_board = _board_from_path(path)
        self.sources: dict[str, SourceInfo] = {}
        try:
            self.retrieved_at = from_iso(opts.retrieved_at)[0] if opts.retrieved_at else None
        except RecordError as e:
            raise HostileInputError(f"--retrieved-at: {e.reason}", path=str(path)) from None
        stream = open_json(path, ctx)
        if self._is_json_lines(path, stream):
            yield from self._read_lines(stream, ctx)
        else:
            yield from self._read_document(stream, ctx)

    @staticmethod
    def _is_json_lines(path: Path, stream: IO[bytes]) -> bool:
        name = path.name.lower()
        if ".jsonl" in name or ".ndjson" in name:
            return True
        peek = getattr(stream, "peek", None)
        head = peek(1 << 16) if peek is not None else b""
        body = head.lstrip()
        if not body:
            return False
        if body[:1] not in (b"{", b"["):
            raise HostileInputError(
                f"not imageboard JSON: the file starts with {excerpt(body[:40])!r}", path=str(path)
            )
        first, sep, rest = body.partition(b"\n")
        # compact JSON lines: a first line that is a whole object, then another object
        return bool(sep) and first.rstrip().endswith(b"}") and rest.lstrip()[:1] == b"{"

    def _read_document(self, stream: IO[bytes], ctx: ReadContext) -> Iterator[Record | Reject]:
        targets = [("posts", "*"), ("threads", "*"), ("*",)]
        thread = None
        n = 0
        found = False
        try:
            for pos, index, value in stream_json(
                stream, targets, max_bytes=ctx.settings.max_record_bytes
            ):
                found = True
                n += 1
                if pos == ("posts", "*"):
                    loc = f"post {index + 1}"
                    if isinstance(value, Oversized):
                        yield Reject(loc, value.reason, value.excerpt)
                        continue
                    if thread is None:
                        thread = self._thread(None)
                    yield from parse_safely(self._post_parser(thread), value, loc)
                else:
                    where = "thread" if pos == ("threads", "*") else "item"
                    loc = f"{where} {index + 1}"
                    if index == 0 and pos == ("*",) and not isinstance(value, dict | list):
                        raise HostileInputError(
                            f"not imageboard JSON: a list of {type(value).__name__} (4chan's "
                            "archive.json and threads.json list thread numbers, not posts)",
                            path=str(self.path),
                        )
                    if isinstance(value, Oversized):
                        yield Reject(loc, value.reason, value.excerpt)
                        continue
                    yield from self._container(value, loc, None)
        except JSON_ERRORS as e:
            raise json_failure(e, self.path, f"(after {n:,} items)") from None
        if not found:
            raise HostileInputError(
                "not imageboard JSON: no posts, threads or catalog pages at the top level",
                path=str(self.path),
            )

    def _read_lines(self, stream: IO[bytes], ctx: ReadContext) -> Iterator[Record | Reject]:
        for item in json_lines(stream, ctx.settings):
            if isinstance(item, Reject):
                yield item
                continue
            loc, obj, raw = item
            if _deeper_than(obj, MAX_DEPTH):
                yield Reject(loc, f"JSON nested more than {MAX_DEPTH} levels deep", excerpt(raw))
                continue
            yield from self._container(obj, loc, raw)

    def _container(self, obj: Any, loc: str, raw: bytes | None) -> Iterator[Record | Reject]:
        """A thread, a catalog page, a list of either, or a single post."""
        if isinstance(obj, list):
            for i, item in enumerate(obj):
                yield from self._container(item, f"{loc} item {i + 1}", None)
            return
        if not isinstance(obj, dict):
            yield Reject(
                loc,
                f"expected a thread, catalog page or post, got {type(obj).__name__}",
                excerpt(raw if raw is not None else obj),
            )
            return
        board = obj.get("board") if isinstance(obj.get("board"), str) else None
        if isinstance(obj.get("posts"), list):
            thread = self._thread(board)
            for i, post in enumerate(obj["posts"]):
                yield from parse_safely(self._post_parser(thread), post, f"{loc} post {i + 1}")
        elif isinstance(obj.get("threads"), list):
            page = obj.get("page")
            for i, t in enumerate(obj["threads"]):
                tloc = f"{loc} thread {i + 1}"
                if isinstance(page, int) and not isinstance(page, bool):
                    tloc = f"page {page} thread {i + 1}"
                if isinstance(t, dict) and isinstance(t.get("posts"), list):  # index page
                    yield from self._container(t, tloc, None)
                else:
                    yield from self._catalog_thread(t, tloc, board, page)
        elif "no" in obj:
            yield from self._catalog_thread(obj, loc, board, None)
        else:
            yield Reject(
                loc,
                "neither a thread ('posts'), a catalog page ('threads') nor a post ('no')",
                excerpt(raw if raw is not None else obj),
            )

    def _catalog_thread(
        self, op: Any, loc: str, board: str | None, page: Any
    ) -> Iterator[Record | Reject]:
        """A catalog entry: the opening post with its ``last_replies``."""
        thread = self._thread(board)
        if isinstance(page, int) and not isinstance(page, bool):
            thread.page = page
        replies: Iterable[Any] = ()
        if isinstance(op, dict):
            last = op.get("last_replies")
            if isinstance(last, list):
                replies = last
                op = {k: v for k, v in op.items() if k != "last_replies"}
        yield from parse_safely(self._post_parser(thread), op, loc)
        for j, reply in enumerate(replies):
            yield from parse_safely(self._post_parser(thread), reply, f"{loc} reply {j + 1}")

    # -- sources ---------------------------------------------------------------------------
    def _thread(self, record_board: str | None) -> Thread:
        board = self.fixed_board or _clean_board(record_board) or self.path_board
        if board is None:
            raise HostileInputError(
                "cannot tell which board this is: the JSON does not say and the path is not "
                "like .../g/thread/123.json",
                path=str(self.path),
                hint="pass --source g",
            )
        src = self.sources.get(board)
        if src is None:
            opts = self.options
            tz = opts.timezone or (FOURCHAN_TZ if self.platform == "4chan" else None)
            url = f"{self.site}/{board}/" if self.site else None
            src = self.sources[board] = SourceInfo(
                self.platform, f"/{board}/", url, opts.network, tz
            )
        return Thread(src, board)

    def _post_parser(self, thread: Thread) -> Any:
        def parse(obj: Any, loc: str) -> Record:
            return self.parse_post(obj, thread)

        return parse

    # -- one post --------------------------------------------------------------------------
    def parse_post(self, post: Any, thread: Thread) -> Record:
        if not isinstance(post, dict):
            raise RecordError(f"post has type {type(post).__name__}, expected an object")
        no = id_text(post.get("no"), "no")
        if not no.isdigit():
            raise RecordError(f"no {no[:40]!r} is not a post number")
        resto = int_or_none(post.get("resto"), "resto") or 0
        is_op = resto == 0 and (thread.op_no is None or thread.op_no == no)
        time, offset = self._time(post)

        com = post.get("com")
        if com is not None and not isinstance(com, str):
            raise RecordError(f"com has type {type(com).__name__}, expected HTML text")
        com = (com or "").replace("\x00", "")
        tags = _tag_count(com)
        if tags > MAX_TAGS:
            raise RecordError(
                f"com has {tags:,} tags, more than any imageboard post ({MAX_TAGS:,}): "
                "likely hostile markup"
            )
        body = html_to_text(com)
        title = _plain(post.get("sub"), "sub")
        if is_op:
            thread.op_no = no
            thread.title = title
        thread_id = str(resto) if resto else (thread.op_no if not is_op and thread.op_no else no)

        quoted, cross, dead = _quote_targets(body.text, body.quoted_ids)
        parent = quoted[0] if quoted else (None if is_op else thread_id)

        name = _plain(post.get("name"), "name")
        trip = text_or_none(post.get("trip"))
        poster = text_or_none(post.get("id"))
        author_name = " ".join(p for p in (name, trip) if p) or None

        files, md5s = self._files(post, thread.board)
        extra: dict[str, Any] = {k: scalar(post.get(k)) for k in _EXTRA_FIELDS}
        extra.update(
            {
                "md5": md5s,
                "poster_id": poster,
                "trip": trip,
                "cross_board_quotes": cross,
                "dead_quotes": dead,
                "page": thread.page if is_op else None,
                "moderator_note": next((n for n in _MOD_NOTES if body.text.endswith(n)), None),
            }
        )
        embed = post.get("embed")
        if isinstance(embed, str) and embed:
            extra["embed"] = embed[:2000]
        return {
            "source": thread.source,
            "native_id": no,
            "kind": "post" if is_op else "reply",
            "section": f"/{thread.board}/",
            "thread_id": thread_id,
            "thread_title": thread.title,
            "parent_id": parent,
            "quoted_ids": quoted or None,
            "quotes": body.quotes or None,
            "author_id": poster or trip,
            "author_name": author_name,
            "time": time,
            "time_offset_min": offset,
            "title": title,
            "text": body.text,
            "links": body.links or None,
            "attachments": files or None,
            "replies": int_or_none(post.get("replies"), "replies") if is_op else None,
            "extra": dumps_extra(extra),
            "retrieved_at": self.retrieved_at,
        }

    def _time(self, post: dict[str, Any]) -> tuple[int, int | None]:
        """UTC time from ``time``; the local offset from 4chan's ``now`` (US Eastern)."""
        value = post.get("time")
        now = post.get("now")
        if value is None or value == "":
            if isinstance(now, str) and self.platform == "4chan":
                return _parse_now(now)
            raise RecordError("time is missing")
        us, _ = from_epoch(value)
        return us, _offset_from_now(now, us)

    def _files(self, post: dict[str, Any], board: str) -> tuple[list[dict[str, Any]], list[str]]:
        items: list[Any] = []
        if any(post.get(k) not in (None, "") for k in ("tim", "filename", "ext")):
            items.append(post)
        more = post.get("extra_files")
        if more is not None:
            if not isinstance(more, list):
                raise RecordError(f"extra_files has type {type(more).__name__}, expected a list")
            items.extend(more)
        files = []
        md5s = []
        for f in items:
            if not isinstance(f, dict):
                raise RecordError(f"extra_files item has type {type(f).__name__}")
            filename = text_or_none(f.get("filename")) or ""
            ext = text_or_none(f.get("ext")) or ""
            tim = text_or_none(f.get("tim")) or ""
            deleted = ext == "deleted" or f.get("filedeleted") in (1, True)
            if ext == "deleted":  # vichan: the file was deleted; no name survives
                ext = ""
            if ext and not ext.startswith("."):
                ext = "." + ext
            url = None
            if tim and ext and not deleted:
                if self.platform == "4chan":
                    url = f"{FOURCHAN_FILES}/{board}/{tim}{ext}"  # metadata only, never fetched
                elif self.site:
                    url = f"{self.site}/{board}/src/{tim}{ext}"
            name = f"{filename}{ext}" or None
            files.append(
                {
                    "name": name,
                    "url": url,
                    "mime": mime_of(name) if ext else None,
                    "size": None
                    if deleted and not f.get("fsize")
                    else int_or_none(f.get("fsize"), "fsize"),
                }
            )
            md5 = text_or_none(f.get("md5"))
            if md5:
                md5s.append(md5)
        return files, md5s


# -- helpers -----------------------------------------------------------------------------------
def _clean_board(value: str | None) -> str | None:
    if not value:
        return None
    board = value.strip().strip("/")
    return board if _BOARD.match(board) else None


def _board_from_path(path: Path) -> str | None:
    """``.../g/thread/123.json``, ``.../b/res/1.json``, ``.../g/catalog.json`` -> the board."""
    parts = path.resolve().parts
    stem = path.name.split(".")[0].lower()
    if len(parts) >= 3 and parts[-2] in ("thread", "res"):
        return _clean_board(parts[-3])
    if len(parts) >= 2 and stem in ("catalog", "threads", "archive"):
        return _clean_board(parts[-2])
    return None


def _plain(value: Any, field: str) -> str | None:
    """An HTML-escaped one-line field (``name``, ``sub``) as plain text."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise RecordError(f"{field} has type {type(value).__name__}, expected text")
    if _tag_count(value) > MAX_TAGS:
        raise RecordError(f"{field} has more than {MAX_TAGS:,} tags")
    return html_to_text(value.replace("\x00", "")).text or None


def _tag_count(html: str) -> int:
    """Opening tags in ``html``, counted without parsing it (a guard, not an extraction)."""
    return html.count("<") - html.count("</")


def _quote_targets(text: str, linked: list[str]) -> tuple[list[str], list[str], list[str]]:
    """Same-board quoted posts in reading order, cross-board references, and dead links.

    ``linked`` are the ids of quote links found by the HTML converter; ``text`` is the
    converted text, where every reference reads ``>>123`` (or ``>>>/g/123`` across boards).
    """
    same = list(dict.fromkeys(m.group(1) for m in _SAME_BOARD.finditer(text)))
    cross = [f"/{m.group(1)}/{m.group(2)}" for m in _CROSS_BOARD.finditer(text)]
    cross_ids = {c.rsplit("/", 1)[1] for c in cross}
    quoted = same + [i for i in linked if i not in same and i not in cross_ids]
    linked_set = set(linked)
    dead = [i for i in same if i not in linked_set]
    return quoted, cross, dead


_NOW_FORMATS = ("%m/%d/%y(%a)%H:%M:%S", "%m/%d/%y(%a)%H:%M")


def _parse_now(now: str) -> tuple[int, int | None]:
    for fmt in _NOW_FORMATS:
        try:
            return from_pattern(now, fmt, FOURCHAN_TZ)
        except RecordError:
            continue
    raise RecordError(f"time is missing and now {now[:40]!r} is not MM/DD/YY(Day)HH:MM:SS")


def _offset_from_now(now: Any, us: int) -> int | None:
    """The UTC offset 4chan displayed, from ``now`` (local) against ``time`` (UTC)."""
    if not isinstance(now, str) or len(now) > 40:
        return None
    for fmt in _NOW_FORMATS:
        try:
            local = datetime.strptime(now.strip(), fmt)
        except ValueError:
            continue
        utc = datetime.fromtimestamp(us / 1_000_000, UTC).replace(tzinfo=None)
        minutes = (local - utc).total_seconds() / 60
        offset = round(minutes / 15) * 15
        if abs(offset) <= 14 * 60 and abs(minutes - offset) < 2:
            return offset
        return None
    return None


def _deeper_than(obj: Any, limit: int) -> bool:
    """Whether a decoded JSON value nests deeper than ``limit`` (checked without recursion)."""
    stack = [(obj, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values() if isinstance(v, dict | list))
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value if isinstance(v, dict | list))
    return False
