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

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from groundswell.errors import HostileInputError, RecordError
from groundswell.sources.base import (
    JsonLinesImporter,
    ReadContext,
    Record,
    Reject,
    SourceInfo,
    excerpt,
    int_or_none,
    json_reason,
    parse_safely,
    text_or_none,
)
from groundswell.sources.readers import CountingReader, Line
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

    def lines(self, path: Path, ctx: ReadContext) -> Iterator[Line]:
        """The non-blank lines of the (decompressed) file; see :func:`iter_dump_lines`."""
        handle = ctx.open(path)
        check = None
        if handle.compression == "zstd":
            check = ZstdFrameCheck.install(handle.counter, path)
        limit = ctx.settings.max_record_bytes
        for number, data, length in iter_dump_lines(handle.stream, limit):
            yield Line(number, 0, data, length > limit, length)
        if check is not None:
            check.verify()

    def read(self, path: Path, ctx: ReadContext) -> Iterator[Record | Reject]:
        self.prepare(path)
        limit_mb = ctx.settings.max_record_mb
        loads = orjson.loads
        good = bad = 0
        for line in self.lines(path, ctx):
            loc = f"line {line.number}"
            data = line.data
            if line.too_long:
                bad += 1
                yield Reject(
                    loc,
                    f"record of {line.length:,} bytes exceeds the {limit_mb:g} MB limit",
                    excerpt(data),
                )
            else:
                try:
                    obj = loads(data)
                except orjson.JSONDecodeError as e:
                    bad += 1
                    yield Reject(loc, json_reason(e, data), excerpt(data))
                else:
                    for item in parse_safely(self.parse, obj, loc, data):
                        if isinstance(item, Reject):
                            bad += 1
                        else:
                            good += 1
                        yield item
            if bad >= REJECT_LIMIT and bad > 10 * good:
                raise HostileInputError(
                    f"{bad:,} of the first {good + bad:,} records were rejected: this does not "
                    "look like a Reddit dump (see the quarantine for the reasons)",
                    path=str(path),
                )

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
        extra: dict[str, Any] = {k: obj[k] for k in EXTRA_FIELDS if obj.get(k) is not None}
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


# -- reading helpers ---------------------------------------------------------------------------
def iter_dump_lines(stream: Any, max_bytes: int) -> Iterator[tuple[int, bytes, int]]:
    """Yield ``(line_number, data, length)`` for each non-blank line of ``stream``.

    Blank lines are skipped in C (a regex search), not one Python iteration each, so a stream of
    nothing but newlines costs no more than a memchr. A line longer than ``max_bytes`` is never
    held whole: its ``data`` is its first 1,000 bytes and ``length`` its true length, so the
    caller can quarantine it.
    """
    buf = b""
    newlines = 0  # newlines before buf[0]
    # read1: one read of the layer below per call, so what was decoded before a failure (a
    # truncated or corrupt stream) reaches the caller before the error does
    read = getattr(stream, "read1", None) or stream.read
    eof = False
    while True:
        pos = 0
        while True:
            m = _NON_BLANK.search(buf, pos)
            if m is None:
                newlines += buf.count(b"\n", pos)
                pos = len(buf)
                break
            start = m.start()
            newlines += buf.count(b"\n", pos, start)
            end = buf.find(b"\n", start)
            if end < 0:
                pos = start
                break
            yield newlines + 1, buf[start:end].rstrip(), end - start
            newlines += 1
            pos = end + 1
        buf = buf[pos:]  # empty, or the start of an unfinished line
        if eof:
            if buf:
                yield newlines + 1, buf.rstrip(), len(buf)
            return
        if len(buf) > max_bytes:  # an over-long line: skip to its end, keeping a head excerpt
            head, length = buf[:1000], len(buf)
            buf = b""
            while True:
                chunk = read(CHUNK)
                if not chunk:
                    eof = True
                    break
                i = chunk.find(b"\n")
                if i < 0:
                    length += len(chunk)
                    continue
                length += i
                buf = chunk[i + 1 :]
                break
            yield newlines + 1, head, length
            newlines += 1
            continue
        chunk = read(CHUNK)
        if not chunk:
            eof = True
        else:
            buf = buf + chunk if buf else chunk


ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


class ZstdFrameCheck(io.RawIOBase):
    """Follows the zstd frame structure of the compressed bytes as they are read.

    python-zstandard's stream reader treats end of input inside a frame as a clean end of file,
    so a truncated dump would import silently short. This wrapper sits under the byte counter of
    an opened input and parses frame and block headers as the bytes pass (never decompressing
    anything; one header per block of at most 128 KiB); :meth:`verify`, called at the end of the
    stream, raises :class:`HostileInputError` if the file ended inside a frame. Bytes it cannot
    follow (not zstd, a reserved block type) stop the tracking: the decompressor reports those.
    """

    def __init__(self, raw: Any, path: Path) -> None:
        self.raw = raw
        self.path = path
        self.offset = 0  # bytes seen
        self.frame_start = 0
        self.frames = 0
        self.state = "magic"
        self.need = 4
        self.hdr = bytearray()
        self.skip = 0
        self.after_skip = "magic"
        self.checksum = False
        self.active = True
        self.problem: str | None = None

    @classmethod
    def install(cls, counter: CountingReader, path: Path) -> ZstdFrameCheck | None:
        """Put a check under ``counter`` (before anything was read); call :meth:`verify` at the
        end of the stream."""
        if not isinstance(counter, CountingReader) or counter.count:
            return None
        check = cls(counter.raw, path)
        counter.raw = check  # type: ignore[assignment]
        return check

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        n: int = self.raw.readinto(b) or 0
        if n and self.active:
            self._feed(memoryview(b)[:n])
        elif not n and self.active and (self.state != "magic" or self.hdr or self.skip):
            # Report at the end rather than here: the decoder still holds output of the data
            # before the break, and the records in it are good.
            self.active = False
            self.problem = (
                f"the zstd stream is truncated: the file ends inside frame {self.frames + 1} "
                f"(which starts at byte {self.frame_start:,}); the download or copy is incomplete"
            )
        return n

    def verify(self) -> None:
        """Raise :class:`HostileInputError` if the file ended inside a frame."""
        if self.problem:
            raise HostileInputError(self.problem, path=str(self.path))

    def close(self) -> None:
        self.raw.close()
        super().close()

    def _feed(self, mv: memoryview) -> None:
        pos, size = 0, len(mv)
        while pos < size and self.active:
            if self.skip:
                take = min(self.skip, size - pos)
                self.skip -= take
                pos += take
                if not self.skip:
                    self._goto(self.after_skip)
                continue
            take = min(self.need - len(self.hdr), size - pos)
            self.hdr += mv[pos : pos + take]
            pos += take
            if len(self.hdr) == self.need:
                field = bytes(self.hdr)
                self.hdr.clear()
                self._field(field, self.offset + pos)
        self.offset += size

    def _goto(self, state: str) -> None:
        if state == "end":  # a frame was read to its end
            self.frames += 1
            state = "magic"
        self.state = state
        self.need = _NEED[state]

    def _field(self, field: bytes, at: int) -> None:
        state = self.state
        if state == "magic":
            self.frame_start = at - 4
            if field == ZSTD_MAGIC:
                self._goto("fhd")
            elif field[1:] == b"\x2a\x4d\x18" and 0x50 <= field[0] <= 0x5F:
                self._goto("skipsize")  # a skippable frame
            else:
                self.active = False
        elif state == "fhd":
            fhd = field[0]
            single = (fhd >> 5) & 1
            self.checksum = bool((fhd >> 2) & 1)
            window = 0 if single else 1
            dict_id = (0, 1, 2, 4)[fhd & 3]
            content_size = (single, 2, 4, 8)[(fhd >> 6) & 3]
            rest = window + dict_id + content_size
            if rest:
                self.state, self.need = "fhrest", rest
            else:
                self._goto("block")
        elif state == "fhrest":
            self._goto("block")
        elif state == "block":
            h = int.from_bytes(field, "little")
            last, btype, bsize = h & 1, (h >> 1) & 3, h >> 3
            if btype == 3:
                self.active = False  # reserved: corrupt, the decompressor will say so
                return
            after = ("checksum" if self.checksum else "end") if last else "block"
            self.skip = 1 if btype == 1 else bsize  # an RLE block holds one byte
            if self.skip:
                self.after_skip = after
            else:
                self._goto(after)
        elif state == "checksum":
            self._goto("end")
        elif state == "skipsize":
            self.skip = int.from_bytes(field, "little")
            self.after_skip = "magic"
            if not self.skip:
                self._goto("magic")


_NEED = {"magic": 4, "fhd": 1, "block": 3, "checksum": 4, "skipsize": 4}
