"""Planted campaigns: a seeded synthetic corpus with coordinated campaigns and organic decoys.

:func:`generate` writes one JSON-lines file for the generic ``jsonl`` importer (fields
``id``, ``time``, ``author``, ``author_id``, ``text``, ``source``, ``platform``, and
``parent_id`` on replies, ``forwarded_from`` on forwards) and returns the :class:`Truth`:
which accounts ran which campaign, which accounts are decoys, and the parameters. Everything
is benign and made up: handles from syllables, sites under the reserved ``.example`` domain.

What is in it, over four weeks in one source:

- **background**: ordinary accounts posting their own words, with links to many articles
  on many sites, hashtags, replies and the odd forward, at random times;
- **very active ordinary accounts**: a dozen to three dozen posts a day each, most with a
  link; busy, but never in step with anyone (they must not be flagged);
- **organic decoys**: three real-looking events (a cup final, a phone launch, a storm) where
  hundreds of established accounts share one news link and one hashtag within hours, in
  their own words, once or twice each (they must not be flagged);
- **campaigns** of 8 to 40 accounts, each in several bursts over days, the members posting
  within seconds to minutes of each other, some of them new (first post in a burst):
  two link rings (the same new link within a minute), a copy-paste ring (one templated text
  with varying emoji and a shared EVM contract address with a valid EIP-55 checksum), a
  hashtag ring (the same two hashtags) and a forward ring (the same channel message).

:data:`KIND_TRACES` names the traces that find each kind, :func:`detect` runs one detection
per kind with the recommended settings, and :func:`evaluate` scores the flagged accounts::

    truth = generate(tmp / "planted.jsonl", scale=0.25, seed=0)
    ws.import_("jsonl", tmp / "planted.jsonl")
    score = evaluate(truth, detect(ws))
    score.precision, [(c.name, c.recall, c.cohesion) for c in score.campaigns]

The forward ring is found by the ``forward`` trace: the same origin (``forwarded_from``)
and the same text.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import random
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from groundswell.coordination.network import Settings
from groundswell.enrich.indicators.checksums import eip55

if TYPE_CHECKING:
    from groundswell.coordination.detect import Coordination
    from groundswell.workspace import Workspace

START = int(datetime(2024, 3, 4, tzinfo=UTC).timestamp())  # a Monday
DAYS = 28
SOURCE = "harbour-square"
PLATFORM = "social"

# the traces that find each kind of campaign (one detection per kind, see detect)
KIND_TRACES: dict[str, tuple[str, ...]] = {
    "link": ("url",),
    "copypaste": ("crypto", "similar"),
    "hashtag": ("hashtag",),
    "forward": ("forward",),
}
RECOMMENDED = Settings(window=60, min_participation=2, min_weight=2)

# (name, kind, accounts, bursts)
CAMPAIGNS: tuple[tuple[str, str, int, int], ...] = (
    ("deals-link-ring", "link", 24, 5),
    ("recipes-link-ring", "link", 8, 4),
    ("luma-copy-paste", "copypaste", 36, 5),
    ("luma-hashtag-ring", "hashtag", 16, 5),
    ("luma-forward-ring", "forward", 20, 5),
)
NEW_SHARE = 0.25  # of a campaign's accounts, new: their first post is in a burst

ARTICLES = 30_000  # background links: articles on SITES sites, Zipf-like popularity
SITES = 400
TAGS = 400  # background hashtags
CHANNEL_POSTS = 200  # channel messages that ordinary accounts forward now and then
# hour-of-day weights (UTC): quiet at night, busiest in the evening
DIURNAL = (1, 1, 1, 1, 1, 2, 3, 5, 6, 6, 6, 6, 7, 6, 6, 6, 7, 8, 9, 10, 10, 8, 5, 2)

COMMON = (
    "the a and to of in is it for on with this that was we my just so really about today "
    "new good great time day week people love think know going back still make more like "
    "some after first last little morning evening weekend coffee garden train bike walk "
    "rain sun city park book music game team work home friends family dinner lunch market "
    "photo river bridge street window kitchen school project idea plan story"
).split()
SYLLABLES = (
    "ka lo mi ne ru ta vo si pe da ri mo lu ba ke ni so fa ge hu ja ko le ma no pi ra se "
    "tu va we yo ze an el in or um"
).split()
EMOJI = ("🚀", "🌙", "💎", "🔥", "✨", "🙌", "📈", "💪")

EVENTS: tuple[dict[str, Any], ...] = (
    {
        "name": "cup final",
        "at": START + 5 * 86400 + 19 * 3600 + 1800,
        "spread": 1.5 * 3600,
        "url": "https://www.harbourdaily.example/sport/2024/03/09/harbour-united-lift-the-cup",
        "tag": "#CupFinal",
        "words": "what a final|that last minute goal|the cup comes home|extra time nerves|"
        "the keeper was unreal|best match of the season",
    },
    {
        "name": "phone launch",
        "at": START + 12 * 86400 + 17 * 3600,
        "spread": 2 * 3600,
        "url": "https://www.techdesk.example/2024/03/16/orbit-phone-2-hands-on",
        "tag": "#OrbitLaunch",
        "words": "the new orbit phone|that camera bump|battery life looks decent|"
        "price is steep|the launch stream|finally a smaller phone",
    },
    {
        "name": "storm",
        "at": START + 19 * 86400 + 6 * 3600,
        "spread": 4 * 3600,
        "url": "https://www.weatherwatch.example/warnings/2024/03/23/storm-elin-live",
        "tag": "#StormElin",
        "words": "trees down on our street|power is out here|stay safe everyone|"
        "the trains are cancelled|wind is howling|the river is very high",
    },
)


@dataclass(frozen=True)
class Campaign:
    """A planted campaign: its accounts (author ids), the new ones, its burst start times
    (epoch seconds) and what it pushed."""

    name: str
    kind: str
    accounts: tuple[str, ...]
    new: tuple[str, ...]
    bursts: tuple[int, ...]
    pushed: tuple[str, ...]

    @property
    def traces(self) -> tuple[str, ...]:
        return KIND_TRACES[self.kind]


@dataclass(frozen=True)
class Truth:
    """What :func:`generate` planted."""

    campaigns: tuple[Campaign, ...]
    decoys: tuple[str, ...]  # accounts in the organic event bursts
    active: tuple[str, ...]  # very active ordinary accounts
    ordinary: int  # ordinary accounts (decoys among them)
    posts: int
    params: dict[str, Any] = field(default_factory=dict)

    def coordinated(self) -> set[str]:
        return {a for c in self.campaigns for a in c.accounts}


@dataclass(frozen=True)
class CampaignScore:
    name: str
    kind: str
    accounts: int
    flagged: int  # of its accounts, flagged in its kind's detection
    recall: float
    cohesion: float  # the largest share of its accounts in one cluster
    clusters: int  # clusters its flagged accounts are in
    cluster: int | None  # the cluster holding most of its accounts


@dataclass(frozen=True)
class Score:
    """Flagged accounts (in any detection) against the truth."""

    campaigns: tuple[CampaignScore, ...]
    flagged: int
    true_positives: int
    precision: float
    recall: float
    decoys_flagged: tuple[str, ...]
    active_flagged: tuple[str, ...]
    others_flagged: tuple[str, ...]  # ordinary accounts flagged that are neither of those


def address(label: str) -> str:
    """A made-up EVM address with a valid EIP-55 checksum (the hex digits hash ``label``)."""
    return eip55(hashlib.sha256(label.encode()).hexdigest()[:40])


def generate(path: Path | str, *, scale: float = 1.0, seed: int = 0) -> Truth:
    """Write the corpus to ``path`` (JSON lines, by time) and return what was planted.

    ``scale`` sizes the background and the decoys (scale 1: about 3,000 ordinary accounts,
    40 very active ones, 250 accounts per event, some 52,000 posts); the campaigns keep
    their sizes."""
    return _Corpus(random.Random(seed), scale).write(Path(path), seed)


class _Corpus:
    def __init__(self, rng: random.Random, scale: float) -> None:
        self.rng = rng
        self.scale = scale
        self.posts: list[dict[str, Any]] = []
        self.handles: set[str] = set()
        words = list(COMMON)
        while len(words) < 2000:
            w = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
            if w not in words:
                words.append(w)
        self.words = words
        self.word_cw = list(itertools.accumulate(1 / (r + 1) for r in range(len(words))))
        self.article_cw = list(itertools.accumulate((r + 1) ** -0.6 for r in range(ARTICLES)))
        self.tag_cw = list(itertools.accumulate((r + 1) ** -0.8 for r in range(TAGS)))
        self.sites = [self._name(2, 3) for _ in range(SITES)]
        self.tags = ["#" + self._name(2, 4) for _ in range(TAGS)]
        self.channels = [f"{self._name(2, 3).title()} News" for _ in range(20)]
        self.channel_posts = [
            (self.channels[i % 20], self.sentence(14, 30)) for i in range(CHANNEL_POSTS)
        ]

    # -- pieces ---------------------------------------------------------------------------
    def _name(self, lo: int, hi: int) -> str:
        return "".join(self.rng.choice(SYLLABLES) for _ in range(self.rng.randint(lo, hi)))

    def handle(self) -> str:
        while True:
            h = f"{self._name(2, 3)}_{self.rng.randint(1, 999)}"
            if h not in self.handles:
                self.handles.add(h)
                return h

    def sentence(self, lo: int = 6, hi: int = 18) -> str:
        n = self.rng.randint(lo, hi)
        words = self.rng.choices(self.words, cum_weights=self.word_cw, k=n)
        return " ".join(words).capitalize()

    def article(self) -> str:
        r = bisect.bisect(self.article_cw, self.rng.random() * self.article_cw[-1])
        site = self.sites[(r * 7919) % SITES]
        return f"https://{site}.example/{self.words[r % 300]}/{r}"

    def tag(self) -> str:
        return self.tags[bisect.bisect(self.tag_cw, self.rng.random() * self.tag_cw[-1])]

    def moment(self, day: int | None = None) -> int:
        """A random time of day (by DIURNAL) on ``day`` (a random day if None)."""
        d = self.rng.randrange(DAYS) if day is None else day
        hour = self.rng.choices(range(24), weights=DIURNAL)[0]
        return START + d * 86400 + hour * 3600 + self.rng.randrange(3600)

    def add(self, author: str, t: float, text: str, **extra: Any) -> None:
        self.posts.append({"author": author, "t": int(t), "text": text, **extra})

    # -- background -----------------------------------------------------------------------
    def ordinary_post(self, author: str, t: int, link: float, tag: float) -> None:
        r = self.rng.random()
        if r < 0.02:  # forwards a channel message, verbatim
            channel, text = self.rng.choice(self.channel_posts[: CHANNEL_POSTS // 2])
            self.add(author, t, text, forwarded_from=channel)
            return
        parts = [self.sentence()]
        if self.rng.random() < link:
            parts.append(self.article())
        if self.rng.random() < tag:
            parts.append(self.tag())
        self.add(author, t, " ".join(parts), reply=r < 0.12)

    def background(self) -> tuple[list[str], list[str]]:
        ordinary = [self.handle() for _ in range(round(3000 * self.scale))]
        for a in ordinary:
            n = max(1, min(200, int(self.rng.lognormvariate(1.8, 0.9))))
            for _ in range(n):
                self.ordinary_post(a, self.moment(), link=0.35, tag=0.15)
        active = [self.handle() for _ in range(max(8, round(40 * self.scale)))]
        for a in active:
            per_day = self.rng.randint(12, 35)
            for day in range(DAYS):
                for _ in range(per_day):
                    self.ordinary_post(a, self.moment(day), link=0.7, tag=0.08)
        return ordinary, active

    # -- decoys ---------------------------------------------------------------------------
    def events(self, ordinary: list[str]) -> list[str]:
        first: dict[str, int] = {}
        for p in self.posts:
            first[p["author"]] = min(first.get(p["author"], p["t"]), p["t"])
        decoys: list[str] = []
        n = max(40, round(250 * self.scale))
        for ev in EVENTS:
            established = [a for a in ordinary if first.get(a, ev["at"]) < ev["at"] - 86400]
            phrases = ev["words"].split("|")
            for a in self.rng.sample(established, min(n, len(established))):
                decoys.append(a)
                t = ev["at"] + self.rng.expovariate(1 / ev["spread"])
                for _ in range(1 if self.rng.random() < 0.7 else 2):
                    parts = [self.sentence(3, 10), self.rng.choice(phrases), self.sentence(0, 6)]
                    r = self.rng.random()
                    parts += [ev["url"]] if r < 0.85 else []
                    parts += [ev["tag"]] if r > 0.15 else []
                    self.add(a, t, " ".join(p for p in parts if p))
                    t += self.rng.uniform(600, 5400)
        return list(dict.fromkeys(decoys))

    # -- campaigns ------------------------------------------------------------------------
    def campaign(self, name: str, kind: str, size: int, n_bursts: int) -> Campaign:
        rng = self.rng
        members = [self.handle() for _ in range(size)]
        new = members[: round(size * NEW_SHARE)]
        days = sorted(rng.sample(range(1, DAYS - 1), n_bursts))
        bursts = [START + d * 86400 + rng.randint(8, 21) * 3600 + rng.randrange(3600) for d in days]
        joins: dict[str, set[int]] = {}
        for m in members:
            if m in new:  # first seen in a burst, then takes part in the next one too
                j = rng.randint(1, n_bursts - 2)
                rounds = {j, j + 1} | {k for k in range(j + 2, n_bursts) if rng.random() < 0.8}
            else:
                rounds = {k for k in range(n_bursts) if rng.random() < 0.8}
                while len(rounds) < 2:
                    rounds.add(rng.randrange(n_bursts))
                for _ in range(rng.randint(2, 10)):  # an ordinary history of its own
                    self.ordinary_post(m, self.moment(), link=0.3, tag=0.1)
            joins[m] = rounds
        pushed: list[str] = []
        wallet = address(name)
        site = f"{name.split('-')[0]}-{self._name(2, 2)}"
        for k, t0 in enumerate(bursts):
            content = self._burst_content(kind, k, site, wallet)
            pushed.extend(content["pushed"])
            takers = [m for m in members if k in joins[m]]
            for i, m in enumerate(takers):
                t = t0 if i == 0 else t0 + self._delay(kind)
                self.add(m, t, content["text"](), **content.get("extra", {}))
        return Campaign(
            name,
            kind,
            tuple(members),
            tuple(new),
            tuple(bursts),
            tuple(dict.fromkeys(pushed)),
        )

    def _delay(self, kind: str) -> float:
        if kind == "link":  # within a minute
            return self.rng.uniform(1, 45)
        return min(240.0, self.rng.expovariate(1 / 35))  # seconds to minutes

    def _burst_content(self, kind: str, k: int, site: str, wallet: str) -> dict[str, Any]:
        rng = self.rng

        def emoji() -> str:
            return "".join(rng.choice(EMOJI) for _ in range(rng.randint(1, 2)))

        if kind == "link":
            url = f"https://{site}.example/{self._name(2, 3)}/{k + 1}-{self._name(3, 4)}"
            lines = ("worth a read", "this is big", "see this", "sharing", "must read", "")
            return {"pushed": [url], "text": lambda: f"{rng.choice(lines)} {url}".strip()}
        if kind == "copypaste":
            opening = ("Been holding $LUMA since week one", "Still holding $LUMA")[k % 2]
            body = (
                f"{opening} and I am not selling. The team keeps shipping every single week, "
                "the roadmap is public and the community calls are the best part of my weekend."
            )
            return {
                "pushed": [wallet],
                "text": lambda: f"{body} {emoji()} Contract {wallet} {emoji()}",
            }
        if kind == "hashtag":
            tags = ["#GoLuma", f"#LumaWeek{k + 1}"]
            return {
                "pushed": tags,
                "text": lambda: f"{self.sentence(4, 12)} {' '.join(tags)}",
            }
        channel = "Luma Announcements"
        text = (
            f"Luma weekly update {k + 1}: {self.sentence(10, 20)}. Join the community call "
            "on Friday and bring your questions."
        )
        return {"pushed": [text], "text": lambda: text, "extra": {"forwarded_from": channel}}

    # -- output ---------------------------------------------------------------------------
    def write(self, path: Path, seed: int) -> Truth:
        ordinary, active = self.background()
        decoys = self.events(ordinary)
        campaigns = tuple(self.campaign(*spec) for spec in CAMPAIGNS)
        self.posts.sort(key=lambda p: p["t"])
        ids: list[str] = []
        with path.open("wb") as f:
            for i, p in enumerate(self.posts):
                native = f"m{i:07d}"
                rec: dict[str, Any] = {
                    "id": native,
                    "time": datetime.fromtimestamp(p["t"], UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "author": p["author"],
                    "author_id": p["author"],
                    "text": p["text"],
                    "source": SOURCE,
                    "platform": PLATFORM,
                }
                if p.get("reply") and ids:  # a reply to an earlier post
                    rec["parent_id"] = ids[self.rng.randrange(len(ids))]
                if "forwarded_from" in p:
                    rec["forwarded_from"] = p["forwarded_from"]
                f.write(orjson.dumps(rec) + b"\n")
                ids.append(native)
        params = {
            "seed": seed,
            "scale": self.scale,
            "start": datetime.fromtimestamp(START, UTC).isoformat(),
            "days": DAYS,
            "events": [e["name"] for e in EVENTS],
            "campaigns": [list(c) for c in CAMPAIGNS],
            "kind_traces": {k: list(v) for k, v in KIND_TRACES.items()},
        }
        return Truth(campaigns, tuple(decoys), tuple(active), len(ordinary), len(ids), params)


def detect(
    ws: Workspace, settings: Settings = RECOMMENDED, kinds: Iterable[str] = KIND_TRACES
) -> dict[str, Coordination]:
    """One detection per kind of campaign, with that kind's traces."""
    return {k: ws.coordination(KIND_TRACES[k], settings) for k in kinds}


def evaluate(truth: Truth, results: dict[str, Coordination]) -> Score:
    """Precision over every flagged account (of any detection), recall and cohesion of each
    campaign in its kind's detection."""
    clusters: dict[str, dict[str, int]] = {}
    flagged: set[str] = set()
    for kind, result in results.items():
        ids = result.accounts["author_id"].to_pylist()
        clusters[kind] = dict(zip(ids, result.accounts["cluster"].to_pylist(), strict=True))
        flagged.update(ids)
    scores = []
    for c in truth.campaigns:
        found = clusters.get(c.kind, {})
        hit = [found[a] for a in c.accounts if a in found]
        main, biggest = Counter(hit).most_common(1)[0] if hit else (None, 0)
        scores.append(
            CampaignScore(
                c.name,
                c.kind,
                len(c.accounts),
                len(hit),
                len(hit) / len(c.accounts),
                biggest / len(c.accounts),
                len(set(hit)),
                main,
            )
        )
    coordinated = truth.coordinated()
    tp = len(flagged & coordinated)
    decoys, active = set(truth.decoys), set(truth.active)
    return Score(
        tuple(scores),
        len(flagged),
        tp,
        tp / len(flagged) if flagged else 1.0,
        tp / len(coordinated),
        tuple(sorted(flagged & decoys)),
        tuple(sorted(flagged & active)),
        tuple(sorted(flagged - coordinated - decoys - active)),
    )


def table(score: Score) -> Sequence[str]:
    """The score as printable lines."""
    lines = [
        f"{'campaign':<20} {'kind':<10} {'accounts':>8} {'flagged':>8} {'recall':>7} "
        f"{'cohesion':>8} {'clusters':>8}"
    ]
    for c in score.campaigns:
        lines.append(
            f"{c.name:<20} {c.kind:<10} {c.accounts:>8} {c.flagged:>8} {c.recall:>7.2f} "
            f"{c.cohesion:>8.2f} {c.clusters:>8}"
        )
    lines += [
        f"flagged accounts {score.flagged}, of them in campaigns {score.true_positives}: "
        f"precision {score.precision:.3f}, recall {score.recall:.3f}",
        f"decoys flagged {len(score.decoys_flagged)}, very active flagged "
        f"{len(score.active_flagged)}, other ordinary flagged {len(score.others_flagged)}",
    ]
    return lines
