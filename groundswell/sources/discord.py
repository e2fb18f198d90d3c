"""DiscordChatExporter JSON exports (Tyrrrz/DiscordChatExporter, ``--format Json``).

One file is one channel (or thread, or direct-message conversation)::

    {"guild": {"id", "name", "iconUrl"},
     "channel": {"id", "type", "categoryId", "category", "name", "topic"},
     "dateRange": {"after", "before"}, "exportedAt": "...",
     "messages": [{"id", "type", "timestamp", "timestampEdited", "callEndedTimestamp",
                   "isPinned", "content", "author": {...}, "attachments": [...],
                   "embeds": [...], "stickers": [...], "reactions": [...], "mentions": [...],
                   "reference": {...}, "interaction": {...}}, ...],
     "messageCount": N}

Exports reach gigabytes, so the file is streamed with ijson's event parser
(:func:`stream_json`): one message at a time, each bounded in depth and size.

Quirks handled:
- timestamps are local times with the exporter's UTC offset (``+01:00``) unless it ran with
  ``--utc``; the offset is kept in ``time_offset_min``; fractions of up to 7 digits;
- for threads, the channel's ``category`` is the *parent channel* (a DiscordChatExporter schema
  quirk): the section is the parent channel, the thread id and title are the thread's;
- direct messages have the guild ``Direct Messages`` (id 0) and a channel named after the
  recipients;
- ``reference.messageId`` is a reply target for replies, but the pinned message for
  ``ChannelPinnedMessage`` and the forwarded message for forwards (``reference.type``
  ``Forward``, whose text sits in ``forwardedMessage``);
- system messages (joins, pins, thread creation, calls...) are kept with kind ``service``;
- message types DiscordChatExporter has no name for are written as numbers ("20");
- attachments, stickers and embeds are metadata only: nothing is ever downloaded.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from groundswell.errors import HostileInputError, RecordError
from groundswell.sources.base import (
    Importer,
    ReadContext,
    Record,
    Reject,
    SourceInfo,
    id_text,
    int_or_none,
    parse_safely,
    text_or_none,
)
from groundswell.sources.jsonstream import (
    JSON_ERRORS,
    Oversized,
    dumps_extra,
    json_failure,
    mime_of,
    open_json,
    scalar,
    stream_json,
)
from groundswell.sources.timeparse import from_iso

# -- Discord -----------------------------------------------------------------------------------
SYSTEM_TYPES = frozenset(
    {
        "RecipientAdd",
        "RecipientRemove",
        "Call",
        "ChannelNameChange",
        "ChannelIconChange",
        "ChannelPinnedMessage",
        "GuildMemberJoin",
        "ThreadCreated",
        "1",
        "2",
        "3",
        "4",
        "5",
        "6",
        "7",
        "8",
        "9",
        "10",
        "11",
        "12",
        "14",
        "15",
        "16",
        "17",
        "18",
    }
)
THREAD_TYPES = frozenset(
    {"GuildNewsThread", "GuildPublicThread", "GuildPrivateThread", "10", "11", "12"}
)
DIRECT_TYPES = frozenset({"DirectTextChat", "DirectGroupTextChat", "1", "3"})
_URL = re.compile(r"https?://[^\s<>()\[\]\"']+")
_HEADER = ("guild", "channel", "dateRange", "exportedAt", "messageCount")


def _obj(value: Any, name: str) -> dict[str, Any]:
    """An optional nested object: absent/null is {}, any other non-object is a bad record."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise RecordError(f"{name} has type {type(value).__name__}, expected an object")
    return value


def _list(value: Any, name: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise RecordError(f"{name} has type {type(value).__name__}, expected a list")
    return value


class DiscordImporter(Importer):
    name = "discord"
    version = "1"
    description = "DiscordChatExporter JSON exports (guild channels, threads, direct messages)."

    def read(self, path: Path, ctx: ReadContext) -> Iterator[Record | Reject]:
        stream = open_json(path, ctx)
        targets = [(k,) for k in _HEADER] + [("messages", "*")]
        header: dict[str, Any] = {}
        count = 0
        seen_root = False
        try:
            for pos, index, value in stream_json(
                stream, targets, max_bytes=ctx.settings.max_record_bytes
            ):
                seen_root = True
                if pos[0] != "messages":
                    if isinstance(value, Oversized):
                        raise HostileInputError(
                            f"the export's {pos[0]!r} header: {value.reason}", path=str(path)
                        )
                    header[pos[0]] = value
                    continue
                if count == 0:
                    self._start(header, path)
                count += 1
                loc = f"message {index + 1}"
                if isinstance(value, Oversized):
                    yield Reject(loc, value.reason, value.excerpt)
                    continue
                yield from parse_safely(self.parse, value, loc)
        except JSON_ERRORS as e:
            raise json_failure(e, path, f"(after {count:,} whole messages)") from None
        if not seen_root or ("guild" not in header and count == 0):
            raise HostileInputError(
                "not a DiscordChatExporter JSON export: no guild, channel or messages at the top "
                "level (export with --format Json)",
                path=str(path),
            )

    # -- the header ------------------------------------------------------------------------
    def _start(self, header: dict[str, Any], path: Path) -> None:
        opts = self.options
        guild = header.get("guild")
        channel = header.get("channel")
        if not isinstance(guild, dict) or not isinstance(channel, dict):
            if not opts.source:
                raise HostileInputError(
                    "no guild and channel before the messages: not a DiscordChatExporter JSON "
                    "export, or one written out of order",
                    path=str(path),
                    hint="pass --source NAME to import it anyway",
                )
            guild = guild if isinstance(guild, dict) else {}
            channel = channel if isinstance(channel, dict) else {}
        try:
            guild_name = text_or_none(guild.get("name"))
            guild_id = text_or_none(guild.get("id"))
            ctype = text_or_none(channel.get("type")) or ""
            cname = text_or_none(channel.get("name"))
            cid = text_or_none(channel.get("id"))
            category = text_or_none(channel.get("category"))
            category_id = text_or_none(channel.get("categoryId"))
            topic = text_or_none(channel.get("topic"))
            exported = header.get("exportedAt")
            retrieved = from_iso(exported)[0] if exported else None
            if retrieved is None and opts.retrieved_at:
                retrieved = from_iso(opts.retrieved_at)[0]
        except RecordError as e:
            raise HostileInputError(
                f"unreadable export header: {e.reason}", path=str(path)
            ) from None
        direct = ctype in DIRECT_TYPES or guild_id == "0"
        name = opts.source or guild_name
        if not name:
            raise HostileInputError(
                "the export names no guild", path=str(path), hint="pass --source NAME"
            )
        url = opts.url
        if url is None and guild_id:
            url = (
                "https://discord.com/channels/@me"
                if direct
                else f"https://discord.com/channels/{guild_id}"
            )
        self.source = SourceInfo("discord", name, url, opts.network, opts.timezone)
        thread = ctype in THREAD_TYPES
        self.section = category if thread and category else cname
        self.thread_id = cid if thread else None
        self.thread_title = cname if thread else None
        self.retrieved_at = retrieved
        self.channel_extra = {
            "guild_id": guild_id,
            "channel_id": cid,
            "channel_type": ctype or None,
            # for threads DiscordChatExporter's "category" is the parent channel
            "category": None if thread else category,
            "category_id": None if thread else category_id,
            "parent_channel_id": category_id if thread else None,
            "direct": direct,
            "topic": topic[:500] if topic else None,
        }

    # -- one message -----------------------------------------------------------------------
    def parse(self, msg: Any, loc: str) -> Record:
        if not isinstance(msg, dict):
            raise RecordError(f"message has type {type(msg).__name__}, expected an object")
        native_id = id_text(msg.get("id"), "id")
        stamp = msg.get("timestamp")
        if stamp is None or stamp == "":
            raise RecordError("timestamp is missing")
        time, offset = from_iso(stamp)
        edited = msg.get("timestampEdited")
        edited_at = from_iso(edited)[0] if edited else None
        mtype = text_or_none(msg.get("type")) or "Default"
        author = _obj(msg.get("author"), "author")
        reference = _obj(msg.get("reference"), "reference")
        forwarded = _obj(msg.get("forwardedMessage"), "forwardedMessage")
        text = text_or_none(msg.get("content")) or ""

        ref_id = text_or_none(reference.get("messageId"))
        ref_type = text_or_none(reference.get("type"))
        parent_id = forwarded_from = None
        extra: dict[str, Any] = dict(self.channel_extra)
        if ref_type == "Forward" or forwarded:
            forwarded_from = text_or_none(reference.get("channelId"))
            extra["forwarded_message_id"] = ref_id
            if not text:
                text = text_or_none(forwarded.get("content")) or ""
        elif mtype in ("ChannelPinnedMessage", "6"):
            extra["pinned_message_id"] = ref_id
        elif mtype in ("ThreadCreated", "18"):
            extra["thread_channel_id"] = text_or_none(reference.get("channelId"))
        else:
            parent_id = ref_id
            ref_channel = text_or_none(reference.get("channelId"))
            if ref_channel and ref_channel != self.channel_extra["channel_id"]:
                extra["parent_channel_id_of_reply"] = ref_channel

        attachments = [self._attachment(a) for a in _list(msg.get("attachments"), "attachments")]
        attachments += [
            self._attachment(a)
            for a in _list(forwarded.get("attachments"), "forwardedMessage.attachments")
        ]
        reactions = []
        likes = 0
        for r in _list(msg.get("reactions"), "reactions"):
            r = _obj(r, "reaction")
            n = int_or_none(r.get("count"), "reaction count") or 0
            emoji = _obj(r.get("emoji"), "reaction emoji")
            likes += n
            reactions.append(
                {
                    "emoji": scalar(emoji.get("name")),
                    "id": scalar(emoji.get("id")) or None,
                    "count": n,
                }
            )
        links = [u.rstrip(".,;:!?*_~'`") for u in _URL.findall(text)] if "http" in text else []
        embeds = []
        for em in _list(msg.get("embeds"), "embeds"):
            em = _obj(em, "embed")
            eurl = text_or_none(em.get("url"))
            if eurl and eurl not in links:
                links.append(eurl)
            embeds.append({k: scalar(em.get(k)) for k in ("title", "url", "description")})
        mentions = [
            {"id": scalar(m.get("id")), "name": scalar(m.get("name"))}
            for m in (_obj(x, "mention") for x in _list(msg.get("mentions"), "mentions"))
        ]
        stickers = [
            scalar(_obj(s, "sticker").get("name")) for s in _list(msg.get("stickers"), "stickers")
        ]
        interaction = _obj(msg.get("interaction"), "interaction")
        iuser = _obj(interaction.get("user"), "interaction user")
        roles = [scalar(_obj(r, "role").get("name")) for r in _list(author.get("roles"), "roles")]
        name = text_or_none(author.get("name"))
        discriminator = text_or_none(author.get("discriminator"))
        extra.update(
            {
                "type": mtype,
                "pinned": msg.get("isPinned") is True,
                "call_ended_at": scalar(msg.get("callEndedTimestamp")),
                "author_username": name,
                "author_discriminator": discriminator
                if discriminator not in ("0000", "0")
                else None,
                "author_is_bot": author.get("isBot") is True,
                "author_roles": [r for r in roles if r],
                "author_color": scalar(author.get("color")),
                "reactions": reactions,
                "mentions": mentions,
                "embeds": embeds,
                "stickers": [s for s in stickers if s],
                "interaction": {
                    "name": scalar(interaction.get("name")),
                    "user_id": scalar(iuser.get("id")),
                }
                if interaction
                else None,
            }
        )
        author_id = author.get("id")
        return {
            "source": self.source,
            "native_id": native_id,
            "kind": "service" if mtype in SYSTEM_TYPES else "message",
            "section": self.section,
            "thread_id": self.thread_id,
            "thread_title": self.thread_title,
            "parent_id": parent_id,
            "author_id": None if author_id in (None, "") else id_text(author_id, "author id"),
            "author_name": text_or_none(author.get("nickname")) or name,
            "time": time,
            "time_offset_min": offset,
            "edited_at": edited_at,
            "text": text,
            "links": links or None,
            "attachments": attachments or None,
            "forwarded_from": forwarded_from,
            "likes": likes if isinstance(msg.get("reactions"), list) else None,
            "extra": dumps_extra(extra),
            "retrieved_at": self.retrieved_at,
        }

    @staticmethod
    def _attachment(value: Any) -> dict[str, Any]:
        a = _obj(value, "attachment")
        name = text_or_none(a.get("fileName"))
        return {
            "name": name,
            "url": text_or_none(a.get("url")),  # as written; never fetched
            "mime": mime_of(name),
            "size": int_or_none(a.get("fileSizeBytes"), "attachment fileSizeBytes"),
        }
