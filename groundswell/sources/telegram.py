"""Telegram Desktop JSON exports: one chat (``{"name", "type", "id", "messages"}``) or the
whole account (``result.json`` with ``chats.list`` and ``left_chats.list``).

The file is streamed with ijson's event parser (yajl, in C) and only one message at a time is
built in memory, so exports of several GB import in bounded memory. Everything outside the
``messages`` arrays (personal information, contacts, sessions, ``other_data``) is skipped
without being built.

Quirks handled (checked against Telegram Desktop's ``export_output_json.cpp``):

- ``text`` is a string, or a list of strings and entity objects (``{"type": "link" |
  "text_link" (with ``href``) | "mention" | "mention_name" | "hashtag" | "bold" | ...,
  "text"}``); the text is the concatenation of the pieces. ``text_entities`` (every piece as an
  object) is used when ``text`` is absent. Links come from ``link`` and ``text_link`` pieces,
  tags from ``hashtag`` pieces (without the ``#``).
- ``date`` is the naive local time of the exporting machine; ``date_unixtime`` (a string of
  epoch seconds, in exports since 2021) is preferred; ``date`` is read in ``--timezone`` only
  when it is missing. ``edited`` / ``edited_unixtime`` likewise.
- ``type`` is ``message`` or ``service`` (``action``: ``pin_message``, ``invite_members``,
  ``join_group_by_link``, ``topic_created`` ...; the author is ``actor``/``actor_id``); service
  messages are kept with kind ``service``. ``unsupported`` messages carry nothing but an id
  and are quarantined with that reason.
- ``from``/``from_id`` (``user123``, ``channel456``; ``from`` is null for deleted accounts),
  ``reply_to_message_id`` (-> ``parent_id``; a reply into another chat, marked by
  ``reply_to_peer_id``, stays in ``extra``), ``forwarded_from``, ``via_bot``, ``author`` (a
  channel post's signature).
- Media: ``photo`` and ``file`` become attachment metadata (``file_name``, ``mime_type``,
  ``file_size``); paths such as ``(File not included. Change data exporting settings to
  download.)`` are not paths, so the attachment has no url and the note goes to ``extra``.
- ``reactions`` (``[{"type": "emoji", "count": N, "emoji": "👍"}]``, exports since 2023) are
  summed into ``likes`` and listed in ``extra``. Telegram Desktop does not export view counts;
  a ``views`` (or ``forwards``) number written by another tool in the same layout is read.
- Forum topics: the export has no topic field, but a topic's messages reply to its
  ``topic_created`` service message (or to a message in the topic); ``thread_id`` is that
  service message's id, followed through reply chains (up to a million messages per chat).

One source per chat, named after the chat (a nameless chat, such as Saved Messages, is named by
its type and id; a second chat of the same name in one file gets its id appended). The native
id is the message id, unique within a chat.

A file that is not JSON, is truncated, or holds invalid UTF-8 stops with
:class:`HostileInputError` at the point it breaks: the messages read before it are kept by the
pipeline (the import is marked failed). A message nested deeper than 64 levels or larger than
the record size limit is quarantined without being built.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path, PurePosixPath
from typing import Any

import ijson
import orjson

from groundswell.errors import HostileInputError, RecordError, fresh
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
from groundswell.sources.timeparse import from_epoch, from_iso

MAX_DEPTH = 64  # levels inside one message (real exports use at most 5)
TOPIC_MEMORY = 1_000_000  # message -> topic entries remembered per forum chat
BOM = b"\xef\xbb\xbf"
STARTS = ("start_map", "start_array")
ENDS = ("end_map", "end_array")
CHANNEL_TYPES = ("public_channel", "private_channel", "public_supergroup", "private_supergroup")

# Message fields mapped to columns (or rebuilt into ``extra``); every other field is kept in
# ``extra`` as it is, except bulky or derived ones.
CONSUMED = frozenset(
    {
        "id",
        "type",
        "date",
        "date_unixtime",
        "edited",
        "edited_unixtime",
        "from",
        "from_id",
        "actor",
        "actor_id",
        "text",
        "text_entities",
        "reply_to_message_id",
        "forwarded_from",
        "photo",
        "photo_file_size",
        "file",
        "file_name",
        "file_size",
        "mime_type",
        "thumbnail",
        "thumbnail_file_size",
        "reactions",
        "views",
        "forwards",
        "title",
        "inline_bot_buttons",
    }
)


class _Chat:
    """What is known of the chat whose messages are being read."""

    def __init__(self, index: int, section: str | None) -> None:
        self.index = index
        self.section = section  # "chats", "left_chats" or None for a single-chat export
        self.name: str | None = None
        self.type: str | None = None
        self.id: Any = None
        self.source: SourceInfo | None = None
        self.label = "" if section is None else f"chat {index} "
        self.topics: dict[str, str] = {}  # message id -> forum topic (its root message id)
        self.topic_titles: dict[str, str] = {}


class TelegramImporter(Importer):
    name = "telegram"
    version = "1"
    description = (
        "Telegram Desktop JSON exports: a single chat or the whole account (result.json); "
        "messages and service messages, one source per chat."
    )

    def read(self, path: Path, ctx: ReadContext) -> Iterator[Record | Reject]:
        handle = ctx.open(path)
        stream = handle.stream
        peek = getattr(stream, "peek", None)
        if peek is not None and peek(3)[:3] == BOM:
            stream.read(3)
        guarded = _TokenGuard(stream, ctx.settings.max_record_bytes, path)
        reader = _ExportReader(self, path, ctx, ijson.basic_parse(guarded, buf_size=1 << 18))
        try:
            yield from reader.run()
        except ijson.JSONError as e:
            raise HostileInputError(reader.failure(e), path=str(path)) from None
        except RecursionError:  # not expected (nothing here recurses), but never a traceback
            raise HostileInputError("JSON nested too deeply", path=str(path)) from None


class _TokenGuard:
    """Refuses a run of more bytes than the record limit without a double quote.

    yajl holds a token (a string, a number) whole while it parses it, and re-scans it for every
    buffer that extends it, so one huge string (a decompression bomb of ``"aaaa...``) costs
    memory and quadratic time before any limit of ours sees it. A Telegram export never has a
    run of even a kilobyte without a ``"`` (messages are at most 4,096 characters), so such a
    run means the file is not one. Checked with two C searches per read.
    """

    def __init__(self, stream: Any, limit: int, path: Path) -> None:
        self.stream = stream
        self.limit = limit
        self.path = path
        self.run = 0  # bytes since the last double quote
        self.error: HostileInputError | None = None

    def read(self, n: int = -1) -> bytes:
        if self.error is not None:
            raise fresh(self.error)
        data: bytes = self.stream.read(n)
        if not data:
            return data
        start = 0  # where the current run began in ``data`` (0: in an earlier read)
        if len(data) <= self.limit:  # a run inside this read is shorter than the limit
            first = data.find(b'"')
            if first < 0:
                self.run += len(data)
            else:
                self.run += first
                if self.run <= self.limit:
                    self.run = len(data) - data.rfind(b'"') - 1
        else:  # a record limit smaller than one read: look at every run
            pos = 0
            while True:
                q = data.find(b'"', pos)
                self.run += (len(data) if q < 0 else q) - pos
                if q < 0 or self.run > self.limit:
                    break
                self.run, pos = 0, q + 1
                start = pos
        if self.run > self.limit:
            self.error = HostileInputError(
                f"a single JSON value runs past {self.limit:,} bytes (the record size limit): "
                "not a Telegram Desktop export, or a hostile one",
                path=str(self.path),
            )
            if not start:
                raise fresh(self.error)
            return data[:start]  # let the parser finish the messages before the run first
        return data


class _ExportReader:
    """Walks the parse events of one export file, yielding records and rejects."""

    def __init__(
        self,
        importer: TelegramImporter,
        path: Path,
        ctx: ReadContext,
        events: Iterator[tuple[str, Any]],
    ) -> None:
        self.importer = importer
        self.options = importer.options
        self.path = path
        self.events = events
        self.max_bytes = ctx.settings.max_record_bytes
        self.max_mb = ctx.settings.max_record_mb
        self.tz = self.options.timezone or "UTC"
        self.retrieved = (
            from_iso(self.options.retrieved_at, self.tz)[0] if self.options.retrieved_at else None
        )
        self.found = False  # a messages array or a chats list was seen
        self.chats = 0
        self.messages = 0
        self.chat: _Chat | None = None
        self.names: dict[str, Any] = {}  # source name -> chat id, to tell same-named chats apart

    # -- structure -------------------------------------------------------------------------
    def run(self) -> Iterator[Record | Reject]:
        first = next(self.events, None)
        if first is None:
            raise HostileInputError("the file is empty", path=str(self.path))
        if first[0] != "start_map":
            what = {"start_array": "an array"}.get(first[0], f"a {first[0]}")
            raise HostileInputError(
                f"not a Telegram Desktop export: the JSON document is {what}, not an object",
                path=str(self.path),
            )
        yield from self._chat_body(_Chat(1, None), top=True)
        for _ in self.events:  # yajl itself rejects trailing garbage
            pass
        if not self.found:
            raise HostileInputError(
                "not a Telegram Desktop export: no 'messages' array and no 'chats' list",
                path=str(self.path),
            )

    def _chat_body(self, chat: _Chat, *, top: bool) -> Iterator[Record | Reject]:
        """The members of a chat object (or of the root object of a whole-account export)."""
        events = self.events
        for ev, key in events:
            if ev == "end_map":
                return
            ev, val = next(events)
            if key == "name" and ev in ("string", "null"):
                chat.name = val
            elif key == "type" and ev == "string":
                chat.type = val
            elif key == "id" and ev in ("number", "string"):
                chat.id = int(val) if isinstance(val, Decimal) else val
            elif key == "messages" and ev == "start_array":
                self.found = True
                yield from self._messages(chat)
            elif top and key in ("chats", "left_chats") and ev == "start_map":
                self.found = True
                yield from self._section(key)
            else:
                self._skip(ev)

    def _section(self, section: str) -> Iterator[Record | Reject]:
        """``chats`` / ``left_chats``: ``{"about": ..., "list": [chat, ...]}``."""
        if self.options.source:
            raise HostileInputError(
                "--source names one chat, but this is a whole-account export with many chats; "
                "import it without --source (each chat becomes its own source)",
                path=str(self.path),
            )
        events = self.events
        for ev, key in events:
            if ev == "end_map":
                return
            ev, _ = next(events)
            if key != "list" or ev != "start_array":
                self._skip(ev)
                continue
            for ev, val in events:
                if ev == "end_array":
                    break
                self.chats += 1
                if ev == "start_map":
                    yield from self._chat_body(_Chat(self.chats, section), top=False)
                else:
                    self._skip(ev)
                    yield Reject(
                        f"{section} item {self.chats}",
                        "chat is not a JSON object",
                        excerpt(val) if val is not None else ev,
                    )

    def _messages(self, chat: _Chat) -> Iterator[Record | Reject]:
        events = self.events
        self.chat = chat
        n = 0
        for ev, val in events:
            if ev == "end_array":
                return
            n += 1
            loc = f"{chat.label}message {n}"
            if ev != "start_map":
                self._skip(ev)
                self.messages += 1
                kind = "an array" if ev == "start_array" else f"a {ev}"
                yield Reject(
                    loc,
                    f"message is {kind}, not a JSON object",
                    excerpt(val) if val is not None else "",
                )
                continue
            obj, reason = self._build()
            self.messages += 1
            if reason is not None:
                yield Reject(loc, reason, excerpt(obj))
                continue
            yield from parse_safely(self._message, obj, loc)

    def _skip(self, ev: str) -> None:
        """Skip the value that ``ev`` starts (nothing to do for a scalar)."""
        if ev in STARTS:
            self._skip_open(1)

    def _skip_open(self, depth: int) -> None:
        for ev, _ in self.events:
            if ev in STARTS:
                depth += 1
            elif ev in ENDS:
                depth -= 1
                if not depth:
                    return

    def _build(self) -> tuple[dict[str, Any], str | None]:
        """Build the message object whose ``start_map`` was just read, within the limits.

        The hot loop of the importer: one iteration per parse event, so it keeps the current
        container, key and kind in locals instead of looking them up on the stack.
        """
        root: dict[str, Any] = {}
        top: Any = root
        key: Any = None
        is_map = True
        stack: list[tuple[Any, Any, bool]] = []
        size = 0
        limit = self.max_bytes
        for ev, val in self.events:
            if ev == "map_key":
                key = val
                size += len(val) + 8
            elif ev == "start_map" or ev == "start_array":
                new: Any = {} if ev == "start_map" else []
                if is_map:
                    top[key] = new
                else:
                    top.append(new)
                stack.append((top, key, is_map))
                if len(stack) >= MAX_DEPTH:
                    self._skip_open(len(stack) + 1)
                    return root, f"message nested deeper than {MAX_DEPTH} levels"
                top, key, is_map = new, None, ev == "start_map"
                size += 8
            elif ev == "end_map" or ev == "end_array":
                if not stack:
                    return root, None
                top, key, is_map = stack.pop()
                continue
            else:
                size += 8
                if ev == "string":
                    size += len(val)
                elif type(val) is Decimal:
                    val = float(val)
                if is_map:
                    top[key] = val
                else:
                    top.append(val)
            if size > limit:
                self._skip_open(len(stack) + 1)
                return root, f"message larger than the {self.max_mb:g} MB record limit"
        return root, "message cut off by the end of the file"  # yajl raises before this

    def failure(self, e: Exception) -> str:
        """A one-line description of a parse error, with where it happened."""
        msg = e.args[0] if e.args else str(e)
        if isinstance(msg, bytes):
            msg = msg.decode("utf-8", "backslashreplace")
        first = str(msg).strip().splitlines()[0] if str(msg).strip() else type(e).__name__
        if "premature EOF" in first:
            what = "the JSON is truncated (the file ends before the export does)"
        elif "UTF8" in first or "UTF-8" in first:
            what = "invalid UTF-8 in the JSON"
        else:
            what = f"invalid JSON ({first[:200]})"
        where = f"after {self.messages:,} complete messages"
        if self.chat is not None and self.chat.section is not None:
            where += f", in chat {self.chat.index}"
        return f"{what} {where}; the messages read before it were kept"

    # -- mapping ---------------------------------------------------------------------------
    def _source(self, chat: _Chat) -> SourceInfo:
        if chat.source is not None:
            return chat.source
        opts = self.options
        if opts.source:
            name = opts.source
        else:
            name = (chat.name or "").strip()
            if not name:
                name = f"{chat.type or 'chat'} {chat.id}" if chat.id is not None else "chat"
            known = self.names.get(name, chat.id)
            if known != chat.id:
                name = f"{name} ({chat.id})"
            self.names.setdefault(name, chat.id)
        url = opts.url
        if url is None and chat.type in CHANNEL_TYPES and isinstance(chat.id, int):
            url = f"https://t.me/c/{chat.id}"
        chat.source = SourceInfo(
            "telegram", name, url=url, network=opts.network, timezone=opts.timezone
        )
        return chat.source

    def _message(self, obj: dict[str, Any], loc: str) -> Record:
        chat = self.chat
        assert chat is not None
        kind = obj.get("type")
        if kind == "unsupported":
            raise RecordError("unsupported message: Telegram Desktop exported only its id")
        if not isinstance(kind, str) or not kind:
            raise RecordError(
                "missing message type"
                if kind is None
                else f"message type is {_json_type(kind)}, expected text"
            )
        native = id_text(obj.get("id"), "id")
        when = self._time(obj, "date", "date_unixtime")
        assert when is not None
        time, offset = when
        edited = self._time(obj, "edited", "edited_unixtime", required=False)
        text, links, tags, mentions = _text(obj)
        service = kind == "service"
        if service:
            author_name = _first_text(obj, "actor", "from")
            author_id = _first_text(obj, "actor_id", "from_id")
        else:
            author_name = _first_text(obj, "from", "actor")
            author_id = _first_text(obj, "from_id", "actor_id")
        extra: dict[str, Any] = {k: v for k, v in obj.items() if k not in CONSUMED}
        extra["chat_id"] = chat.id
        if chat.type:
            extra["chat_type"] = chat.type
        if chat.section == "left_chats":
            extra["left_chat"] = True
        if mentions:
            extra["mentions"] = mentions
        rec: Record = {
            "source": self._source(chat),
            "native_id": native,
            "kind": kind,
            "time": time,
            "time_offset_min": offset,
            "edited_at": edited[0] if edited else None,
            "author_name": author_name,
            "author_id": author_id,
            "section": chat.name or None,
            "text": text or None,
            "links": links or None,
            "tags": tags or None,
            "retrieved_at": self.retrieved,
        }
        # replies, and forum topics followed through them
        reply = obj.get("reply_to_message_id")
        parent = None
        if reply is not None:
            if "reply_to_peer_id" in obj:
                extra["reply_to_message_id"] = reply
            else:
                parent = id_text(reply, "reply_to_message_id")
        rec["parent_id"] = parent
        thread = None
        title = text_or_none(obj.get("title")) if "title" in obj else None
        if service and obj.get("action") == "topic_created":
            thread = native
            chat.topics[native] = native
            if title:
                chat.topic_titles[native] = title
        elif parent is not None:
            thread = chat.topics.get(parent)
            if thread is not None and len(chat.topics) < TOPIC_MEMORY:
                chat.topics[native] = thread
        rec["thread_id"] = thread
        rec["thread_title"] = chat.topic_titles.get(thread) if thread else None
        if service:
            rec["title"] = title
        elif title:
            extra["song_title"] = title  # the title of an audio file
        if "forwarded_from" in obj:
            rec["forwarded_from"] = text_or_none(obj["forwarded_from"])
            if rec["forwarded_from"] is None:
                extra["forwarded"] = True
        rec["attachments"] = _attachments(obj, extra) or None
        likes, reactions = _reactions(obj.get("reactions"))
        if reactions:
            rec["likes"] = likes
            extra["reactions"] = reactions
        rec["views"] = int_or_none(obj.get("views"), "views")
        rec["shares"] = int_or_none(obj.get("forwards"), "forwards")
        rec["extra"] = orjson.dumps(extra, default=str).decode()
        return rec

    def _time(
        self, obj: dict[str, Any], key: str, unix_key: str, *, required: bool = True
    ) -> tuple[int, int | None] | None:
        """``unix_key`` (epoch seconds as text) if present, else ``key`` (naive local time of
        the exporting machine) read in ``--timezone``."""
        unix = obj.get(unix_key)
        if unix is not None and unix != "":
            try:
                return from_epoch(unix, "s")[0], None
            except RecordError as e:
                raise RecordError(f"bad {unix_key}: {e.reason}") from None
        local = obj.get(key)
        if local is None or local == "":
            if required:
                raise RecordError(f"missing {key} and {unix_key}")
            return None
        try:
            return from_iso(local, self.tz)
        except RecordError as e:
            raise RecordError(f"bad {key}: {e.reason}") from None


# -- field helpers -----------------------------------------------------------------------------
def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return "a string"


def _first_text(obj: dict[str, Any], *keys: str) -> str | None:
    for k in keys:
        v = obj.get(k)
        if v is not None and v != "":
            return text_or_none(v)
    return None


def _text(obj: dict[str, Any]) -> tuple[str, list[str], list[str], list[str]]:
    """The message text as the concatenation of its pieces, and the links, hashtags and
    mentions its entities mark."""
    value = obj.get("text")
    if value is None:
        value = obj.get("text_entities")
    if value is None:
        return "", [], [], []
    if isinstance(value, str):
        return value.replace("\x00", ""), [], [], []
    if not isinstance(value, list):
        raise RecordError(f"text is {_json_type(value)}, expected a string or a list")
    out: list[str] = []
    links: list[str] = []
    tags: list[str] = []
    mentions: list[str] = []
    for part in value:
        if isinstance(part, str):
            out.append(part)
            continue
        if not isinstance(part, dict):
            raise RecordError(f"a text piece is {_json_type(part)}, expected a string or object")
        piece = part.get("text", "")
        if not isinstance(piece, str):
            raise RecordError(f"a text piece's text is {_json_type(piece)}, expected a string")
        out.append(piece)
        kind = part.get("type")
        if kind == "link":
            links.append(piece)
        elif kind == "text_link":
            href = part.get("href")
            if isinstance(href, str) and href:
                links.append(href)
        elif kind == "hashtag":
            tags.append(piece.lstrip("#"))
        elif kind in ("mention", "mention_name"):
            mentions.append(piece)
    return "".join(out).replace("\x00", ""), list(dict.fromkeys(links)), tags, mentions


def _attachments(obj: dict[str, Any], extra: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for key, name_key, size_key in (
        ("photo", None, "photo_file_size"),
        ("file", "file_name", "file_size"),
    ):
        path = obj.get(key)
        if not isinstance(path, str) or not path:
            continue
        included = not (path.startswith("(") and path.endswith(")"))
        name = obj.get(name_key) if name_key else None
        if not isinstance(name, str) or not name:
            name = PurePosixPath(path).name if included else None
        mime = obj.get("mime_type") if key == "file" else None
        if not isinstance(mime, str) or not mime:
            mime = mimetypes.guess_type(name)[0] if name else None
        if not included:
            extra.setdefault("media_note", path)
        size = obj.get(size_key)
        out.append(
            {
                "name": name,
                "url": path if included else None,
                "mime": mime,
                "size": size if isinstance(size, int) and not isinstance(size, bool) else None,
            }
        )
    return out


def _reactions(value: Any) -> tuple[int, list[dict[str, Any]]]:
    """Total count and a compact list (type, emoji or custom emoji id, count) of reactions."""
    if not isinstance(value, list):
        return 0, []
    total = 0
    out: list[dict[str, Any]] = []
    for r in value:
        if not isinstance(r, dict):
            continue
        count = r.get("count")
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            continue
        total += count
        item: dict[str, Any] = {"type": r.get("type"), "count": count}
        for k in ("emoji", "document_id"):
            if r.get(k) is not None:
                item[k] = r[k]
        out.append(item)
    return total, out
