"""Reddit monthly dumps in the Pushshift layout (importer ``reddit``).

``reddit/submissions/RS_YYYY-MM.zst`` and ``reddit/comments/RC_YYYY-MM.zst``: NDJSON compressed
with zstandard, one record per line in time order. Quirks of the real dumps reproduced here:
``created_utc`` is an integer in most records and a numeric string in some; ``edited`` is
``false`` or an epoch (integer, sometimes a float); deleted content has author ``[deleted]``
and body ``[deleted]`` or ``[removed]``; comments point at their thread with ``link_id``
(``t3_``) and at their parent with ``parent_id`` (``t1_`` comment or ``t3_`` submission);
ids are base 36 and grow with time; ``retrieved_on`` is when Pushshift collected the record.

Six invented subreddits in English, Dutch and Indonesian; r/altcoinchat carries part of the
NOVA campaign and r/lowlandfootball the organic cup-final decoy.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import orjson
import zstandard

from groundswell.demo import scenario as sc
from groundswell.demo import text as tx
from groundswell.demo.authors import Member, Members
from groundswell.demo.campaign import NovaAccount, plan_nova
from groundswell.demo.common import (
    DATES,
    END,
    MONTH,
    START,
    Build,
    base36,
    daily_count,
    day_epoch,
    di,
    times_on_day,
)

SUBS = [  # name, language, topic, submissions per day at scale 1.0, subreddit id
    ("sourdoughclub", "en", "recipes", 3.0, "t5_2x4k1q"),
    ("weatherwatchers", "en", "weather", 2.5, "t5_3b7d9m"),
    ("lowlandfootball", "en", "football", 3.0, "t5_2r8v0c"),
    ("altcoinchat", "en", "crypto", 2.5, "t5_4f1z8w"),
    ("kokenenbakken", "nl", "recipes", 1.5, "t5_2m3n7p"),
    ("belajarkode", "id", "tech", 1.5, "t5_3k9s2e"),
]
CRYPTO = [
    "Anyone else dollar-cost averaging this month?",
    "Hardware wallet arrived, setting it up.",
    "Reminder: never share your seed phrase with anyone.",
    "Fees are high again today.",
    "What do you all think about proof of stake?",
    "Down 20% this week, zooming out helps.",
    "Which exchange has the lowest withdrawal fees right now?",
    "Read the whitepaper before you buy anything, please.",
]
CRYPTO_TITLES = [
    "Daily discussion",
    "Beginner question about wallets",
    "Fees today?",
    "Long-term holders, how do you stay calm?",
    "Tax season tips",
]


@dataclass
class Item:
    ts: int
    order: int
    kind: str  # s | c
    sub: int  # index in SUBS
    parent: Item | None = None  # for comments: the parent comment or submission
    link: Item | None = None  # for comments: the submission
    plant: str = ""  # "", "final", "nova"
    nova: NovaAccount | None = None
    rid: str = ""
    author: str = ""
    rec: dict[str, Any] = field(default_factory=dict)
    comments: int = 0


def _comments(rng: random.Random, s: Item, rate: float, out: list[Item]) -> None:
    """The comment tree of submission ``s``: times after it, parents earlier in the tree."""
    n = min(int(rng.expovariate(1 / rate)), 60)
    tree: list[Item] = [s]
    end = day_epoch(END) + 86_399
    for t in sorted(s.ts + int(rng.expovariate(1 / 18_000)) + 30 for _ in range(n)):
        if t > end:
            break
        parent = s if rng.random() < 0.6 else rng.choice(tree)
        c = Item(t, 2, "c", s.sub, parent=parent, link=s)
        tree.append(c)
        out.append(c)


def write_reddit(b: Build) -> dict[str, Any]:
    rng = b.rng("reddit")
    members = []
    for i, (_name, lang, _, rate, _) in enumerate(SUBS):
        names = tx.make_names(rng, "reddit", b.n(rate * 160, minimum=15))
        members.append(
            Members(
                b.rng(f"reddit:{i}"),
                names,
                [(lang, 1.0)],
                (0, (END - START).days),
                b.n(rate * 6, minimum=4),
            )
        )

    items: list[Item] = []
    d = START
    while d <= END:
        for i, (_, _, _, rate, _) in enumerate(SUBS):
            for ts in times_on_day(rng, d, daily_count(rng, rate * b.scale, d), 0):
                s = Item(ts, 2, "s", i)
                items.append(s)
                _comments(rng, s, 6.0, items)
        d += timedelta(days=1)
    football = 2
    final_ts = day_epoch(sc.FINAL_START.date()) + sc.FINAL_START.hour * 3600 + 600
    final_thread = Item(final_ts, 1, "s", football, plant="final")
    items.append(final_thread)
    for _ in range(b.n(sc.FINAL_POSTS["reddit"], minimum=10)):
        t = max(final_ts + 60, sc.final_time(rng))
        items.append(
            Item(t, 2, "c", football, parent=final_thread, link=final_thread, plant="final")
        )
    items.sort(key=lambda x: (x.ts, x.order))

    cut = day_epoch(sc.NOVA_START.date())
    seen: list[dict[str, Member]] = [{} for _ in SUBS]
    crypto = 3
    recent_crypto: list[Item] = []
    nova: list[NovaAccount] = []
    next_s = [int("aa1000", 36)]
    next_c = [int("e7q0000", 36)]
    waves: dict[str, Counter[str]] = defaultdict(Counter)
    final_authors: set[str] = set()

    def emit(it: Item) -> None:
        name, lang, topic, _, sid = SUBS[it.sub]
        day = di(it.ts)
        if it.kind == "s":
            next_s[0] += rng.randrange(1, 4000)
            it.rid = base36(next_s[0])
        else:
            next_c[0] += rng.randrange(1, 3000)
            it.rid = base36(next_c[0])
        # who
        if it.nova is not None:
            author = it.nova.name
        elif it.plant == "final" and it.kind == "c" and seen[it.sub]:
            m = rng.choice(list(seen[it.sub].values()))
            author = m.name
            final_authors.add(author)
        else:
            m = members[it.sub].pick(day, lang)
            seen[it.sub].setdefault(m.name, m)
            author = m.name
        deleted = it.plant == "" and rng.random() < 0.03
        it.author = "[deleted]" if deleted else author
        # what
        if it.nova is not None:
            body = sc.nova_text(rng, it.nova.disclose)
        elif it.plant == "final":
            body = sc.final_text(rng) if it.kind == "c" else "Kick-off 19:00. Discuss!"
        elif topic == "crypto":
            body = " ".join(rng.sample(CRYPTO, rng.randint(1, 2)))
        elif it.kind == "c" and rng.random() < 0.3:
            body = tx.reply(rng, lang)
        else:
            body = tx.paragraph(rng, lang, rng.randint(1, 3), topic)
        link_post = it.kind == "s" and it.plant == "" and not deleted and rng.random() < 0.08
        if not deleted and not link_post and it.plant == "" and sc.wave_hit(rng, it.ts, DATES[day]):
            body += tx.joiner(lang) + tx.wave_sentence(rng, lang)
            waves[name][MONTH[day]] += 1
        if deleted:
            body = rng.choice(["[deleted]", "[removed]"])
        created: int | str = it.ts if rng.random() < 0.88 else str(it.ts)
        edited: bool | int | float = False
        if rng.random() < 0.05 and not deleted:
            e = it.ts + rng.randrange(120, 86_400)
            edited = e if rng.random() < 0.7 else float(e)
        score = int(rng.paretovariate(1.3)) - (1 if rng.random() < 0.1 else 0)
        retrieved = it.ts + rng.randrange(3_600, 30 * 86_400)
        if it.kind == "s":
            if it.nova is not None:
                title = rng.choice(
                    [
                        "NOVA token listing May 28 🚀",
                        "NOVA airdrop is live",
                        "Early on NOVA? Contract inside",
                    ]
                )
            elif it.plant == "final":
                title = "Match Thread: Harbour City FC vs Rivertown United | Cup Final"
            elif topic == "crypto":
                title = rng.choice(CRYPTO_TITLES)
            else:
                title = tx.title(rng, lang)
            url = (
                tx.page_link(rng)
                if link_post
                else f"https://www.reddit.com/r/{name}/comments/{it.rid}/"
            )
            it.rec = {
                "id": it.rid,
                "author": it.author,
                "author_flair_text": None,
                "created_utc": created,
                "subreddit": name,
                "subreddit_id": sid,
                "title": title,
                "selftext": "" if link_post else body,
                "url": url,
                "permalink": f"/r/{name}/comments/{it.rid}/",
                "domain": url.split("/")[2] if link_post else f"self.{name}",
                "is_self": not link_post,
                "num_comments": 0,
                "score": score,
                "over_18": False,
                "stickied": it.plant == "final",
                "edited": edited,
                "retrieved_on": retrieved,
            }
        else:
            assert it.link is not None and it.parent is not None
            it.link.comments += 1
            parent = it.parent
            it.rec = {
                "id": it.rid,
                "author": it.author,
                "author_flair_text": None,
                "body": body,
                "created_utc": created,
                "link_id": "t3_" + it.link.rid,
                "parent_id": ("t3_" if parent.kind == "s" else "t1_") + parent.rid,
                "subreddit": name,
                "subreddit_id": sid,
                "score": score,
                "controversiality": 0,
                "gilded": 0,
                "stickied": False,
                "is_submitter": it.author == it.link.author and not deleted,
                "edited": edited,
                "retrieved_on": retrieved,
                "permalink": f"/r/{name}/comments/{it.link.rid}/_/{it.rid}/",
            }
        if it.sub == crypto and it.kind == "s":
            recent_crypto.append(it)

    done: list[Item] = []
    rest: list[Item] = []
    for it in items:
        if it.ts < cut:
            emit(it)
            done.append(it)
        else:
            rest.append(it)
    nova = plan_nova(rng, "reddit", [(n, n) for n in seen[crypto]], lambda n: n)
    threads: list[Item] = []
    for i, a in enumerate(nova):
        for j, t in enumerate(a.times):
            if i < 4 and j == 0:
                s = Item(t, 1, "s", crypto, plant="nova", nova=a)
                threads.append(s)
                rest.append(s)
    for i, a in enumerate(nova):
        for j, t in enumerate(a.times):
            if i < 4 and j == 0:
                continue
            earlier = [s for s in threads if s.ts + 30 <= t] or recent_crypto[-3:]
            s = rng.choice(earlier)
            rest.append(Item(t, 2, "c", crypto, parent=s, link=s, plant="nova", nova=a))
    rest.sort(key=lambda x: (x.ts, x.order))
    for it in rest:
        emit(it)
        done.append(it)
    for it in done:
        if it.kind == "s":
            it.rec["num_comments"] = it.comments

    months: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for it in done:
        months[(it.kind, MONTH[di(it.ts)])].append(it.rec)
    cctx = zstandard.ZstdCompressor(level=3)
    files: dict[str, int] = {}
    for (kind, month), recs in sorted(months.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        folder, prefix = ("submissions", "RS") if kind == "s" else ("comments", "RC")
        path = b.out / "reddit" / folder / f"{prefix}_{month}.zst"
        path.parent.mkdir(parents=True, exist_ok=True)
        # streamed, like the real dumps (no content size in the frame header)
        with open(path, "wb") as raw, cctx.stream_writer(raw) as z:
            for rec in recs:
                z.write(orjson.dumps(rec))
                z.write(b"\n")
        b.add(path, "reddit", len(recs))
        files[f"reddit/{folder}/{path.name}"] = len(recs)
    b.say(f"reddit: {len(done):,} submissions and comments in {len(files)} monthly dumps")
    total: Counter[str] = Counter()
    for c in waves.values():
        total.update(c)
    return {
        "files": files,
        "records": len(done),
        "wave_month": dict(sorted(total.items())),
        "wave_month_by_subreddit": {k: dict(sorted(v.items())) for k, v in sorted(waves.items())},
        "nova_accounts": nova,
        "final_posts": sum(1 for it in done if it.plant == "final" and it.kind == "c"),
        "final_authors": len(final_authors),
        "final_thread": final_thread.rid,
    }
