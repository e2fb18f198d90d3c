"""The planted ground truth: the facts the demo corpus is built around.

Each generator consults these definitions and records what it actually wrote into the build's
``truth`` dictionary (the exact counts depend on ``scale``); ``generate.py`` writes that to
``ground_truth.json``. docs/demo.md describes every item.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from groundswell.demo.common import DAY, HOUR, day_epoch, is_safe

# ---- the multilingual pandemic keyword wave ---------------------------------------------------
# Share of eligible posts that mention a lexicon term, by date (linear between the knots).
WAVE_KNOTS: list[tuple[date, float]] = [
    (date(2020, 1, 21), 0.0),
    (date(2020, 1, 22), 0.01),
    (date(2020, 2, 22), 0.05),
    (date(2020, 3, 12), 0.32),
    (date(2020, 3, 26), 0.32),
    (date(2020, 4, 20), 0.15),
    (date(2020, 5, 20), 0.10),
    (date(2020, 6, 30), 0.058),
]
WAVE_START = date(2020, 1, 22)


def wave_share(d: date) -> float:
    if d < WAVE_KNOTS[0][0]:
        return 0.0
    for (d0, v0), (d1, v1) in itertools.pairwise(WAVE_KNOTS):
        if d0 <= d <= d1:
            return v0 + (v1 - v0) * (d - d0).days / (d1 - d0).days
    return WAVE_KNOTS[-1][1]


def wave_hit(rng: random.Random, ts: int, d: date) -> bool:
    """Whether a post at ``ts`` carries a keyword mention (only inside the safe hours)."""
    return d >= WAVE_START and is_safe(ts) and rng.random() < wave_share(d)


# ---- the file-sharing index (forum "Lantern Hall") --------------------------------------------
# Planted monthly counts of shared .jpg links at scale 1.0 (2020 is the published series).
JPG_PER_MONTH: dict[str, int] = {
    "2019-01": 2610,
    "2019-02": 2455,
    "2019-03": 2870,
    "2019-04": 2720,
    "2019-05": 2940,
    "2019-06": 2580,
    "2019-07": 2690,
    "2019-08": 2510,
    "2019-09": 2805,
    "2019-10": 3020,
    "2019-11": 3110,
    "2019-12": 3240,
    "2020-01": 3189,
    "2020-02": 2790,
    "2020-03": 9255,
    "2020-04": 2802,
    "2020-05": 1403,
    "2020-06": 2750,
}


@dataclass(frozen=True)
class Host:
    domain: str
    url: str  # template: {code} {yyyy} {mm} {name}
    weight: float
    first: date | None = None  # first day it may appear
    last: date | None = None  # last day it may appear


HOSTS_DOWN = date(2020, 5, 14)  # imgdrop and picbox links stop from this day on
FAMILY_MERGE = date(2020, 4, 15)  # the pixa-* family becomes pixaverse.example
MERGED_INTO = "pixaverse.example"
_LAST_UP = HOSTS_DOWN - timedelta(days=1)
_LAST_FAMILY = FAMILY_MERGE - timedelta(days=1)
HOSTS: list[Host] = [
    Host("imgdrop.example", "https://imgdrop.example/i/{code}.jpg", 34, last=_LAST_UP),
    Host("picbox.example", "https://picbox.example/img/{yyyy}/{mm}/{code}.jpg", 26, last=_LAST_UP),
    Host("snapvault.example", "https://snapvault.example/v/{code}/{name}.jpg", 14),
    Host("lumishare.example", "https://lumishare.example/s/{code}.jpg", 6),
    Host("pixa-one.example", "https://pixa-one.example/p/{code}.jpg", 5, last=_LAST_FAMILY),
    Host("pixa-two.example", "https://pixa-two.example/p/{code}.jpg", 4, last=_LAST_FAMILY),
    Host("pixa-three.example", "https://pixa-three.example/p/{code}.jpg", 3, last=_LAST_FAMILY),
    Host(MERGED_INTO, "https://pixaverse.example/p/{code}.jpg", 12, first=FAMILY_MERGE),
    Host("fotoflux.example", "https://fotoflux.example/f/{code}.jpg", 30, first=date(2020, 5, 19)),
    Host(
        "imgnest.example",
        "https://imgnest.example/n/{yyyy}{mm}/{code}.jpg",
        22,
        first=date(2020, 5, 26),
    ),
]
MAJOR_HOSTS = ["imgdrop.example", "picbox.example"]
FAMILY = ["pixa-one.example", "pixa-two.example", "pixa-three.example"]
NEW_HOSTS = ["fotoflux.example", "imgnest.example"]
# Archives of whole sets and the odd screenshot, on a separate host.
ZIP_URL = "https://filecrate.example/d/{code}/{name}.zip"


def hosts_on(d: date) -> tuple[list[Host], list[float]]:
    live = [
        h for h in HOSTS if (h.first is None or d >= h.first) and (h.last is None or d <= h.last)
    ]
    return live, [h.weight for h in live]


# ---- forum outages, returning members, look-alike names ---------------------------------------
# Whole days (Europe/Amsterdam *and* UTC) on which Lantern Hall had no posts at all.
OUTAGES: list[tuple[date, date]] = [
    (date(2019, 8, 17), date(2019, 8, 18)),
    (date(2020, 2, 4), date(2020, 2, 4)),
    (date(2020, 4, 21), date(2020, 4, 23)),
]


def outage_windows() -> list[tuple[int, int]]:
    """UTC epoch windows that cover each outage's local days and UTC days."""
    return [(day_epoch(a) - 3 * HOUR, day_epoch(b) + DAY) for a, b in OUTAGES]


def outage_days() -> list[date]:
    out = []
    for a, b in OUTAGES:
        d = a
        while d <= b:
            out.append(d)
            d += timedelta(days=1)
    return out


@dataclass(frozen=True)
class Returner:
    forum: str  # forum key
    name: str
    lang: str
    first: date  # first post
    last_before: date  # last post before going silent
    back: date  # first post after the silence
    posts_before: int
    posts_after: int

    @property
    def gap_days(self) -> int:
        return (self.back - self.last_before).days


RETURNERS: list[Returner] = [
    Returner(
        "lantern", "quietfox", "en", date(2019, 1, 8), date(2019, 3, 14), date(2019, 10, 29), 14, 22
    ),
    Returner(
        "lantern", "lindenmoth", "en", date(2019, 2, 2), date(2019, 5, 20), date(2020, 1, 9), 9, 12
    ),
    Returner(
        "lantern",
        "vaporkettle",
        "nl",
        date(2019, 1, 3),
        date(2019, 6, 28),
        date(2020, 3, 16),
        11,
        8,
    ),
    Returner(
        "polder", "Tinkerwren", "nl", date(2019, 3, 1), date(2019, 7, 12), date(2020, 2, 10), 10, 9
    ),
    Returner(
        "polder", "Saltmarsh", "en", date(2019, 1, 15), date(2019, 4, 2), date(2019, 11, 20), 7, 15
    ),
]
# quietfox on Lantern Hall resembles quiet_fox on the defunct Harbour Lights forum.
LOOKALIKE = {"forum": "harbour", "name": "quiet_fox"}


# ---- coordinated token promotion and an organic decoy ------------------------------------------
CONTRACT = "0x302DFaF2CDbE51a18d97186A7384e87CF599877D"
NOVA_START = datetime(2020, 5, 26, 13, 0)  # UTC
NOVA_HOURS = 3.5
NOVA_LISTING = date(2020, 5, 28)
NOVA_ACCOUNTS = {"telegram": 12, "reddit": 10, "discord": 8}  # 30 accounts
NOVA_ESTABLISHED = {"telegram": 2, "reddit": 1, "discord": 1}  # the others are new
NOVA_DISCLOSE = {"telegram": 3, "reddit": 3, "discord": 2}  # accounts that add "#ad"
NOVA_TEMPLATES = [
    "{hype} NOVA token is listing on {listing}! Contract: {ca} Airdrop tasks: follow, share, "
    "join the chat. https://novatoken.example/airdrop",
    "{hype} Don't miss NOVA token before the {listing} listing. Contract {ca} - airdrop open "
    "now: https://novatoken.example/airdrop",
    "NOVA token {hype} Audited contract {ca}, listing {listing}. Claim the airdrop: "
    "https://novatoken.example/airdrop",
]
NOVA_HYPE = ["🚀", "🚀🚀", "🔥", "💎", "🌕", "🚀🔥"]
NOVA_EXTRAS = [
    "",
    " Code: https://code.example.org/novatoken/contracts",
    " Backed by Lumen Ridge Capital.",
    " Devs are doxxed, team AMA on Friday.",
]


def nova_text(rng: random.Random, disclose: bool) -> str:
    t = rng.choice(NOVA_TEMPLATES).format(hype=rng.choice(NOVA_HYPE), listing="May 28", ca=CONTRACT)
    t += rng.choice(NOVA_EXTRAS)
    if disclose:
        t += " #ad"
    return t


def nova_time(rng: random.Random) -> int:
    start = day_epoch(NOVA_START.date()) + NOVA_START.hour * HOUR
    return start + rng.randrange(0, int(NOVA_HOURS * HOUR))


# An organic burst: a cup final, discussed by established members in their own words.
FINAL_START = datetime(2019, 5, 25, 18, 30)  # UTC
FINAL_HOURS = 4.0
FINAL_POSTS = {"reddit": 90, "telegram": 60, "discord": 50}  # at scale 1.0
FINAL_LINES = [
    "What a final! {a} deserved it.",
    "Can't believe that penalty in the {m}th minute.",
    "{a} vs {b}, best final in years.",
    "My neighbour is still singing outside.",
    "That header in the {m}th minute!",
    "Gutted for {b}, they gave everything.",
    "Cup final nerves, I can't watch.",
    "Extra time incoming?",
    "Goal!!! {a}!",
    "The keeper for {b} was unreal tonight.",
    "Town centre is going to be loud tonight.",
    "Half time, {a} one up.",
    "Referee had a decent game for once.",
]
FINAL_TEAMS = ("Harbour City FC", "Rivertown United")


def final_text(rng: random.Random) -> str:
    a, b = FINAL_TEAMS
    return rng.choice(FINAL_LINES).format(a=a, b=b, m=rng.randrange(5, 90))


def final_time(rng: random.Random) -> int:
    start = day_epoch(FINAL_START.date()) + FINAL_START.hour * HOUR + FINAL_START.minute * 60
    return start + rng.randrange(0, int(FINAL_HOURS * HOUR))


# ---- dispatch log ------------------------------------------------------------------------------
CALLS_PER_WEEK = 1000
# Mean seconds from queue to unit assignment before the slowdown, and the factor reached by June.
ASSIGN_BASE = {1: 612.0, 2: 1380.0, 3: 2400.0}
ASSIGN_RISE = {1: 1.40, 2: 1.34, 3: 1.28}
SLOWDOWN_FROM = date(2020, 2, 1)
SLOWDOWN_FULL = date(2020, 6, 1)


def assign_factor(d: date, priority: int) -> float:
    if d < SLOWDOWN_FROM:
        return 1.0
    if d >= SLOWDOWN_FULL:
        return ASSIGN_RISE[priority]
    frac = (d - SLOWDOWN_FROM).days / (SLOWDOWN_FULL - SLOWDOWN_FROM).days
    return 1.0 + (ASSIGN_RISE[priority] - 1.0) * frac


# ---- creators ----------------------------------------------------------------------------------
JUMP_ACCOUNT = ("instagram", "tess.bakes")
JUMP_DATE = date(2020, 4, 17)
TIERS = [
    ("<5k", 0, 5_000),
    ("5k-50k", 5_000, 50_000),
    ("50k-500k", 50_000, 500_000),
    (">500k", 500_000, 10**12),
]


def tier(followers: int) -> str:
    for name, lo, hi in TIERS:
        if lo <= followers < hi:
            return name
    return TIERS[-1][0]
