"""DiscordChatExporter JSON (importer ``discord``): one file per channel of a neighbourhood server.

Layout as DiscordChatExporter writes it (two-space indent): ``guild``, ``channel`` (``id``,
``type: GuildTextChat``, ``categoryId``, ``category``, ``name``, ``topic``), ``dateRange``,
``exportedAt`` and ``messages`` with ``id`` (a snowflake that encodes the time), ``type``
(``Default`` or ``Reply``), ``timestamp`` (local time with offset and milliseconds, here
America/Chicago), ``timestampEdited``, ``isPinned``, ``content``, ``author`` (``id``, ``name``,
``discriminator``, ``nickname``, ``isBot``, ``roles``, ``avatarUrl``), ``attachments``,
``embeds``, ``stickers``, ``reactions``, ``mentions`` and, for replies, ``reference``; then
``messageCount``. A few messages are attachment-only (empty ``content``); a bot posts event
reminders.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import orjson

from groundswell.demo import scenario as sc
from groundswell.demo import text as tx
from groundswell.demo.authors import Member, Members
from groundswell.demo.campaign import NovaAccount, plan_nova
from groundswell.demo.common import (
    END,
    EXPORTED,
    START,
    Build,
    Clock,
    daily_count,
    di,
    times_on_day,
)
from groundswell.demo.scenario import nova_text

TZ = "America/Chicago"
DISCORD_EPOCH_MS = 1_420_070_400_000
GUILD = {
    "id": "611203471920398336",
    "name": "Maple Hollow Neighbours",
    "iconUrl": "https://cdn.example.com/icons/611203471920398336/maple.png",
}
STREETS = ["Maple Ave", "Hollow Lane", "Birch Street", "Millpond Road", "Acorn Court", "Linden Way"]
NEIGHBOURHOOD = {
    "general": [
        "Anyone else hear the fireworks last night near {street}?",
        "The bakery on {street} has fresh rye again.",
        "Road works on {street} start Monday, plan a detour.",
        "Thanks to whoever shovelled the sidewalk on {street}!",
        "Is the recycling pickup delayed this week?",
        "Power flickered on {street} around 9, anyone else?",
    ],
    "lost-and-found": [
        "Found a grey cat near {street}, very friendly. Anyone missing one?",
        "Lost a blue glove somewhere on {street}.",
        "Keys with a red keychain found by the mailbox on {street}.",
        "Our dog slipped out near {street}, brown and white, answers to Biscuit.",
    ],
    "events": [
        "Block party on {street} this Saturday from 2pm, bring a dish!",
        "Library book swap on Thursday evening.",
        "Community clean-up at the park, 10am.",
        "Yard sale on {street} Sunday morning.",
    ],
    "buy-sell-swap": [
        "Free to a good home: bookshelf, pick up on {street}.",
        "Selling a kids bike, barely used, 30 dollars.",
        "Anyone have a ladder I could borrow this weekend?",
        "Swap: tomato seedlings for herb cuttings?",
    ],
    "off-topic": [],
}
CHANNELS = [  # name, topic, rate per day at scale 1.0, category
    ("general", "Say hi, neighbours!", 30.0, "Community"),
    ("lost-and-found", "Lost pets, keys and gloves", 3.0, "Community"),
    ("events", "What's on around the Hollow", 4.0, "Community"),
    ("buy-sell-swap", "Free stuff, sales and swaps", 8.0, "Marketplace"),
    ("off-topic", "Anything else: football, recipes, tech", 12.0, "Chat"),
]
EMOJI = [
    ("👍", "thumbsup", "1f44d"),
    ("❤️", "heart", "2764"),
    ("😂", "joy", "1f602"),
    ("🎉", "tada", "1f389"),
    ("🐱", "cat", "1f431"),
]
ROLES = [
    {"id": "611210000000000001", "name": "Neighbour", "color": "#2ECC71", "position": 1},
    {"id": "611210000000000002", "name": "Moderator", "color": "#E67E22", "position": 5},
]


@dataclass
class Channel:
    name: str
    cid: str
    topic: str
    category: str
    cat_id: str
    messages: list[dict[str, Any]] = field(default_factory=list)


def snowflake(rng: random.Random, ms: int) -> str:
    return str(((ms - DISCORD_EPOCH_MS) << 22) | rng.getrandbits(22))


def write_discord(b: Build) -> dict[str, Any]:
    rng = b.rng("discord")
    clock = Clock(TZ)
    names = tx.make_names(rng, "discord", b.n(1000, minimum=40))
    members = Members(rng, names, [("en", 1.0)], (0, (END - START).days), b.n(60, minimum=8))
    author_cache: dict[str, dict[str, Any]] = {}

    def author(name: str, seed_ms: int, bot: bool = False, age_days: int = 400) -> dict[str, Any]:
        """The author object; its snowflake id dates the account up to ``age_days`` back."""
        a = author_cache.get(name)
        if a is None:
            aid = snowflake(rng, seed_ms - rng.randrange(0, age_days * 24) * 3_600_000)
            a = author_cache[name] = {
                "id": aid,
                "name": name,
                "discriminator": "0000" if bot else f"{rng.randrange(1, 10000):04d}",
                "nickname": name if rng.random() < 0.7 else name.title(),
                "color": None,
                "isBot": bot,
                "roles": [ROLES[0]] if rng.random() < 0.5 else [],
                "avatarUrl": f"https://cdn.example.com/avatars/{aid}.png",
            }
        return a

    cats = {
        "Community": "611203471920400001",
        "Marketplace": "611203471920400002",
        "Chat": "611203471920400003",
    }
    channels = {
        n: Channel(n, str(611203471920410000 + i * 17), topic, cat, cats[cat])
        for i, (n, topic, _, cat) in enumerate(CHANNELS)
    }

    events: list[tuple[int, int, str, str, Any]] = []  # ts, order, channel, kind, data
    d = START
    while d <= END:
        for n, _, rate, _ in CHANNELS:
            for ts in times_on_day(rng, d, daily_count(rng, rate * b.scale, d), -6):
                events.append((ts, 2, n, "chat", None))
        if d.weekday() == 4:  # the bot's Friday reminder
            events.append((sc.day_epoch(d) + 15 * 3600, 2, "events", "bot", None))
        d += timedelta(days=1)
    for _ in range(b.n(sc.FINAL_POSTS["discord"], minimum=8)):
        events.append((sc.final_time(rng), 2, "general", "final", None))
    events.sort(key=lambda e: (e[0], e[1]))
    cut = sc.day_epoch(sc.NOVA_START.date())
    seen: dict[str, Member] = {}
    final_authors: list[str] = []  # one entry per decoy post

    def post(ts: int, ch_name: str, kind: str, data: Any) -> None:
        ch = channels[ch_name]
        ms = ts * 1000 + rng.randrange(1000)
        if kind == "nova":
            a: NovaAccount = data
            who = author(a.name, ms, age_days=3 if a.new else 400)
            a.uid = who["id"]
            content = nova_text(rng, a.disclose)
        elif kind == "bot":
            who = author("HollowBot", DISCORD_EPOCH_MS + 10**11, bot=True)
            content = "Reminder: check #events for this weekend's plans!"
        else:
            if kind == "final" and seen:
                m = rng.choice(list(seen.values()))
                final_authors.append(m.name)
                content = sc.final_text(rng)
            else:
                m = members.pick(di(ts), "en")
                pool = NEIGHBOURHOOD[ch_name]
                if pool and rng.random() < 0.6:
                    content = rng.choice(pool).format(street=rng.choice(STREETS))
                elif rng.random() < 0.25:
                    content = tx.reply(rng, "en")
                else:
                    content = tx.paragraph(rng, "en", rng.randint(1, 2))
                if rng.random() < 0.04:
                    content += " " + tx.page_link(rng)
            seen.setdefault(m.name, m)
            who = author(m.name, ms)
        d, h, mi, s, off = clock.parts(ts)
        oh, om = divmod(abs(off) // 60, 60)
        sign = "-" if off < 0 else "+"
        stamp = f"{d.isoformat()}T{h:02d}:{mi:02d}:{s:02d}.{ms % 1000:03d}{sign}{oh:02d}:{om:02d}"
        msg: dict[str, Any] = {
            "id": snowflake(rng, ms),
            "type": "Default",
            "timestamp": stamp,
            "timestampEdited": None,
            "callEndedTimestamp": None,
            "isPinned": rng.random() < 0.002,
            "content": content,
            "author": who,
            "attachments": [],
            "embeds": [],
            "stickers": [],
            "reactions": [],
            "mentions": [],
        }
        if rng.random() < 0.04:
            e_ms = ms + rng.randrange(30_000, 7_200_000)
            ed, eh, em, es, _ = clock.parts(e_ms // 1000)
            msg["timestampEdited"] = (
                f"{ed.isoformat()}T{eh:02d}:{em:02d}:{es:02d}."
                f"{e_ms % 1000:03d}{sign}{oh:02d}:{om:02d}"
            )
        if kind in ("chat", "final") and ch.messages and rng.random() < 0.15:
            target = ch.messages[-1 - min(int(rng.expovariate(0.5)), len(ch.messages) - 1)]
            ta = target["author"]
            msg["type"] = "Reply"
            msg["mentions"] = [
                {
                    "id": ta["id"],
                    "name": ta["name"],
                    "discriminator": ta["discriminator"],
                    "nickname": ta["nickname"],
                    "isBot": ta["isBot"],
                }
            ]
            msg["reference"] = {
                "messageId": target["id"],
                "channelId": ch.cid,
                "guildId": GUILD["id"],
            }
        if kind == "chat" and rng.random() < 0.03:
            fname = f"IMG_{rng.randrange(1000, 9999)}.jpg"
            msg["attachments"] = [
                {
                    "id": snowflake(rng, ms),
                    "url": f"https://cdn.example.com/attachments/{ch.cid}/{msg['id']}/{fname}",
                    "fileName": fname,
                    "fileSizeBytes": rng.randrange(40_000, 4_000_000),
                }
            ]
            if rng.random() < 0.3:
                msg["content"] = ""
        if "https://" in msg["content"]:
            url = msg["content"].rsplit(" ", 1)[-1]
            if url.startswith("https://"):
                msg["embeds"] = [
                    {
                        "title": "Example page",
                        "url": url,
                        "timestamp": None,
                        "description": "",
                        "color": None,
                        "thumbnail": None,
                        "images": [],
                        "fields": [],
                    }
                ]
        if rng.random() < 0.1:
            picks = rng.sample(EMOJI, rng.randint(1, 2))
            msg["reactions"] = [
                {
                    "emoji": {
                        "id": "",
                        "name": e,
                        "code": c,
                        "isAnimated": False,
                        "imageUrl": f"https://cdn.example.com/emoji/{u}.svg",
                    },
                    "count": rng.randint(1, 12),
                }
                for e, c, u in picks
            ]
        ch.messages.append(msg)

    after: list[tuple[int, int, str, str, Any]] = []
    nova: list[NovaAccount] = []
    for ev in events:
        if ev[0] >= cut and not nova:
            nova = plan_nova(rng, "discord", [(m.name, "") for m in seen.values()], lambda _n: "")
            for a in nova:
                for t in a.times:
                    after.append((t, 1, "general", "nova", a))
        if ev[0] >= cut:
            after.append(ev)
        else:
            post(ev[0], ev[2], ev[3], ev[4])
    after.sort(key=lambda e: (e[0], e[1]))
    for ts, _, ch_name, kind, data in after:
        post(ts, ch_name, kind, data)

    exported = EXPORTED - timedelta(hours=5)
    files = {}
    for ch in channels.values():
        doc = {
            "guild": GUILD,
            "channel": {
                "id": ch.cid,
                "type": "GuildTextChat",
                "categoryId": ch.cat_id,
                "category": ch.category,
                "name": ch.name,
                "topic": ch.topic,
            },
            "dateRange": {"after": None, "before": None},
            "exportedAt": exported.strftime("%Y-%m-%dT%H:%M:%S.") + "512-05:00",
            "messages": ch.messages,
            "messageCount": len(ch.messages),
        }
        path = (
            b.out
            / "discord"
            / f"Maple Hollow Neighbours - {ch.category} - {ch.name} [{ch.cid}].json"
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(orjson.dumps(doc, option=orjson.OPT_INDENT_2) + b"\n")
        b.add(path, "discord", len(ch.messages))
        files[ch.name] = {"file": f"discord/{path.name}", "records": len(ch.messages)}
    b.say(
        f"discord {GUILD['name']}: {sum(len(c.messages) for c in channels.values()):,} "
        f"messages in {len(channels)} channels"
    )
    return {
        "guild": GUILD["name"],
        "timezone": TZ,
        "channels": files,
        "members_who_posted": len(author_cache),
        "member_pool": len(names),
        "nova_accounts": nova,
        "final_posts": len(final_authors),
        "final_authors": len(set(final_authors)),
    }
