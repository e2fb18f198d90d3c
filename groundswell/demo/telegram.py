"""Telegram Desktop exports (importer ``telegram``): one ``result.json`` per chat.

The single-chat layout ``{"name", "type", "id", "messages": [...]}``, written as Telegram
Desktop writes it (one-space indent, UTF-8, not ASCII-escaped). Messages carry ``id``,
``type`` (``message`` or ``service``), ``date`` (naive local time of the exporting computer,
here Europe/Amsterdam) and ``date_unixtime`` (a string), ``from``/``from_id`` (``user123`` or
``channel123``), ``text`` (a plain string, or a list mixing strings and entity objects when the
message has links, hashtags or formatting) with ``text_entities``, and where they apply
``reply_to_message_id``, ``forwarded_from``, ``photo``/``width``/``height``, ``edited``/
``edited_unixtime`` and ``reactions``. Service messages (joins, pins) have ``actor``,
``actor_id`` and ``action``.

Two chats: a public weather channel (posts by the channel itself) and a public supergroup where
members talk, and where part of the NOVA campaign lands, each new campaign account joining by
link minutes before it posts.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import timedelta
from typing import Any

from groundswell.demo import scenario as sc
from groundswell.demo import text as tx
from groundswell.demo.authors import Member, Members
from groundswell.demo.campaign import NovaAccount, plan_nova
from groundswell.demo.common import (
    DATES,
    END,
    EXPORTED,
    ISO_DAY,
    MONTH,
    START,
    Build,
    Clock,
    daily_count,
    di,
    times_on_day,
)
from groundswell.demo.scenario import nova_text

TZ = "Europe/Amsterdam"
_TOKEN = re.compile(r"(https?://\S+|#\w+)")
REACTIONS = ["👍", "❤", "🔥", "😂", "🌧", "☀", "👏"]


def entities(
    text: str, text_link: tuple[str, str] | None = None
) -> tuple[str | list[Any], list[dict[str, str]]]:
    """Telegram's two views of a message: ``text`` and ``text_entities``."""
    parts: list[dict[str, str]] = []
    for i, piece in enumerate(_TOKEN.split(text)):
        if not piece:
            continue
        if i % 2 == 0:
            parts.append({"type": "plain", "text": piece})
        elif piece.startswith("#"):
            parts.append({"type": "hashtag", "text": piece})
        else:
            parts.append({"type": "link", "text": piece})
    if text_link is not None:
        label, href = text_link
        parts += [
            {"type": "plain", "text": " More "},
            {"type": "text_link", "text": label, "href": href},
        ]
    if all(p["type"] == "plain" for p in parts):
        return "".join(p["text"] for p in parts), parts
    return [p["text"] if p["type"] == "plain" else p for p in parts], parts


class Chat:
    def __init__(self, b: Build, key: str, name: str, kind: str, chat_id: int) -> None:
        self.b, self.key, self.name, self.kind, self.chat_id = b, key, name, kind, chat_id
        self.rng = b.rng(f"telegram:{key}")
        self.clock = Clock(TZ)
        self.messages: list[dict[str, Any]] = []
        self.wave_month: Counter[str] = Counter()
        self.wave_day: Counter[str] = Counter()

    def head(self, ts: int) -> dict[str, Any]:
        d, h, m, s, _ = self.clock.parts(ts)
        return {
            "id": len(self.messages) + 1,
            "type": "message",
            "date": f"{d.isoformat()}T{h:02d}:{m:02d}:{s:02d}",
            "date_unixtime": str(ts),
        }

    def photo(self, msg: dict[str, Any], ts: int) -> None:
        d, h, m, s, _ = self.clock.parts(ts)
        msg["photo"] = (
            f"photos/photo_{msg['id']}@{d.day:02d}-{d.month:02d}-{d.year}_"
            f"{h:02d}-{m:02d}-{s:02d}.jpg"
        )
        msg["width"], msg["height"] = self.rng.choice([(1280, 960), (960, 1280), (1280, 720)])

    def finish(
        self, msg: dict[str, Any], text: str, ts: int, text_link: tuple[str, str] | None = None
    ) -> None:
        rng = self.rng
        if rng.random() < 0.04:
            e = ts + rng.randrange(60, 3 * 3600)
            d, h, m, s, _ = self.clock.parts(e)
            msg["edited"] = f"{d.isoformat()}T{h:02d}:{m:02d}:{s:02d}"
            msg["edited_unixtime"] = str(e)
        msg["text"], msg["text_entities"] = entities(text, text_link)
        if rng.random() < 0.15:
            picks = rng.sample(REACTIONS, rng.randint(1, 3))
            msg["reactions"] = [
                {"type": "emoji", "count": rng.randint(1, 25), "emoji": e} for e in picks
            ]
        self.messages.append(msg)

    def wave(self, ts: int, lang: str, text: str) -> str:
        day = di(ts)
        if sc.wave_hit(self.rng, ts, DATES[day]):
            self.wave_month[MONTH[day]] += 1
            self.wave_day[ISO_DAY[day]] += 1
            return text + tx.joiner(lang) + tx.wave_sentence(self.rng, lang)
        return text

    def write(self) -> None:
        path = self.b.out / "telegram" / self.key / "result.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        doc = {"name": self.name, "type": self.kind, "id": self.chat_id, "messages": self.messages}
        path.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        self.b.add(
            path,
            "telegram",
            len(self.messages),
            {"timezone": TZ, "retrieved_at": EXPORTED.strftime("%Y-%m-%dT%H:%M:%SZ")},
        )
        self.b.say(f"telegram {self.name}: {len(self.messages):,} messages")

    def truth(self, file_key: str) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.kind,
            "file": f"telegram/{file_key}/result.json",
            "records": len(self.messages),
            "wave_month": dict(sorted(self.wave_month.items())),
            "wave_day": dict(sorted(self.wave_day.items())),
        }


CHANNEL_TAGS = ["#weather", "#forecast", "#rain", "#storm", "#sunny"]


def write_channel(b: Build) -> dict[str, Any]:
    chat = Chat(b, "lowland_weather", "Lowland Weather Notes", "public_channel", 1288374651)
    rng = chat.rng
    d = START
    while d <= END:
        for ts in times_on_day(rng, d, daily_count(rng, 11 * b.scale, d), 1):
            msg = chat.head(ts)
            msg["from"], msg["from_id"] = chat.name, f"channel{chat.chat_id}"
            lang = "en" if rng.random() < 0.6 else "nl"
            if rng.random() < 0.06:
                msg["forwarded_from"] = "Polder Weather Desk"
            if rng.random() < 0.2:
                chat.photo(msg, ts)
            body = tx.paragraph(rng, lang, rng.randint(1, 2), "weather")
            body = chat.wave(ts, lang, body)
            if rng.random() < 0.4:
                body += " " + rng.choice(CHANNEL_TAGS)
            link = None
            if rng.random() < 0.1:
                link = ("here", f"https://weather.example.com/station/{rng.randrange(100, 999)}")
            elif rng.random() < 0.05:
                body += " " + tx.page_link(rng)
            chat.finish(msg, body, ts, link)
        d += timedelta(days=1)
    chat.write()
    return chat.truth("lowland_weather")


def write_group(b: Build) -> dict[str, Any]:
    chat = Chat(b, "kitchen_garden", "Kitchen Garden Chat", "public_supergroup", 1499012233)
    rng = chat.rng
    names = tx.make_names(rng, "telegram", b.n(420, minimum=30))
    members = Members(
        rng,
        names,
        [("en", 0.6), ("nl", 0.25), ("id", 0.15)],
        (0, (END - START).days),
        b.n(40, minimum=9),
        core_langs=["en", "en", "en", "nl", "nl", "nl", "id", "id", "id"],
    )
    uid = {m.name: f"user{5_100_000_000 + m.uid * 7919}" for m in members.members}

    # ordinary chat and the cup final; the campaign is planned once we know who posted before
    events: list[tuple[int, int, str, Any]] = []
    d = START
    while d <= END:
        for ts in times_on_day(rng, d, daily_count(rng, 38 * b.scale, d), 1):
            events.append((ts, 2, "chat", None))
        d += timedelta(days=1)
    for _ in range(b.n(sc.FINAL_POSTS["telegram"], minimum=8)):
        events.append((sc.final_time(rng), 2, "final", None))
    events.sort(key=lambda e: (e[0], e[1]))
    cut = sc.day_epoch(sc.NOVA_START.date())
    before = [e for e in events if e[0] < cut]
    after = [e for e in events if e[0] >= cut]

    seen: dict[str, Member] = {}  # members who have posted, in order of first post
    final_authors: list[str] = []  # one entry per decoy post

    def post(ts: int, kind: str, data: Any) -> None:
        msg = chat.head(ts)
        if kind == "join":
            a: NovaAccount = data
            msg.update(
                {
                    "type": "service",
                    "actor": a.name,
                    "actor_id": a.uid,
                    "action": "join_group_by_link",
                    "inviter": "Group",
                    "text": "",
                    "text_entities": [],
                }
            )
            chat.messages.append(msg)
            return
        if kind == "nova":
            msg["from"], msg["from_id"] = data.name, data.uid
            chat.finish(msg, nova_text(rng, data.disclose), ts)
            return
        if kind == "final" and seen:
            m = rng.choice(list(seen.values()))  # the decoy is organic: established members
            final_authors.append(m.name)
        else:
            m = members.pick(di(ts), rng.choice(["en", "en", "nl", "id"]))
        seen.setdefault(m.name, m)
        if rng.random() < 0.004 and len(chat.messages) > 5:
            msg.update(
                {
                    "type": "service",
                    "actor": m.name,
                    "actor_id": uid[m.name],
                    "action": "pin_message",
                    "message_id": rng.randrange(1, len(chat.messages)),
                    "text": "",
                    "text_entities": [],
                }
            )
            chat.messages.append(msg)
            return
        msg["from"], msg["from_id"] = m.name, uid[m.name]
        if len(chat.messages) > 3 and rng.random() < 0.18:
            msg["reply_to_message_id"] = len(chat.messages) - rng.randrange(0, 3)
        if rng.random() < 0.03:
            msg["forwarded_from"] = "Lowland Weather Notes"
        if rng.random() < 0.06:
            chat.photo(msg, ts)
        if kind == "final":
            body = sc.final_text(rng)
        else:
            lang = m.lang
            body = (
                tx.paragraph(rng, lang, rng.randint(1, 3), rng.choice(["hobby", "recipes"]))
                if rng.random() < 0.7
                else tx.reply(rng, lang)
            )
            body = chat.wave(ts, lang, body)
            if rng.random() < 0.03:
                body += " " + tx.page_link(rng)
        chat.finish(msg, body, ts)

    for ts, _, kind, data in before:
        post(ts, kind, data)
    counter = iter(range(7_100_000_000, 7_200_000_000, 104_729))
    nova = plan_nova(
        rng,
        "telegram",
        [(m.name, uid[m.name]) for m in seen.values()],
        lambda _name: f"user{next(counter)}",
    )
    for a in nova:
        if a.new:
            after.append((a.times[0] - rng.randrange(60, 900), 0, "join", a))
        for t in a.times:
            after.append((t, 1, "nova", a))
    after.sort(key=lambda e: (e[0], e[1]))
    for ts, _, kind, data in after:
        post(ts, kind, data)
    chat.write()
    out = chat.truth("kitchen_garden")
    out["nova_accounts"] = nova
    out["final_posts"] = len(final_authors)
    out["final_authors"] = len(set(final_authors))
    return out
